#include "ml/allocator.h"

#include <algorithm>
#include <limits>

#include "util/check.h"

namespace corral {
namespace {

constexpr size_t kAlign = 64;

size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool leaf_needs_memory(const TensorNode& n) { return (n.flags & kTensorInput) && n.data == nullptr; }
bool node_needs_memory(const TensorNode& n) { return !n.is_view(); }

// First-fit-by-size (best fit) over a sorted free list of [offset, size) blocks inside a
// growing arena.
class FreeList {
 public:
  size_t alloc(size_t size) {
    size_t best = blocks_.size();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      if (blocks_[i].size >= size && (best == blocks_.size() || blocks_[i].size < blocks_[best].size)) best = i;
    }
    if (best < blocks_.size()) {
      const size_t off = blocks_[best].offset;
      blocks_[best].offset += size;
      blocks_[best].size -= size;
      if (blocks_[best].size == 0) blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(best));
      return off;
    }
    // Extend the arena, absorbing a free block that touches its end.
    if (!blocks_.empty() && blocks_.back().offset + blocks_.back().size == end_) {
      const size_t off = blocks_.back().offset;
      end_ = off + size;
      blocks_.pop_back();
      return off;
    }
    const size_t off = end_;
    end_ += size;
    return off;
  }

  void release(size_t offset, size_t size) {
    auto it = std::lower_bound(blocks_.begin(), blocks_.end(), offset,
                               [](const Block& b, size_t off) { return b.offset < off; });
    it = blocks_.insert(it, Block{offset, size});
    auto next = it + 1;
    if (next != blocks_.end() && it->offset + it->size == next->offset) {
      it->size += next->size;
      blocks_.erase(next);
    }
    if (it != blocks_.begin()) {
      auto prev = it - 1;
      if (prev->offset + prev->size == it->offset) {
        prev->size += it->size;
        blocks_.erase(it);
      }
    }
  }

  size_t end() const { return end_; }

 private:
  struct Block {
    size_t offset, size;
  };
  std::vector<Block> blocks_;
  size_t end_ = 0;
};

// Owner slot of a source index: leaves first, then nodes; views map to their storage owner.
int slot_of(const Graph& g, int src_index, const std::vector<int>& owner_slot) {
  if (src_index < 0) return -1 - src_index;
  return owner_slot[static_cast<size_t>(src_index)];
}

}  // namespace

void GraphAllocator::signature_of(const Graph& g, std::vector<int64_t>* out) const {
  out->clear();
  out->reserve(g.leaves.size() + g.nodes.size() * 7 + g.outputs.size() + 2);
  out->push_back(static_cast<int64_t>(g.leaves.size()));
  for (const TensorNode* l : g.leaves) {
    out->push_back(leaf_needs_memory(*l) ? static_cast<int64_t>(contiguous_bytes(l->dtype, l->shape)) : -1);
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const TensorNode* n = g.nodes[i];
    out->push_back(node_needs_memory(*n) ? static_cast<int64_t>(contiguous_bytes(n->dtype, n->shape)) : -1);
    for (int s : g.sources[i]) out->push_back(s);
    out->push_back(n->is_view() ? n->view_src->id : -1);
  }
  for (const TensorNode* o : g.outputs) out->push_back(o->id);
}

void GraphAllocator::plan(const Graph& g) {
  const size_t n_leaves = g.leaves.size();
  const size_t n_slots = n_leaves + g.nodes.size();
  // Storage owner slot of every node: itself, or for a view the slot of its root.
  std::vector<int> owner_slot(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const TensorNode* n = g.nodes[i];
    if (!n->is_view()) {
      owner_slot[i] = static_cast<int>(n_leaves + i);
      continue;
    }
    // A view's first source is either its root or a node/view of the same root.
    const int s = g.sources[i][0];
    owner_slot[i] = slot_of(g, s, owner_slot);
  }
  constexpr int kForever = std::numeric_limits<int>::max();
  std::vector<int> last_use(n_slots, -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int s : g.sources[i]) {
      if (s == Graph::kNoSource) continue;
      last_use[static_cast<size_t>(slot_of(g, s, owner_slot))] = static_cast<int>(i);
    }
    last_use[static_cast<size_t>(owner_slot[i])] = std::max(last_use[static_cast<size_t>(owner_slot[i])], static_cast<int>(i));
  }
  for (const TensorNode* o : g.outputs) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (g.nodes[i] == o) last_use[static_cast<size_t>(owner_slot[i])] = kForever;
    }
  }
  std::vector<std::vector<int>> frees_at(g.nodes.size());
  for (size_t slot = n_leaves; slot < n_slots; ++slot) {
    const int lu = last_use[slot];
    if (lu >= 0 && lu != kForever) frees_at[static_cast<size_t>(lu)].push_back(static_cast<int>(slot));
  }

  offsets_.assign(n_slots, -1);
  stats_ = AllocationStats{};
  FreeList fl;
  auto place = [&](size_t slot, size_t bytes) {
    const size_t size = aligned(std::max<size_t>(bytes, 1));
    offsets_[slot] = static_cast<int64_t>(fl.alloc(size));
    stats_.total_bytes += size;
    ++stats_.n_allocations;
  };
  for (size_t j = 0; j < n_leaves; ++j) {
    const TensorNode* l = g.leaves[j];
    if (leaf_needs_memory(*l)) place(j, contiguous_bytes(l->dtype, l->shape));
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const TensorNode* n = g.nodes[i];
    if (node_needs_memory(*n)) place(n_leaves + i, contiguous_bytes(n->dtype, n->shape));
    for (int slot : frees_at[i]) {
      if (offsets_[static_cast<size_t>(slot)] < 0) continue;
      const TensorNode* owner = g.nodes[static_cast<size_t>(slot) - n_leaves];
      fl.release(static_cast<size_t>(offsets_[static_cast<size_t>(slot)]),
                 aligned(std::max<size_t>(contiguous_bytes(owner->dtype, owner->shape), 1)));
    }
  }
  stats_.peak_bytes = fl.end();
}

Status GraphAllocator::allocate(Graph& g) {
  for (const TensorNode* l : g.leaves) {
    if (l->data == nullptr && !(l->flags & kTensorInput) && l->shape.numel() > 0) {
      return invalid_argument("graph leaf %s has no data (neither an input nor bound)", describe(*l).c_str());
    }
  }
  std::vector<int64_t> sig;
  signature_of(g, &sig);
  if (sig == signature_ && !offsets_.empty()) {
    stats_.plan_reused = true;
  } else {
    plan(g);
    signature_ = std::move(sig);
    stats_.plan_reused = false;
  }
  if (arena_.size() < stats_.peak_bytes) {
    CORRAL_ASSIGN_OR_RETURN(arena_, Buffer::allocate(stats_.peak_bytes));
  }
  const size_t n_leaves = g.leaves.size();
  for (size_t j = 0; j < n_leaves; ++j) {
    if (offsets_[j] >= 0) g.leaves[j]->data = arena_.data() + offsets_[j];
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    TensorNode* n = g.nodes[i];
    if (offsets_[n_leaves + i] >= 0) {
      n->data = arena_.data() + offsets_[n_leaves + i];
    } else if (n->is_view()) {
      n->data = n->view_src->data + n->view_offset;  // roots come before their views
    }
  }
  return ok_status();
}

}  // namespace corral
