#include "kv/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "ml/tensor.h"
#include "util/check.h"
#include "util/half.h"

namespace corral {
namespace {

Status check_options(const KvCacheOptions& o) {
  if (o.n_layers <= 0 || o.n_kv_heads <= 0 || o.head_dim <= 0 || o.head_dim_v < 0) {
    return invalid_argument("kv cache: bad geometry (%d layers, %lld kv heads, head dim %lld/%lld)", o.n_layers,
                            static_cast<long long>(o.n_kv_heads), static_cast<long long>(o.head_dim),
                            static_cast<long long>(o.head_dim_v));
  }
  if (o.capacity <= 0 || o.capacity > std::numeric_limits<int32_t>::max()) {
    return invalid_argument("kv cache: capacity %lld outside [1, 2^31)", static_cast<long long>(o.capacity));
  }
  if (o.max_sequences < 1 || o.max_sequences > kMaxKvSequences) {
    return invalid_argument("kv cache: max_sequences %d outside [1, %d]", o.max_sequences, kMaxKvSequences);
  }
  if (o.dtype != DType::kF16 && o.dtype != DType::kF32 && o.dtype != DType::kBF16 && o.dtype != DType::kQ8_0) {
    return unsupported("kv cache: dtype %s (use F16, F32, BF16 or Q8_0)", std::string(dtype_name(o.dtype)).c_str());
  }
  if (o.mask_dtype != DType::kF32 && o.mask_dtype != DType::kF16) {
    return unsupported("kv cache: mask dtype %s (use F32 or F16)", std::string(dtype_name(o.mask_dtype)).c_str());
  }
  const int64_t block = dtype_traits(o.dtype).block_size;
  const int64_t dv = o.head_dim_v > 0 ? o.head_dim_v : o.head_dim;
  if (o.head_dim % block != 0 || dv % block != 0) {
    return invalid_argument("kv cache: %s needs head dims divisible by %lld (got %lld, %lld)",
                            std::string(dtype_name(o.dtype)).c_str(), static_cast<long long>(block),
                            static_cast<long long>(o.head_dim), static_cast<long long>(dv));
  }
  if (o.n_kv_granularity < 1) return invalid_argument("kv cache: n_kv_granularity must be >= 1");
  return ok_status();
}

// Bytes of [capacity, heads, dim] in dtype, or 0 on overflow.
uint64_t layer_bytes(DType dtype, int64_t capacity, int64_t heads, int64_t dim) {
  const auto row = dtype_row_bytes(dtype, static_cast<uint64_t>(dim));
  uint64_t out = 0;
  if (!row || !checked_mul(*row, static_cast<uint64_t>(heads), &out) ||
      !checked_mul(out, static_cast<uint64_t>(capacity), &out)) {
    return 0;
  }
  return out;
}

}  // namespace

Result<KvCache> KvCache::create(const KvCacheOptions& options) {
  CORRAL_TRY(check_options(options));
  KvCacheOptions o = options;
  if (o.head_dim_v == 0) o.head_dim_v = o.head_dim;
  const uint64_t kb = layer_bytes(o.dtype, o.capacity, o.n_kv_heads, o.head_dim);
  const uint64_t vb = layer_bytes(o.dtype, o.capacity, o.n_kv_heads, o.head_dim_v);
  uint64_t total = 0;
  if (kb == 0 || vb == 0 || !checked_add(kb, vb, &total) ||
      !checked_mul(total, static_cast<uint64_t>(o.n_layers), &total) || total > (uint64_t{1} << 48)) {
    return invalid_argument("kv cache: %lld cells x %d layers is too large", static_cast<long long>(o.capacity),
                            o.n_layers);
  }
  CORRAL_ASSIGN_OR_RETURN(Buffer buffer, Buffer::allocate(static_cast<size_t>(total)));
  // Zeroed: cells never written must hold finite values (masked scores still multiply V).
  std::memset(buffer.data(), 0, buffer.size());
  return KvCache(o, std::move(buffer), static_cast<size_t>(kb), static_cast<size_t>(vb));
}

KvCache::KvCache(const KvCacheOptions& options, Buffer buffer, size_t k_bytes, size_t v_bytes)
    : options_(options),
      buffer_(std::move(buffer)),
      k_bytes_(k_bytes),
      v_bytes_(v_bytes),
      cells_(options.capacity, options.max_sequences) {}

Status KvCache::prepare(std::span<const int32_t> positions, std::span<const int32_t> seq_ids) {
  if (positions.empty()) return invalid_argument("kv cache: empty batch");
  CORRAL_ASSIGN_OR_RETURN(rows_, cells_.place(positions, seq_ids));
  const int64_t g = options_.n_kv_granularity;
  n_kv_ = std::min(options_.capacity, (cells_.end() + g - 1) / g * g);
  const size_t n = positions.size() * static_cast<size_t>(n_kv_);
  mask_f32_.resize(n);
  cells_.build_mask(positions, seq_ids, n_kv_, mask_f32_.data());
  if (options_.mask_dtype == DType::kF16) {
    mask_f16_.resize(n);
    for (size_t i = 0; i < n; ++i) mask_f16_[i] = f32_to_fp16(mask_f32_[i]);
  }
  return ok_status();
}

KvGraph KvCache::bind(Context& ctx) {
  CORRAL_CHECK(!rows_.empty(), "KvCache::bind before prepare()");
  KvGraph out;
  out.n_kv = n_kv_;
  const int64_t n_tokens = static_cast<int64_t>(rows_.size());
  out.rows = ctx.external(DType::kI32, {n_tokens}, rows_.data(), "kv_rows");
  void* mask = options_.mask_dtype == DType::kF16 ? static_cast<void*>(mask_f16_.data())
                                                   : static_cast<void*>(mask_f32_.data());
  out.mask = ctx.external(options_.mask_dtype, {n_tokens, n_kv_}, mask, "kq_mask");
  std::byte* p = buffer_.data();
  for (int il = 0; il < options_.n_layers; ++il) {
    out.k.push_back(ctx.external(options_.dtype, {options_.capacity, options_.n_kv_heads, options_.head_dim}, p,
                                 "cache_k"));
    p += k_bytes_;
    out.v.push_back(ctx.external(options_.dtype, {options_.capacity, options_.n_kv_heads, options_.head_dim_v}, p,
                                 "cache_v"));
    p += v_bytes_;
  }
  return out;
}

}  // namespace corral
