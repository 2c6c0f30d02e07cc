#include "ml/backend.h"

#include <string>

namespace corral {

Status Backend::check_graph(const Graph& g) const {
  for (const TensorNode* l : g.leaves) {
    if (l->data == nullptr && l->shape.numel() > 0) {
      return invalid_argument("%s: leaf %s has no data (run the graph allocator first)", std::string(name()).c_str(),
                              describe(*l).c_str());
    }
  }
  for (const TensorNode* n : g.nodes) {
    if (n->data == nullptr && n->shape.numel() > 0) {
      return invalid_argument("%s: node %s has no data (run the graph allocator first)", std::string(name()).c_str(),
                              describe(*n).c_str());
    }
    if (!supports(*n)) {
      std::string srcs;
      for (int i = 0; i < n->n_src; ++i) {
        const TensorNode* s = n->src[static_cast<size_t>(i)];
        if (s != nullptr) srcs += " " + std::string(dtype_name(s->dtype));
      }
      return unsupported("%s backend: op %s with sources%s (node %s)", std::string(name()).c_str(),
                         std::string(op_name(n->op)).c_str(), srcs.c_str(), describe(*n).c_str());
    }
  }
  return ok_status();
}

}  // namespace corral
