// Backend: the one execution interface every device implements (CPU first). A backend says
// which nodes it supports and computes a planned Graph (data bound by GraphAllocator). A
// GraphObserver sees each named node right after it is computed (tensor dumps, debugging).
// Depends on ml/ core types; implementations live under backends/.
#pragma once

#include <functional>
#include <string_view>

#include "ml/context.h"
#include "ml/graph.h"
#include "util/status.h"

namespace corral {

// Called after each named node is computed, with the node's data valid (possibly a strided view).
using GraphObserver = std::function<void(const Tensor& node)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // Whether compute() can run this node (op, dtypes, layout).
  virtual bool supports(const TensorNode& node) const = 0;
  // Runs every node of g in order. Fails (kUnsupported, kInvalidArgument) before computing
  // anything when a node is unsupported or unbound.
  virtual Status compute(Graph& g) = 0;
  // Called once after a model's weights are bound, while their memory is writable (a private copy
  // of the file): the backend may rearrange weights into layouts of its own, in place, marking
  // each one kTensorRepacked. Those weights are then for this backend only. Default: none.
  virtual Status prepare_weights(Context& weights) {
    (void)weights;
    return ok_status();
  }

  void set_observer(GraphObserver observer) { observer_ = std::move(observer); }

 protected:
  // Checks every node is supported and every node and leaf has data.
  Status check_graph(const Graph& g) const;
  void notify(TensorNode* node) const {
    if (observer_ && !node->name.empty()) observer_(Tensor(node));
  }

  GraphObserver observer_;
};

}  // namespace corral
