#include "nn/attention.h"

#include <cmath>

#include "util/check.h"

namespace corral::nn {
namespace {

// Cells [0, n_kv) of a written cache tensor as [heads, n_kv, dim] in a dtype flash_attention
// reads (quantized caches are converted to F16 first).
Tensor cache_heads(Context& ctx, Tensor written, int64_t n_kv) {
  Tensor cells = slice(ctx, written, 0, 0, n_kv);  // [n_kv, heads, dim]
  if (cells.dtype() != DType::kF16 && cells.dtype() != DType::kF32) cells = copy(ctx, cells, DType::kF16);
  return permute(ctx, cells, {1, 0, 2});
}

}  // namespace

Attention Attention::make(int64_t hidden, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim, Presence qkv_bias) {
  Attention a;
  a.n_heads = n_heads;
  a.n_kv_heads = n_kv_heads;
  a.head_dim = head_dim;
  a.q = Linear{.in_features = hidden, .out_features = n_heads * head_dim, .bias_presence = qkv_bias};
  a.k = Linear{.in_features = hidden, .out_features = n_kv_heads * head_dim, .bias_presence = qkv_bias};
  a.v = Linear{.in_features = hidden, .out_features = n_kv_heads * head_dim, .bias_presence = qkv_bias};
  a.o = Linear{.in_features = n_heads * head_dim, .out_features = hidden};
  return a;
}

void Attention::visit(const WeightScope& scope) {
  q.visit(scope.sub("attn_q"));
  k.visit(scope.sub("attn_k"));
  v.visit(scope.sub("attn_v"));
  o.visit(scope.sub("attn_output"));
}

Tensor Attention::forward(Context& ctx, Tensor x, Tensor positions, const Rope& rope, const CacheLayer& cache,
                          int layer) const {
  const int64_t n_tokens = x.dim(0);
  CORRAL_CHECK(cache.n_kv > 0 && cache.n_kv <= cache.k.dim(0), "attention: n_kv %lld outside the cache",
               static_cast<long long>(cache.n_kv));
  Tensor qc = ctx.name(reshape(ctx, q.forward(ctx, x), {n_tokens, n_heads, head_dim}), "Qcur", layer);
  Tensor kc = ctx.name(reshape(ctx, k.forward(ctx, x), {n_tokens, n_kv_heads, head_dim}), "Kcur", layer);
  Tensor vc = ctx.name(reshape(ctx, v.forward(ctx, x), {n_tokens, n_kv_heads, head_dim}), "Vcur", layer);
  qc = ctx.name(rope.forward(ctx, qc, positions), "q_rope", layer);
  kc = ctx.name(rope.forward(ctx, kc, positions), "k_rope", layer);

  // Write the batch into the cache, then read the cache through the writes (ordering).
  Tensor k_all = cache_heads(ctx, set_rows(ctx, cache.k, kc, cache.rows), cache.n_kv);
  Tensor v_all = cache_heads(ctx, set_rows(ctx, cache.v, vc, cache.rows), cache.n_kv);
  const float s = scale != 0.0f ? scale : 1.0f / std::sqrt(static_cast<float>(head_dim));
  // round_f16: with an F16 (or Q8_0, read as F16) cache, llama.cpp's CPU arithmetic -- q rounded to
  // F16 before q.k, the running output kept in F16 -- so that greedy decoding agrees with the peer
  // token for token (an F32 cache is unaffected).
  Tensor out = flash_attention(ctx, permute(ctx, qc, {1, 0, 2}), k_all, v_all,
                               corral::AttentionOptions{.scale = s, .causal = false, .mask = cache.mask, .round_f16 = true});
  out = ctx.name(reshape(ctx, out, {n_tokens, n_heads * v_all.dim(-1)}), "kqv_out", layer);
  return ctx.name(o.forward(ctx, out), "attn_out", layer);
}

}  // namespace corral::nn
