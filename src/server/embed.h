// Embeddings for the HTTP API (/api/embed, /api/embeddings, /v1/embeddings): runs a loaded
// model's forward pass on its own scratch KV cache, backend and allocator (never the runner's
// sequences), captures the final hidden state ("result_norm", after the output norm) and pools
// it as the GGUF's <arch>.pooling_type says: mean, cls (first token), last; a model without one
// (a generative LM) uses the last token's hidden state, as Ollama does. Depends on models/, ml/,
// formats/ and util; no HTTP.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "ml/allocator.h"
#include "ml/backend_registry.h"
#include "models/model.h"
#include "util/status.h"

namespace corral::server {

enum class Pooling { kNone, kMean, kCls, kLast };

// <arch>.pooling_type: 0 none, 1 mean, 2 cls, 3 last (llama.cpp's numbering); kNone when absent.
// invalid_argument for a value this engine does not implement (e.g. 4 rank).
Result<Pooling> pooling_from_gguf(const GgufFile& file);

// Scales `v` to unit L2 norm (left as is when its norm is 0).
void l2_normalize(std::vector<float>& v);

// "base64" encoding_format of OpenAI: the little-endian float32 bytes, base64-encoded.
std::string floats_base64(std::span<const float> v);

// One embedding backend per server: calls are serialized (they share one scratch allocator).
class Embedder {
 public:
  Embedder(const BackendRegistry& backends, BackendOptions options) : backends_(backends), options_(std::move(options)) {}
  // The pooled final hidden state of `tokens` (non-empty), in chunks of `batch_size`.
  // kNone pools the last token.
  Result<std::vector<float>> embed(const Model& model, std::span<const int32_t> tokens, Pooling pooling,
                                   int batch_size = 512);

 private:
  const BackendRegistry& backends_;
  BackendOptions options_;
  std::mutex mu_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<GraphAllocator> allocator_;
};

}  // namespace corral::server
