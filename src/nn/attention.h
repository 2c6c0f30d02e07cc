// Causal self-attention through a KV cache, as Llama-family decoders use it: project q, k, v;
// apply RoPE to q and k; write k and v of the batch into the layer's cache rows (set_rows);
// attend over the cache cells visible to each token (flash_attention with the cache's mask,
// grouped-query heads); output projection. Every step is a named node (llama.cpp vocabulary).
// Depends on ml/ and nn/layers.h only; the cache arrives as plain tensors (CacheLayer), so nn/
// knows nothing of kv/.
#pragma once

#include "nn/layers.h"

namespace corral::nn {

// One layer's cache as attention needs it. The KV cache (kv/) creates these per forward pass.
struct CacheLayer {
  Tensor k;          // [capacity, n_kv_heads, head_dim] F16/F32/Q8_0: the layer's K cells
  Tensor v;          // [capacity, n_kv_heads, head_dim_v]
  Tensor rows;       // I32 [n_tokens]: the cell each batch token's k/v is written to
  Tensor mask;       // F32/F16 [n_tokens, n_kv]: 0 where the token may attend the cell, -inf elsewhere
  int64_t n_kv = 0;  // cells [0, n_kv) are attended (the rest are unused)
};

// Q/K/V/O projections and head geometry. GGUF names: attn_q, attn_k, attn_v, attn_output.
struct Attention {
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  float scale = 0.0f;  // 0 => 1/sqrt(head_dim)
  Linear q, k, v, o;

  // hidden -> n_heads*head_dim (q), n_kv_heads*head_dim (k, v); o back to hidden.
  static Attention make(int64_t hidden, int64_t n_heads, int64_t n_kv_heads, int64_t head_dim,
                        Presence qkv_bias = Presence::kAbsent);
  void visit(const WeightScope& scope);

  // x F32 [n_tokens, hidden], positions I32 [n_tokens] -> F32 [n_tokens, hidden].
  // Names: Qcur, Kcur, Vcur ([n_tokens, heads, head_dim], after projection and bias), q_rope,
  // k_rope, kqv_out ([n_tokens, n_heads*head_dim], before o), attn_out (after o); all with `layer`.
  Tensor forward(Context& ctx, Tensor x, Tensor positions, const Rope& rope, const CacheLayer& cache,
                 int layer) const;
};

}  // namespace corral::nn
