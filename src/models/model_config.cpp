#include "models/model_config.h"

#include <cmath>

namespace corral {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;  // sanity bound on any size read from a file

class KeyReader {
 public:
  KeyReader(const GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}

  std::string key(const char* suffix) const { return arch_ + "." + suffix; }

  // A positive integer key; `fallback` when absent (or kNotFound when fallback < 0).
  Result<int64_t> size(const char* suffix, int64_t fallback = -1) const {
    const std::string k = key(suffix);
    const GgufValue* v = file_.find(k);
    if (v == nullptr) {
      if (fallback >= 0) return fallback;
      return not_found("model metadata: required key '%s' is missing", k.c_str());
    }
    const auto i = v->as_int();
    if (!i || *i <= 0 || *i > kMaxDim) {
      return corrupt("model metadata: '%s' must be an integer in [1, %lld]", k.c_str(),
                     static_cast<long long>(kMaxDim));
    }
    return *i;
  }

  Result<float> real(const char* suffix, float fallback, bool positive) const {
    const std::string k = key(suffix);
    const GgufValue* v = file_.find(k);
    if (v == nullptr) return fallback;
    const auto f = v->as_float();
    if (!f || !std::isfinite(*f) || (positive && *f <= 0.0)) {
      return corrupt("model metadata: '%s' must be a finite%s number", k.c_str(), positive ? " positive" : "");
    }
    return static_cast<float>(*f);
  }

 private:
  const GgufFile& file_;
  std::string arch_;
};

Status parse_rope_scaling(const KeyReader& r, const GgufFile& file, ModelConfig* c) {
  const auto type = file.get_string(r.key("rope.scaling.type"));
  if (!type || *type == "none") return ok_status();
  if (*type == "linear") {
    c->rope_scaling.type = RopeScalingType::kLinear;
  } else if (*type == "yarn") {
    c->rope_scaling.type = RopeScalingType::kYarn;
  } else {
    return unsupported("model metadata: rope scaling type '%s' is not supported (none, linear, yarn)", type->c_str());
  }
  CORRAL_ASSIGN_OR_RETURN(c->rope_scaling.factor, r.real("rope.scaling.factor", 1.0f, true));
  CORRAL_ASSIGN_OR_RETURN(c->rope_scaling.original_context_length,
                          r.size("rope.scaling.original_context_length", c->context_length));
  return ok_status();
}

}  // namespace

Result<ModelConfig> parse_model_config(const GgufFile& file) {
  ModelConfig c;
  c.architecture = file.architecture();
  if (c.architecture.empty()) return not_found("model metadata: 'general.architecture' is missing");
  const KeyReader r(file, c.architecture);
  CORRAL_ASSIGN_OR_RETURN(c.hidden_size, r.size("embedding_length"));
  CORRAL_ASSIGN_OR_RETURN(c.num_layers, r.size("block_count"));
  CORRAL_ASSIGN_OR_RETURN(c.num_heads, r.size("attention.head_count"));
  CORRAL_ASSIGN_OR_RETURN(c.num_kv_heads, r.size("attention.head_count_kv", c.num_heads));
  CORRAL_ASSIGN_OR_RETURN(c.ffn_dim, r.size("feed_forward_length"));
  CORRAL_ASSIGN_OR_RETURN(c.context_length, r.size("context_length"));
  if (c.hidden_size % c.num_heads != 0 && !file.find(r.key("attention.key_length"))) {
    return corrupt("model metadata: embedding_length %lld is not divisible by head_count %lld",
                   static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_heads));
  }
  CORRAL_ASSIGN_OR_RETURN(c.head_dim, r.size("attention.key_length", c.hidden_size / c.num_heads));
  CORRAL_ASSIGN_OR_RETURN(c.head_dim_v, r.size("attention.value_length", c.head_dim));
  if (c.num_heads % c.num_kv_heads != 0) {
    return corrupt("model metadata: head_count %lld is not a multiple of head_count_kv %lld",
                   static_cast<long long>(c.num_heads), static_cast<long long>(c.num_kv_heads));
  }
  CORRAL_ASSIGN_OR_RETURN(c.rope_base, r.real("rope.freq_base", 10000.0f, true));
  CORRAL_ASSIGN_OR_RETURN(c.rope_dims, r.size("rope.dimension_count", c.head_dim));
  if (c.rope_dims % 2 != 0 || c.rope_dims > c.head_dim) {
    return corrupt("model metadata: rope.dimension_count %lld must be even and <= head dim %lld",
                   static_cast<long long>(c.rope_dims), static_cast<long long>(c.head_dim));
  }
  CORRAL_TRY(parse_rope_scaling(r, file, &c));
  CORRAL_ASSIGN_OR_RETURN(c.norm_eps, r.real("attention.layer_norm_rms_epsilon", 1e-5f, true));
  const GgufTensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return not_found("model: tensor 'token_embd.weight' is missing (needed for the vocabulary size)");
  if (embd->shape.size() != 2 || embd->shape[1] != c.hidden_size) {
    return corrupt("model: tensor 'token_embd.weight' must be [vocab, %lld]", static_cast<long long>(c.hidden_size));
  }
  c.vocab_size = embd->shape[0];
  if (c.vocab_size <= 0 || c.vocab_size > kMaxDim) return corrupt("model: vocabulary size %lld out of range",
                                                                   static_cast<long long>(c.vocab_size));
  return c;
}

}  // namespace corral
