// The per-architecture part of HF -> GGUF conversion: which HF `architectures` an entry
// handles, the GGUF architecture name, the hyper-parameter keys it writes from config.json,
// and how each HF tensor name maps to a GGUF tensor name (plus an optional transform such as
// llama's Q/K rope permutation). Entries live in models/<arch>/convert.cpp and are listed in
// convert/all_converters.cpp. Depends on util, formats and nlohmann_json only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "util/status.h"

namespace corral::convert {

// config.json with typed accessors that give clear errors ("config.json: 'hidden_size' ...").
class HfConfig {
 public:
  static Result<HfConfig> parse(std::string_view text);
  const nlohmann::json& json() const { return json_; }
  bool has(std::string_view key) const;
  // A positive integer (bounded to 2^31); not_found / invalid_argument otherwise.
  Result<int64_t> get_int(std::string_view key) const;
  Result<int64_t> get_int_or(std::string_view key, int64_t fallback) const;
  Result<double> get_float_or(std::string_view key, double fallback) const;
  bool get_bool_or(std::string_view key, bool fallback) const;
  // config["rope_scaling"] or transformers 5's config["rope_parameters"] (null when absent).
  const nlohmann::json& rope_parameters() const;
  // rope_theta from the top level or from rope_parameters.
  double rope_theta(double fallback) const;

 private:
  nlohmann::json json_;
};

// Rewrites a tensor's values in place (outermost-first shape). Runs on F32 data.
using TensorTransform = std::function<Status(std::span<float> data, std::span<const int64_t> shape)>;

struct TensorPlan {
  std::string gguf_name;
  TensorTransform transform;  // empty = none
};

// An extra tensor computed from the config (e.g. llama3's rope_freqs.weight), always F32.
struct ExtraTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct ArchConverter {
  std::string_view gguf_arch;                      // "llama"
  std::vector<std::string_view> hf_architectures;  // "LlamaForCausalLM", ...
  // Writes "<arch>.*" hyper-parameters (not general.* and not tokenizer.*).
  std::function<Status(const HfConfig& config, GgufWriter* writer)> write_hparams;
  // The plan for one HF tensor; nullopt = skip it (e.g. rotary inv_freq buffers);
  // an error for a tensor the architecture does not know.
  std::function<Result<std::optional<TensorPlan>>(const HfConfig& config, std::string_view hf_name)> map_tensor;
  // Tensors derived from the config alone; may be empty.
  std::function<Result<std::vector<ExtraTensor>>(const HfConfig& config)> extra_tensors;
};

// Every converter compiled in (the explicit list in all_converters.cpp).
std::span<const ArchConverter* const> all_converters();
// The converter for an HF architectures entry, or nullptr.
const ArchConverter* find_converter(std::string_view hf_architecture);

// Defined in models/<arch>/convert.cpp.
const ArchConverter& llama_converter();
const ArchConverter& qwen2_converter();

// Shared helpers for converters.
// Maps "model.layers.N.<suffix>" to ("blk.N.<gguf>") through a suffix table; nullopt when the
// name is not a layer tensor or the suffix is not in the table.
struct SuffixMap {
  std::string_view hf_suffix;   // "self_attn.q_proj.weight"
  std::string_view gguf_suffix; // "attn_q.weight"
};
std::optional<std::string> map_layer_tensor(std::string_view hf_name, std::string_view hf_prefix,
                                            std::span<const SuffixMap> table, int64_t* layer = nullptr);
// Reorders the rows of a [n_head * head_dim, ...] projection from the "rotate half" rope layout
// of HF checkpoints to the interleaved layout of GGUF llama files: within each head, row
// (half * head_dim/2 + i) moves to (2*i + half).
Status permute_rope_rows(std::span<float> data, std::span<const int64_t> shape, int64_t n_head);

}  // namespace corral::convert
