// KvCells: the metadata of a KV cache's cells — per cell, the position it holds and the set of
// sequences that share it — kept apart from the K/V tensors (llama.cpp's llama-kv-cells idea),
// so placement, removal, prefix sharing and masks are plain host logic, testable without tensors.
// Depends on util/ only.
#pragma once

#include <bitset>
#include <cstdint>
#include <span>
#include <vector>

#include "util/status.h"

namespace corral {

inline constexpr int kMaxKvSequences = 64;

class KvCells {
 public:
  // capacity cells (>= 1), sequence ids in [0, max_sequences) (max_sequences <= kMaxKvSequences).
  KvCells(int64_t capacity, int max_sequences);

  int64_t capacity() const { return static_cast<int64_t>(cells_.size()); }
  int max_sequences() const { return max_sequences_; }
  int64_t used() const { return used_; }  // cells held by at least one sequence
  int64_t free() const { return capacity() - used_; }
  bool is_free(int64_t cell) const { return cells_[static_cast<size_t>(cell)].seqs.none(); }
  int32_t pos(int64_t cell) const { return cells_[static_cast<size_t>(cell)].pos; }
  bool has_seq(int64_t cell, int seq) const;
  // One past the highest cell in use (0 when empty): attention reads cells [0, end()).
  int64_t end() const;
  // The highest / lowest position sequence `seq` holds, or -1 when it holds none.
  int32_t seq_pos_max(int seq) const;
  int32_t seq_pos_min(int seq) const;

  // Places a batch: token i (positions[i], seq_ids[i]) gets a free cell (lowest first), returned
  // in order. Each token's position must be >= 0 and after every position its sequence already
  // holds or placed earlier in the batch (kInvalidArgument otherwise); fewer free cells than
  // tokens is kUnavailable ("cache full"). Nothing changes on failure.
  Result<std::vector<int32_t>> place(std::span<const int32_t> positions, std::span<const int32_t> seq_ids);

  // Drops positions [begin, end) of `seq` (seq < 0: every sequence; end < 0: no upper bound).
  // A cell no sequence holds any more becomes free. Fails on a sequence id out of range.
  Status remove(int seq, int32_t begin, int32_t end);
  // `dst` forgets what it held and then shares src's cells with positions [0, n): the prefix is
  // reused without copying K/V (prefix caching, forking a conversation).
  Status copy_prefix(int src, int dst, int32_t n);
  void clear();

  // The additive mask of a batch over cells [0, n_kv): out[t * n_kv + c] is 0 when cell c holds
  // token t's sequence at a position <= token t's, else -inf. out holds n_tokens * n_kv floats.
  void build_mask(std::span<const int32_t> positions, std::span<const int32_t> seq_ids, int64_t n_kv,
                  float* out) const;

 private:
  struct Cell {
    int32_t pos = -1;
    std::bitset<kMaxKvSequences> seqs;
  };
  Status check_seq(int seq, const char* what) const;

  std::vector<Cell> cells_;
  int max_sequences_;
  int64_t used_ = 0;
};

}  // namespace corral
