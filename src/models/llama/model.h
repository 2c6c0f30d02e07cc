// Llama (and Llama-2/3, SmolLM, Mistral-style dense decoders): pre-norm blocks of grouped-query
// attention with RoPE and a SwiGLU MLP. GGUF llama files store Q/K rows permuted at conversion
// so that the interleaved ("normal") RoPE layout applies; llama3 long-context frequency factors
// come from the optional rope_freqs.weight; output.weight absent means tied embeddings.
// Depends on models/ (model.h) and nn/.
#pragma once

#include <memory>
#include <vector>

#include "formats/gguf.h"
#include "models/model.h"
#include "nn/attention.h"
#include "nn/layers.h"

namespace corral {

struct LlamaLayer {
  nn::RMSNorm attn_norm;
  nn::Attention attn;
  nn::RMSNorm ffn_norm;
  nn::GatedMlp mlp;
};

class LlamaModel final : public Model {
 public:
  explicit LlamaModel(const ModelConfig& config);

  void visit(const nn::WeightScope& scope) override;
  Result<Tensor> forward(Context& ctx, const Batch& batch, KvCache& cache) const override;

 private:
  nn::Embedding token_embd_;
  std::vector<LlamaLayer> layers_;
  nn::RMSNorm output_norm_;
  nn::Linear output_;  // optional: tied to token_embd when absent
  nn::Rope rope_;      // kNormal layout, optional freq factors
};

Result<std::unique_ptr<Model>> make_llama(const GgufFile& file, const ModelConfig& config);

}  // namespace corral
