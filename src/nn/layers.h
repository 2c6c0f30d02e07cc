// Small reusable layers over ml ops: Linear, Embedding, RMSNorm, GatedMlp and the RoPE helper.
// Each holds its weights as Tensor handles (bound by a WeightVisitor through visit()) and builds
// graph nodes in forward(); nothing computes here. Shapes are outermost-first.
// Depends on ml/ and nn/weight_scope.h only (never kv/, models/ or a backend).
#pragma once

#include "ml/ops.h"
#include "nn/weight_scope.h"

namespace corral::nn {

// Whether an optional part (a bias) exists in the file.
enum class Presence : uint8_t { kAbsent, kOptional, kRequired };

// y = x @ weight^T (+ bias). weight [out_features, in_features] (any matmul dtype), bias F32 [out].
struct Linear {
  int64_t in_features = 0;
  int64_t out_features = 0;
  Presence bias_presence = Presence::kAbsent;
  Tensor weight;
  Tensor bias;

  // Declares "<scope>.weight" and, unless absent, "<scope>.bias".
  void visit(const WeightScope& scope);
  // x F32 [..., in_features] -> F32 [..., out_features]
  Tensor forward(Context& ctx, Tensor x) const;
};

// Row lookup. weight [num_embeddings, dim] (any dtype; quantized rows are dequantized).
struct Embedding {
  int64_t num_embeddings = 0;
  int64_t dim = 0;
  Tensor weight;

  void visit(const WeightScope& scope);  // "<scope>.weight"
  // ids I32 [n] -> F32 [n, dim]
  Tensor forward(Context& ctx, Tensor ids) const;
};

// x / sqrt(mean(x^2) + eps) * weight, over the last dim. weight F32 [dim].
struct RMSNorm {
  int64_t dim = 0;
  float eps = 1e-5f;
  Tensor weight;

  void visit(const WeightScope& scope);  // "<scope>.weight"
  // x F32 [..., dim] -> F32 [..., dim]
  Tensor forward(Context& ctx, Tensor x) const;
};

// down(act(gate(x)) * up(x)) with SiLU (SwiGLU) gating, as Llama/Qwen2 MLPs.
// GGUF names: ffn_gate, ffn_up, ffn_down under the given scope.
struct GatedMlp {
  Linear gate;
  Linear up;
  Linear down;

  static GatedMlp make(int64_t dim, int64_t hidden_dim);
  void visit(const WeightScope& scope);
  // x F32 [..., dim] -> F32 [..., dim]
  Tensor forward(Context& ctx, Tensor x) const;
};

// Rotary position embedding options of one model: layout (kNormal rotates adjacent pairs, the
// GGUF llama layout whose Q/K rows were permuted at conversion; kNeox rotates halves, Qwen2),
// base, rotated dims, linear/YaRN scaling (in params) and optional llama3 frequency factors
// (F32 [n_dims/2], each dividing its pair's frequency).
struct Rope {
  RopeParams params;
  Tensor freq_factors;  // optional: "rope_freqs.weight"

  // x F32 [n_tokens, n_heads, head_dim], positions I32 [n_tokens] -> same shape as x
  Tensor forward(Context& ctx, Tensor x, Tensor positions) const;
};

}  // namespace corral::nn
