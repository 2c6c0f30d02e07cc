#include "models/llama/model.h"

#include "ml/ops.h"

namespace corral {

LlamaModel::LlamaModel(const ModelConfig& c) : Model(c) {
  token_embd_ = nn::Embedding{.num_embeddings = c.vocab_size, .dim = c.hidden_size};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LlamaLayer l;
    l.attn_norm = nn::RMSNorm{.dim = c.hidden_size, .eps = c.norm_eps};
    l.attn = nn::Attention::make(c.hidden_size, c.num_heads, c.num_kv_heads, c.head_dim);
    l.ffn_norm = nn::RMSNorm{.dim = c.hidden_size, .eps = c.norm_eps};
    l.mlp = nn::GatedMlp::make(c.hidden_size, c.ffn_dim);
    layers_.push_back(l);
  }
  output_norm_ = nn::RMSNorm{.dim = c.hidden_size, .eps = c.norm_eps};
  output_ = nn::Linear{.in_features = c.hidden_size, .out_features = c.vocab_size};
  rope_ = rope_from_config(c, RopeMode::kNormal);
}

void LlamaModel::visit(const nn::WeightScope& scope) {
  token_embd_.visit(scope.sub("token_embd"));
  for (size_t i = 0; i < layers_.size(); ++i) {
    const nn::WeightScope blk = scope.sub("blk").sub(static_cast<int>(i));
    LlamaLayer& l = layers_[i];
    l.attn_norm.visit(blk.sub("attn_norm"));
    l.attn.visit(blk);
    l.ffn_norm.visit(blk.sub("ffn_norm"));
    l.mlp.visit(blk);
  }
  output_norm_.visit(scope.sub("output_norm"));
  scope.optional("output.weight", {config().vocab_size, config().hidden_size}, &output_.weight);
  scope.optional("rope_freqs.weight", {config().rope_dims / 2}, &rope_.freq_factors, nn::WeightDTypes::kF32Only);
}

Result<Tensor> LlamaModel::forward(Context& ctx, const Batch& batch, KvCache& cache) const {
  CORRAL_ASSIGN_OR_RETURN(const ForwardInputs in, begin_forward(ctx, batch, cache, config()));
  Tensor x = ctx.name(token_embd_.forward(ctx, in.tokens), "inp_embd");
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LlamaLayer& l = layers_[i];
    const int il = static_cast<int>(i);
    Tensor h = ctx.name(l.attn_norm.forward(ctx, x), "attn_norm", il);
    h = l.attn.forward(ctx, h, in.positions, rope_, in.cache_layer(il), il);
    Tensor ffn_inp = ctx.name(add(ctx, h, x), "ffn_inp", il);
    h = ctx.name(l.ffn_norm.forward(ctx, ffn_inp), "ffn_norm", il);
    h = ctx.name(l.mlp.forward(ctx, h), "ffn_out", il);
    x = ctx.name(add(ctx, h, ffn_inp), "l_out", il);
  }
  x = ctx.name(output_norm_.forward(ctx, select_output_rows(ctx, x, in)), "result_norm");
  const Tensor head = output_.weight.valid() ? output_.weight : token_embd_.weight;  // tied embeddings
  return ctx.name(mul_mat(ctx, head, x), "result_output");
}

Result<std::unique_ptr<Model>> make_llama(const GgufFile& /*file*/, const ModelConfig& config) {
  return std::unique_ptr<Model>(std::make_unique<LlamaModel>(config));
}

}  // namespace corral
