// HF -> GGUF conversion of LlamaForCausalLM and MistralForCausalLM (GGUF architecture "llama"):
// hyper-parameter keys, tensor names, the Q/K row permutation from HF's "rotate half" rope
// layout to GGUF llama's interleaved layout, and llama3 rope scaling as rope_freqs.weight.
// Compiled into corral_convert; depends on convert/arch_converter.h only.
#include <cmath>
#include <numbers>

#include "convert/arch_converter.h"

namespace corral::convert {
namespace {

constexpr SuffixMap kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

void set_u32(GgufWriter* w, const std::string& key, int64_t v) { w->set(key, GgufValue::from_u32(static_cast<uint32_t>(v))); }
void set_f32(GgufWriter* w, const std::string& key, double v) { w->set(key, GgufValue::from_f32(static_cast<float>(v))); }

std::string rope_type(const HfConfig& c) {
  const nlohmann::json& rp = c.rope_parameters();
  if (!rp.is_object()) return "default";
  for (const char* key : {"rope_type", "type"}) {
    auto it = rp.find(key);
    if (it != rp.end() && it->is_string()) return it->get<std::string>();
  }
  return "default";
}

double rope_number(const HfConfig& c, const char* key, double fallback) {
  const nlohmann::json& rp = c.rope_parameters();
  auto it = rp.find(key);
  return it != rp.end() && it->is_number() ? it->get<double>() : fallback;
}

Result<int64_t> head_dim(const HfConfig& c) {
  CORRAL_ASSIGN_OR_RETURN(int64_t hidden, c.get_int("hidden_size"));
  CORRAL_ASSIGN_OR_RETURN(int64_t heads, c.get_int("num_attention_heads"));
  return c.get_int_or("head_dim", hidden / heads);
}

Status write_hparams(const HfConfig& c, GgufWriter* w) {
  CORRAL_ASSIGN_OR_RETURN(int64_t hidden, c.get_int("hidden_size"));
  CORRAL_ASSIGN_OR_RETURN(int64_t heads, c.get_int("num_attention_heads"));
  CORRAL_ASSIGN_OR_RETURN(int64_t kv_heads, c.get_int_or("num_key_value_heads", heads));
  CORRAL_ASSIGN_OR_RETURN(int64_t layers, c.get_int("num_hidden_layers"));
  CORRAL_ASSIGN_OR_RETURN(int64_t ffn, c.get_int("intermediate_size"));
  CORRAL_ASSIGN_OR_RETURN(int64_t ctx, c.get_int_or("max_position_embeddings", 4096));
  CORRAL_ASSIGN_OR_RETURN(int64_t vocab, c.get_int("vocab_size"));
  CORRAL_ASSIGN_OR_RETURN(double eps, c.get_float_or("rms_norm_eps", 1e-6));
  CORRAL_ASSIGN_OR_RETURN(int64_t hd, head_dim(c));
  if (heads % kv_heads != 0) return invalid_argument("config.json: num_attention_heads is not a multiple of num_key_value_heads");
  set_u32(w, "llama.context_length", ctx);
  set_u32(w, "llama.embedding_length", hidden);
  set_u32(w, "llama.block_count", layers);
  set_u32(w, "llama.feed_forward_length", ffn);
  set_u32(w, "llama.attention.head_count", heads);
  set_u32(w, "llama.attention.head_count_kv", kv_heads);
  set_f32(w, "llama.rope.freq_base", c.rope_theta(10000.0));
  set_f32(w, "llama.attention.layer_norm_rms_epsilon", eps);
  set_u32(w, "llama.attention.key_length", hd);  // llama.cpp's converter writes both always
  set_u32(w, "llama.attention.value_length", hd);
  set_u32(w, "llama.rope.dimension_count", hd);
  set_u32(w, "llama.vocab_size", vocab);
  const std::string rt = rope_type(c);
  if (rt == "linear") {
    w->set("llama.rope.scaling.type", GgufValue::from_string("linear"));
    set_f32(w, "llama.rope.scaling.factor", rope_number(c, "factor", 1.0));
  } else if (rt == "yarn") {
    w->set("llama.rope.scaling.type", GgufValue::from_string("yarn"));
    set_f32(w, "llama.rope.scaling.factor", rope_number(c, "factor", 1.0));
    set_u32(w, "llama.rope.scaling.original_context_length",
            static_cast<int64_t>(rope_number(c, "original_max_position_embeddings", static_cast<double>(ctx))));
  } else if (rt != "default" && rt != "llama3") {
    return unsupported("config.json: rope type '%s' is not supported for llama", rt.c_str());
  }
  return ok_status();
}

Result<std::optional<TensorPlan>> map_tensor(const HfConfig& c, std::string_view hf) {
  if (hf == "model.embed_tokens.weight") return std::optional<TensorPlan>(TensorPlan{"token_embd.weight", {}});
  if (hf == "model.norm.weight") return std::optional<TensorPlan>(TensorPlan{"output_norm.weight", {}});
  if (hf == "lm_head.weight") return std::optional<TensorPlan>(TensorPlan{"output.weight", {}});
  if (hf.find("rotary_emb.inv_freq") != std::string_view::npos) return std::optional<TensorPlan>();
  auto name = map_layer_tensor(hf, "model.layers.", kLayerNames);
  if (!name) {
    return unsupported("llama converter: unknown tensor '%.*s'", static_cast<int>(hf.size()), hf.data());
  }
  TensorPlan plan{*name, {}};
  const bool is_q = hf.find("self_attn.q_proj.") != std::string_view::npos;
  const bool is_k = hf.find("self_attn.k_proj.") != std::string_view::npos;
  if (is_q || is_k) {
    CORRAL_ASSIGN_OR_RETURN(int64_t heads, c.get_int("num_attention_heads"));
    CORRAL_ASSIGN_OR_RETURN(int64_t kv_heads, c.get_int_or("num_key_value_heads", heads));
    const int64_t n = is_q ? heads : kv_heads;
    plan.transform = [n](std::span<float> data, std::span<const int64_t> shape) {
      return permute_rope_rows(data, shape, n);
    };
  }
  return std::optional<TensorPlan>(std::move(plan));
}

// llama3 rope scaling: per-frequency divisors (1 for short wavelengths, `factor` for long
// ones, a smooth blend in between), stored as rope_freqs.weight [head_dim / 2].
Result<std::vector<ExtraTensor>> extra_tensors(const HfConfig& c) {
  std::vector<ExtraTensor> out;
  if (rope_type(c) != "llama3") return out;
  CORRAL_ASSIGN_OR_RETURN(int64_t hd, head_dim(c));
  const double base = c.rope_theta(10000.0);
  const double factor = rope_number(c, "factor", 8.0);
  const double low = rope_number(c, "low_freq_factor", 1.0);
  const double high = rope_number(c, "high_freq_factor", 4.0);
  const double old_ctx = rope_number(c, "original_max_position_embeddings", 8192.0);
  if (!(factor > 0) || !(high > low) || !(old_ctx > 0)) {
    return invalid_argument("config.json: invalid llama3 rope scaling parameters");
  }
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  ExtraTensor t{"rope_freqs.weight", {hd / 2}, {}};
  for (int64_t i = 0; i < hd / 2; ++i) {
    const double freq = 1.0 / std::pow(base, static_cast<double>(2 * i) / static_cast<double>(hd));
    const double wavelen = 2.0 * std::numbers::pi / freq;
    double f = 1.0;
    if (wavelen > low_wavelen) {
      f = factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      f = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    t.data.push_back(static_cast<float>(f));
  }
  out.push_back(std::move(t));
  return out;
}

}  // namespace

const ArchConverter& llama_converter() {
  static const ArchConverter kConverter{
      "llama", {"LlamaForCausalLM", "MistralForCausalLM"}, write_hparams, map_tensor, extra_tensors};
  return kConverter;
}

}  // namespace corral::convert
