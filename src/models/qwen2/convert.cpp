// HF -> GGUF conversion of Qwen2ForCausalLM (GGUF architecture "qwen2"): hyper-parameter keys
// and tensor names (Q/K/V carry biases; rope is the NeoX layout, so no row permutation).
// Compiled into corral_convert; depends on convert/arch_converter.h only.
#include "convert/arch_converter.h"

namespace corral::convert {
namespace {

constexpr SuffixMap kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

void set_u32(GgufWriter* w, const std::string& key, int64_t v) { w->set(key, GgufValue::from_u32(static_cast<uint32_t>(v))); }
void set_f32(GgufWriter* w, const std::string& key, double v) { w->set(key, GgufValue::from_f32(static_cast<float>(v))); }

Status write_hparams(const HfConfig& c, GgufWriter* w) {
  CORRAL_ASSIGN_OR_RETURN(int64_t hidden, c.get_int("hidden_size"));
  CORRAL_ASSIGN_OR_RETURN(int64_t heads, c.get_int("num_attention_heads"));
  CORRAL_ASSIGN_OR_RETURN(int64_t kv_heads, c.get_int_or("num_key_value_heads", heads));
  CORRAL_ASSIGN_OR_RETURN(int64_t layers, c.get_int("num_hidden_layers"));
  CORRAL_ASSIGN_OR_RETURN(int64_t ffn, c.get_int("intermediate_size"));
  CORRAL_ASSIGN_OR_RETURN(int64_t ctx, c.get_int_or("max_position_embeddings", 32768));
  CORRAL_ASSIGN_OR_RETURN(double eps, c.get_float_or("rms_norm_eps", 1e-6));
  if (heads % kv_heads != 0) return invalid_argument("config.json: num_attention_heads is not a multiple of num_key_value_heads");
  set_u32(w, "qwen2.context_length", ctx);
  set_u32(w, "qwen2.embedding_length", hidden);
  set_u32(w, "qwen2.block_count", layers);
  set_u32(w, "qwen2.feed_forward_length", ffn);
  set_u32(w, "qwen2.attention.head_count", heads);
  set_u32(w, "qwen2.attention.head_count_kv", kv_heads);
  set_f32(w, "qwen2.rope.freq_base", c.rope_theta(1000000.0));
  set_f32(w, "qwen2.attention.layer_norm_rms_epsilon", eps);
  const nlohmann::json& rp = c.rope_parameters();
  if (rp.is_object()) {
    auto type = rp.find("rope_type");
    if (type == rp.end()) type = rp.find("type");
    const std::string t = type != rp.end() && type->is_string() ? type->get<std::string>() : "default";
    auto number = [&rp](const char* key, double fallback) {
      auto it = rp.find(key);
      return it != rp.end() && it->is_number() ? it->get<double>() : fallback;
    };
    if (t == "yarn" || t == "linear") {
      w->set("qwen2.rope.scaling.type", GgufValue::from_string(t));
      set_f32(w, "qwen2.rope.scaling.factor", number("factor", 1.0));
      if (t == "yarn") {
        set_u32(w, "qwen2.rope.scaling.original_context_length",
                static_cast<int64_t>(number("original_max_position_embeddings", static_cast<double>(ctx))));
      }
    } else if (t != "default") {
      return unsupported("config.json: rope type '%s' is not supported for qwen2", t.c_str());
    }
  }
  return ok_status();
}

Result<std::optional<TensorPlan>> map_tensor(const HfConfig&, std::string_view hf) {
  if (hf == "model.embed_tokens.weight") return std::optional<TensorPlan>(TensorPlan{"token_embd.weight", {}});
  if (hf == "model.norm.weight") return std::optional<TensorPlan>(TensorPlan{"output_norm.weight", {}});
  if (hf == "lm_head.weight") return std::optional<TensorPlan>(TensorPlan{"output.weight", {}});
  if (hf.find("rotary_emb.inv_freq") != std::string_view::npos) return std::optional<TensorPlan>();
  auto name = map_layer_tensor(hf, "model.layers.", kLayerNames);
  if (!name) return unsupported("qwen2 converter: unknown tensor '%.*s'", static_cast<int>(hf.size()), hf.data());
  return std::optional<TensorPlan>(TensorPlan{*name, {}});
}

}  // namespace

const ArchConverter& qwen2_converter() {
  static const ArchConverter kConverter{"qwen2", {"Qwen2ForCausalLM"}, write_hparams, map_tensor, nullptr};
  return kConverter;
}

}  // namespace corral::convert
