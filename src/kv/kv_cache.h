// KvCache: a causal key/value cache with per-sequence slots. Per layer, K and V tensors
// [capacity, n_kv_heads, head_dim] (F16 by default; F32 or Q8_0 on request) live in one owned
// host buffer; which cell holds which (sequence, position) is KvCells metadata. Several
// sequences share one batch: each token carries its sequence id and position.
//
// Per forward pass (models/ does this inside Model::forward):
//   1. prepare(positions, seq_ids): picks a free cell per token, records its metadata and
//      builds, on the host, the rows to write and the additive mask (token t sees the cells of
//      its sequence with position <= its own). kUnavailable when the cache is full.
//   2. bind(ctx): graph leaves bound to the cache memory and to those host arrays.
// The arrays stay valid until the next prepare(), so compute the graph before that.
// For the runner: remove(), copy_prefix() (prefix reuse across sequences without copying),
// clear(), seq_pos_max(). Move-only; thread-compatible. Depends on ml/ and util/ only.
#pragma once

#include <span>
#include <vector>

#include "kv/cells.h"
#include "ml/buffer.h"
#include "ml/context.h"
#include "util/status.h"

namespace corral {

struct KvCacheOptions {
  int n_layers = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;    // K head dim
  int64_t head_dim_v = 0;  // V head dim (0 = head_dim)
  int64_t capacity = 0;    // cells (tokens over all sequences)
  int max_sequences = 1;   // sequence ids 0 .. max_sequences-1 (<= kMaxKvSequences)
  DType dtype = DType::kF16;       // F16, F32, BF16 or Q8_0 (Q8_0 needs head dims divisible by 32)
  DType mask_dtype = DType::kF32;  // F32 or F16
  // n_kv (cells attended) is rounded up to a multiple of this, capped at capacity, so that
  // decode steps build graphs of the same shape (the allocator reuses its plan).
  int64_t n_kv_granularity = 32;
};

// The graph leaves of one forward pass (from bind()).
struct KvGraph {
  std::vector<Tensor> k;  // per layer [capacity, n_kv_heads, head_dim]
  std::vector<Tensor> v;  // per layer [capacity, n_kv_heads, head_dim_v]
  Tensor rows;            // I32 [n_tokens]: the cell of each batch token
  Tensor mask;            // mask_dtype [n_tokens, n_kv]
  int64_t n_kv = 0;
};

class KvCache {
 public:
  // Validates the geometry and allocates (zeroed) memory: kInvalidArgument / kOutOfMemory.
  static Result<KvCache> create(const KvCacheOptions& options);

  KvCache(KvCache&&) noexcept = default;
  KvCache& operator=(KvCache&&) noexcept = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const KvCacheOptions& options() const { return options_; }
  const KvCells& cells() const { return cells_; }
  int64_t capacity() const { return options_.capacity; }
  size_t memory_bytes() const { return buffer_.size(); }

  Status prepare(std::span<const int32_t> positions, std::span<const int32_t> seq_ids);
  KvGraph bind(Context& ctx);

  // The rows prepare() chose for the last batch, and n_kv (for tests and diagnostics).
  std::span<const int32_t> last_rows() const { return rows_; }
  int64_t last_n_kv() const { return n_kv_; }

  Status remove(int seq, int32_t begin, int32_t end) { return cells_.remove(seq, begin, end); }
  Status copy_prefix(int src, int dst, int32_t n) { return cells_.copy_prefix(src, dst, n); }
  void clear() { cells_.clear(); }
  int32_t seq_pos_max(int seq) const { return cells_.seq_pos_max(seq); }

 private:
  KvCache(const KvCacheOptions& options, Buffer buffer, size_t k_bytes, size_t v_bytes);

  KvCacheOptions options_;
  Buffer buffer_;
  size_t k_bytes_ = 0;  // bytes of one layer's K tensor
  size_t v_bytes_ = 0;
  KvCells cells_;
  std::vector<int32_t> rows_;
  std::vector<float> mask_f32_;
  std::vector<uint16_t> mask_f16_;
  int64_t n_kv_ = 0;
};

}  // namespace corral
