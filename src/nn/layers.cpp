#include "nn/layers.h"

namespace corral::nn {

void Linear::visit(const WeightScope& scope) {
  scope.tensor("weight", {out_features, in_features}, &weight);
  if (bias_presence == Presence::kRequired) scope.tensor("bias", {out_features}, &bias, WeightDTypes::kF32Only);
  if (bias_presence == Presence::kOptional) scope.optional("bias", {out_features}, &bias, WeightDTypes::kF32Only);
}

Tensor Linear::forward(Context& ctx, Tensor x) const {
  Tensor y = mul_mat(ctx, weight, x);
  if (bias.valid()) y = add(ctx, y, bias);
  return y;
}

void Embedding::visit(const WeightScope& scope) { scope.tensor("weight", {num_embeddings, dim}, &weight); }

Tensor Embedding::forward(Context& ctx, Tensor ids) const { return get_rows(ctx, weight, ids); }

void RMSNorm::visit(const WeightScope& scope) { scope.tensor("weight", {dim}, &weight, WeightDTypes::kF32Only); }

Tensor RMSNorm::forward(Context& ctx, Tensor x) const { return mul(ctx, rms_norm(ctx, x, eps), weight); }

GatedMlp GatedMlp::make(int64_t dim, int64_t hidden_dim) {
  GatedMlp m;
  m.gate = Linear{.in_features = dim, .out_features = hidden_dim};
  m.up = Linear{.in_features = dim, .out_features = hidden_dim};
  m.down = Linear{.in_features = hidden_dim, .out_features = dim};
  return m;
}

void GatedMlp::visit(const WeightScope& scope) {
  gate.visit(scope.sub("ffn_gate"));
  up.visit(scope.sub("ffn_up"));
  down.visit(scope.sub("ffn_down"));
}

Tensor GatedMlp::forward(Context& ctx, Tensor x) const {
  return down.forward(ctx, swiglu(ctx, gate.forward(ctx, x), up.forward(ctx, x)));
}

Tensor Rope::forward(Context& ctx, Tensor x, Tensor positions) const {
  return rope(ctx, x, positions, RopeOptions{.params = params, .freq_factors = freq_factors});
}

}  // namespace corral::nn
