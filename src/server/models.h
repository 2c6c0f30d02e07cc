// Models as the API presents them: resolving a requested name through the store to its
// manifest, GGUF blob and Modelfile layers (template, system, parameters, license), and the
// "details" / "model_info" that /api/tags, /api/show and /api/ps report, read from the GGUF
// header (format, family, parameter size, quantization level).
// Depends on store/, formats/ and util; no HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "server/encode.h"
#include "store/store.h"
#include "util/status.h"

namespace corral::server {

struct ResolvedModel {
  store::ModelName name;
  std::string display;  // "smollm2:latest", as Ollama lists names
  store::Manifest manifest;
  store::Digest manifest_digest;
  std::string gguf_path;      // the model layer's blob
  uint64_t size = 0;          // config + layers
  std::string template_text;  // TEMPLATE layer ("" when none)
  std::string system;         // SYSTEM layer
  std::string license;
  nlohmann::json params = nlohmann::json::object();  // PARAMETER layer
  std::chrono::system_clock::time_point modified;
};

// not_found "model 'x' not found" when the name is unknown; invalid_argument for a bad name.
Result<ResolvedModel> resolve_model(const store::Store& store, const std::string& requested);

struct ModelDetails {
  Json details;     // {parent_model, format, family, families, parameter_size, quantization_level}
  Json model_info;  // GGUF scalar metadata and short arrays (long arrays such as the vocabulary omitted)
  uint64_t parameters = 0;
  int64_t context_length = 0;
};

// Ollama's names for GGUF general.file_type values ("Q4_K_M", ...); "unknown" otherwise.
std::string file_type_name(int64_t file_type);
// Ollama-style parameter count: "135M", "1.2B", "8.0B".
std::string parameter_size_string(uint64_t n);

// Reads details from a GGUF, caching by path.
class DetailsCache {
 public:
  Result<ModelDetails> get(const std::string& gguf_path);

 private:
  std::mutex mu_;
  std::map<std::string, ModelDetails> cache_;
};

// POST /api/show's reply for a stored model: license, modelfile (FROM the blob's path),
// parameters (Ollama's "name   value" lines), template, system, details, model_info,
// capabilities, modified_at. Also what `corral show NAME` prints without a server.
Result<Json> show_model(const store::Store& store, DetailsCache& details, const std::string& name);

}  // namespace corral::server
