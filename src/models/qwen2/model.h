// Qwen2 / Qwen2.5 dense decoders: Llama-like pre-norm blocks (grouped-query attention, SwiGLU
// MLP) with biases on the q, k and v projections and the NeoX RoPE layout (GGUF qwen2 Q/K rows
// are not permuted: pairs are (x[i], x[i + d/2])); output.weight absent means tied embeddings.
// Depends on models/ (model.h) and nn/.
#pragma once

#include <memory>
#include <vector>

#include "formats/gguf.h"
#include "models/model.h"
#include "nn/attention.h"
#include "nn/layers.h"

namespace corral {

struct Qwen2Layer {
  nn::RMSNorm attn_norm;
  nn::Attention attn;  // q, k, v with bias
  nn::RMSNorm ffn_norm;
  nn::GatedMlp mlp;
};

class Qwen2Model final : public Model {
 public:
  explicit Qwen2Model(const ModelConfig& config);

  void visit(const nn::WeightScope& scope) override;
  Result<Tensor> forward(Context& ctx, const Batch& batch, KvCache& cache) const override;

 private:
  nn::Embedding token_embd_;
  std::vector<Qwen2Layer> layers_;
  nn::RMSNorm output_norm_;
  nn::Linear output_;  // optional: tied to token_embd when absent
  nn::Rope rope_;      // kNeox layout
};

Result<std::unique_ptr<Model>> make_qwen2(const GgufFile& file, const ModelConfig& config);

}  // namespace corral
