// Model: the interface every architecture implements and the runner drives. A Model is built
// by load_model() (models/loader.h) from a GGUF: its weights are bound zero-copy to the file's
// mapping and are immutable afterwards, so one Model may serve several runners and threads at
// once (forward() is const and touches only the Context, Batch and KvCache passed in).
//
// How a runner uses it, per step:
//   Context ctx;                                            // one per forward pass
//   CORRAL_ASSIGN_OR_RETURN(Tensor logits, model.forward(ctx, batch, cache));
//   Graph g = ctx.build({logits}); allocator.allocate(g); backend.compute(g);
//   read_f32(logits) -> [batch.output_rows().size(), vocab] in output_rows() order
// (models/evaluate.h does exactly this). The KvCache comes from make_kv_cache(cache_spec()...).
// Depends on formats/, ml/, nn/, kv/ and util/.
#pragma once

#include <memory>

#include "kv/kv_cache.h"
#include "ml/context.h"
#include "models/batch.h"
#include "models/model_config.h"
#include "nn/attention.h"
#include "nn/weight_scope.h"

namespace corral {

// The cache geometry a model needs (one causal K/V pair per layer).
struct KvCacheSpec {
  int n_layers = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t head_dim_v = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  virtual KvCacheSpec cache_spec() const;

  // Declares every weight (GGUF name, expected shape, required or optional) into the scope's
  // visitor: the loader binds them, a WeightLister lists them.
  virtual void visit(const nn::WeightScope& scope) = 0;

  // Builds the forward graph of `batch` on ctx: places the batch in `cache` (cells, mask) and
  // returns F32 logits [n_out, vocab] for batch.output_rows() in order. When no row is marked
  // the last row's logits are returned (the pass still fills the cache). Errors: a token id
  // outside the vocabulary or a bad position (kInvalidArgument), a full cache (kUnavailable).
  // Every block output is a named node (inp_embd, attn_norm, Qcur, ..., l_out, result_norm,
  // result_output) for dumps. The batch and cache must stay alive until the graph is computed.
  virtual Result<Tensor> forward(Context& ctx, const Batch& batch, KvCache& cache) const = 0;

  // Used by the loader: the arena holding the weight leaves, and whatever keeps their memory
  // (the mapped file) alive for as long as the model lives.
  void attach_weights(std::unique_ptr<Context> arena) { weight_arena_ = std::move(arena); }
  void keep_alive(std::shared_ptr<const void> owner) { keep_alive_ = std::move(owner); }
  // The weight leaves (nullptr before attach_weights), for Backend::prepare_weights.
  Context* weights() { return weight_arena_.get(); }

 protected:
  explicit Model(ModelConfig config) : config_(std::move(config)) {}

 private:
  ModelConfig config_;
  std::unique_ptr<Context> weight_arena_;
  std::shared_ptr<const void> keep_alive_;
};

// A cache for `spec` (capacity cells shared by max_sequences sequences).
Result<KvCache> make_kv_cache(const KvCacheSpec& spec, int64_t capacity, int max_sequences = 1,
                              DType dtype = DType::kF16);

// The inputs of one forward pass, shared by every architecture's forward().
struct ForwardInputs {
  Tensor tokens;          // I32 [n_tokens]
  Tensor positions;       // I32 [n_tokens]
  Tensor output_rows;     // I32 [n_out]: rows whose logits are returned (invalid: see below)
  bool all_rows = false;  // every row is an output: no selection
  KvGraph kv;

  nn::CacheLayer cache_layer(int layer) const;
};

// Validates the batch against `config` (non-empty, token ids in range), places it in the cache
// and binds the input leaves.
Result<ForwardInputs> begin_forward(Context& ctx, const Batch& batch, KvCache& cache,
                                    const ModelConfig& config);
// The RoPE options of a config in `mode` (base, rotated dims, linear or YaRN scaling).
nn::Rope rope_from_config(const ModelConfig& config, RopeMode mode);

// hidden F32 [n_tokens, dim] -> [n_out, dim]: the output rows (the last row when none is marked).
Tensor select_output_rows(Context& ctx, Tensor hidden, const ForwardInputs& in);

}  // namespace corral
