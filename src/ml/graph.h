// Graph: the op nodes needed for a set of outputs in topological order, plus the leaves they
// read. Produced by Context::build, planned by GraphAllocator, computed by a Backend.
// Depends on ml/tensor.h; knows no backend.
#pragma once

#include <array>
#include <vector>

#include "ml/tensor.h"

namespace corral {

struct Graph {
  std::vector<TensorNode*> nodes;    // op nodes (views included), sources before users
  std::vector<TensorNode*> leaves;   // Op::kNone nodes the nodes read
  std::vector<TensorNode*> outputs;  // what the caller asked for
  // For nodes[i], the position of each source: >= 0 indexes nodes, -1 - j indexes leaves[j],
  // kNoSource marks an absent optional source. Used by the allocator for liveness.
  static constexpr int kNoSource = -1 << 30;
  std::vector<std::array<int, kMaxSources>> sources;
};

}  // namespace corral
