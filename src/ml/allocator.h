// GraphAllocator: plans the memory of a graph's intermediates by liveness — a value's bytes
// return to a free list after its last reader, so later values reuse them — inside one owned
// arena, then binds every node's data pointer. Decode steps build graphs of identical structure;
// the allocator recognises the structure and reuses the previous plan without re-planning.
// Owned by a runner (one per in-flight graph); not thread-safe. Depends on ml/ core types only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ml/buffer.h"
#include "ml/graph.h"
#include "util/status.h"

namespace corral {

struct AllocationStats {
  size_t peak_bytes = 0;      // arena bytes the plan needs
  size_t total_bytes = 0;     // sum of all planned values (what no reuse would need)
  size_t n_allocations = 0;   // values placed in the arena
  bool plan_reused = false;   // the last allocate() reused the cached plan
};

class GraphAllocator {
 public:
  GraphAllocator() = default;
  GraphAllocator(const GraphAllocator&) = delete;
  GraphAllocator& operator=(const GraphAllocator&) = delete;

  // Plans (or reuses the plan of the same structure), grows the arena when needed (kOutOfMemory
  // on failure) and binds data of every op node and every unbound input of g. Outputs and inputs
  // live to the end of the graph. Pointers from earlier allocate() calls become invalid.
  Status allocate(Graph& g);

  const AllocationStats& stats() const { return stats_; }
  size_t arena_bytes() const { return arena_.size(); }

 private:
  void plan(const Graph& g);
  void signature_of(const Graph& g, std::vector<int64_t>* out) const;

  Buffer arena_;
  std::vector<int64_t> signature_;
  std::vector<int64_t> offsets_;  // per owner slot: leaves then nodes; -1 = not in the arena
  AllocationStats stats_;
};

}  // namespace corral
