// Context: the per-forward-pass graph builder and node arena. Model code creates inputs,
// records ops through the free functions of ml/ops.h (nothing computes while building), names
// block outputs, and builds a Graph for its outputs. A long-lived Context also serves as the
// arena of weight tensors (leaves bound to external memory). Tensors are valid while their
// Context lives (reset() invalidates them). Thread-compatible. Depends on ml/ core types only.
#pragma once

#include <deque>
#include <initializer_list>
#include <span>
#include <string_view>

#include "ml/graph.h"
#include "ml/op.h"
#include "ml/tensor.h"

namespace corral {

class Context {
 public:
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // A leaf whose data the graph allocator provides; write it (t.data<T>()) after allocation.
  Tensor input(DType dtype, const Shape& shape, std::string_view name = {});
  // A contiguous leaf bound to memory outside the graph (weights in a mmapped file, caches).
  Tensor external(DType dtype, const Shape& shape, void* data, std::string_view name = {});
  // Binds an input to caller memory instead of allocator memory (must hold nbytes()).
  void bind(Tensor t, void* data);
  // Names a node for observers and dumps (llama.cpp's vocabulary: attn_norm, q, ffn_out, ...).
  Tensor name(Tensor t, std::string_view name, int layer = -1);

  // Records an op node after checking its shape rules (ml/op.cpp). Used by ml/ops.cpp.
  Tensor make_op(Op op, const OpParams& params, std::initializer_list<Tensor> sources);
  // Records a view of `source`'s storage: `shape` and byte `strides` at byte `offset` from the
  // start of source. Bounds are checked against the root storage. op is kView, or an in-place op
  // (kSetRows) whose result aliases its first source; its sources are then `sources`.
  Tensor make_view(Tensor source, const Shape& shape, const std::array<int64_t, kMaxDims>& strides,
                   size_t offset, Op op = Op::kView, const OpParams& params = {},
                   std::initializer_list<Tensor> sources = {});

  // The op nodes needed for `outputs`, in topological order.
  Graph build(std::span<const Tensor> outputs) const;
  Graph build(std::initializer_list<Tensor> outputs) const {
    return build(std::span<const Tensor>(outputs.begin(), outputs.size()));
  }

  size_t size() const { return nodes_.size(); }
  // Every node, in creation order (a weight arena's leaves, for Backend::prepare_weights).
  std::deque<TensorNode>& nodes() { return nodes_; }
  void reset() { nodes_.clear(); }

 private:
  TensorNode* new_node(DType dtype, const Shape& shape);

  std::deque<TensorNode> nodes_;
};

}  // namespace corral
