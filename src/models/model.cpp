#include "models/model.h"

#include "ml/ops.h"

namespace corral {

KvCacheSpec Model::cache_spec() const {
  return KvCacheSpec{static_cast<int>(config_.num_layers), config_.num_kv_heads, config_.head_dim,
                     config_.head_dim_v};
}

Result<KvCache> make_kv_cache(const KvCacheSpec& spec, int64_t capacity, int max_sequences, DType dtype) {
  KvCacheOptions o;
  o.n_layers = spec.n_layers;
  o.n_kv_heads = spec.n_kv_heads;
  o.head_dim = spec.head_dim;
  o.head_dim_v = spec.head_dim_v;
  o.capacity = capacity;
  o.max_sequences = max_sequences;
  o.dtype = dtype;
  return KvCache::create(o);
}

nn::CacheLayer ForwardInputs::cache_layer(int layer) const {
  return nn::CacheLayer{kv.k[static_cast<size_t>(layer)], kv.v[static_cast<size_t>(layer)], kv.rows, kv.mask,
                        kv.n_kv};
}

Result<ForwardInputs> begin_forward(Context& ctx, const Batch& batch, KvCache& cache, const ModelConfig& config) {
  if (batch.empty()) return invalid_argument("forward: empty batch");
  const auto tokens = batch.tokens();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= config.vocab_size) {
      return invalid_argument("forward: token %zu has id %d outside the vocabulary [0, %lld)", i, tokens[i],
                              static_cast<long long>(config.vocab_size));
    }
  }
  CORRAL_TRY(cache.prepare(batch.positions(), batch.seq_ids()));
  ForwardInputs in;
  const int64_t n = static_cast<int64_t>(batch.size());
  // Inputs are only read by the graph: binding the batch's arrays avoids a copy.
  in.tokens = ctx.external(DType::kI32, {n}, const_cast<int32_t*>(tokens.data()), "inp_tokens");
  in.positions = ctx.external(DType::kI32, {n}, const_cast<int32_t*>(batch.positions().data()), "inp_pos");
  const auto rows = batch.output_rows();
  in.all_rows = static_cast<int64_t>(rows.size()) == n;
  if (!in.all_rows && !rows.empty()) {
    in.output_rows = ctx.external(DType::kI32, {static_cast<int64_t>(rows.size())}, const_cast<int32_t*>(rows.data()),
                                  "inp_out_ids");
  }
  in.kv = cache.bind(ctx);
  return in;
}

nn::Rope rope_from_config(const ModelConfig& c, RopeMode mode) {
  nn::Rope rope;
  rope.params.mode = mode;
  rope.params.n_dims = static_cast<int32_t>(c.rope_dims);
  rope.params.freq_base = c.rope_base;
  switch (c.rope_scaling.type) {
    case RopeScalingType::kNone: break;
    case RopeScalingType::kLinear: rope.params.freq_scale = 1.0f / c.rope_scaling.factor; break;
    case RopeScalingType::kYarn:
      rope.params.freq_scale = 1.0f / c.rope_scaling.factor;
      rope.params.ext_factor = 1.0f;
      rope.params.n_ctx_orig = static_cast<int32_t>(c.rope_scaling.original_context_length);
      break;
  }
  return rope;
}

Tensor select_output_rows(Context& ctx, Tensor hidden, const ForwardInputs& in) {
  if (in.all_rows) return hidden;
  if (in.output_rows.valid()) return get_rows(ctx, hidden, in.output_rows);
  return slice(ctx, hidden, 0, hidden.dim(0) - 1, 1);
}

}  // namespace corral
