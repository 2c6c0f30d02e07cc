#include "server/requests.h"

#include <cmath>
#include <limits>
#include <string_view>

namespace corral::server {
namespace {

using nlohmann::json;

Result<int> get_int(const json& v, const char* name) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.is_number_unsigned() &&
        v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      return invalid_argument("option '%s' is out of range", name);
    }
    int64_t x = v.get<int64_t>();
    if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
      return invalid_argument("option '%s' is out of range", name);
    }
    return static_cast<int>(x);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 2e9) return static_cast<int>(d);
  }
  return invalid_argument("option '%s' must be an integer, got %s", name, v.type_name());
}

Result<float> get_float(const json& v, const char* name) {
  if (!v.is_number()) return invalid_argument("option '%s' must be a number, got %s", name, v.type_name());
  double d = v.get<double>();
  if (!std::isfinite(d)) return invalid_argument("option '%s' must be finite", name);
  return static_cast<float>(d);
}

Result<std::vector<std::string>> get_stop(const json& v, const char* name) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return invalid_argument("'%s' must be a string or a list of strings", name);
  for (const auto& s : v) {
    if (!s.is_string()) return invalid_argument("'%s' must be a list of strings", name);
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<std::string> opt_string(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return invalid_argument("'%s' must be a string, got %s", key, it->type_name());
  return it->get<std::string>();
}

Result<bool> opt_bool(const json& body, const char* key, bool dflt) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return dflt;
  if (!it->is_boolean()) return invalid_argument("'%s' must be true or false, got %s", key, it->type_name());
  return it->get<bool>();
}

Status common_fields(const json& body, GenerationParams* p) {
  CORRAL_ASSIGN_OR_RETURN(p->model, model_field(body));
  CORRAL_ASSIGN_OR_RETURN(p->stream, opt_bool(body, "stream", p->stream));
  if (auto it = body.find("options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_argument("'options' must be an object");
    p->options = *it;
  }
  if (auto it = body.find("keep_alive"); it != body.end() && !it->is_null()) {
    CORRAL_ASSIGN_OR_RETURN(p->keep_alive, sched::parse_keep_alive(*it));
  }
  if (auto it = body.find("format"); it != body.end()) {
    CORRAL_ASSIGN_OR_RETURN(p->grammar, parse_format(*it));
  }
  if (auto it = body.find("tools"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return invalid_argument("'tools' must be a list");
    for (const auto& t : *it) {
      if (!t.is_object()) return invalid_argument("each tool must be an object");
      if (t.contains("type") && !(t["type"].is_string() && t["type"].get<std::string>() == "function")) {
        return invalid_argument("tool type must be \"function\"");
      }
      auto fn = t.find("function");
      if (fn == t.end() || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string() ||
          (*fn)["name"].get<std::string>().empty()) {
        return invalid_argument("each tool needs a 'function' with a non-empty 'name'");
      }
      if (fn->contains("parameters") && !(*fn)["parameters"].is_object() && !(*fn)["parameters"].is_null()) {
        return invalid_argument("tool '%s': 'parameters' must be an object",
                                (*fn)["name"].get<std::string>().c_str());
      }
    }
    p->chat.tools = *it;
  }
  if (auto it = body.find("think"); it != body.end() && !it->is_null()) {
    if (it->is_boolean()) {
      p->chat.think = it->get<bool>();
    } else if (it->is_string() && (it->get<std::string>() == "high" || it->get<std::string>() == "medium" ||
                                   it->get<std::string>() == "low")) {
      p->chat.think = true;
      p->chat.think_level = it->get<std::string>();
    } else {
      return invalid_argument("'think' must be true, false, \"high\", \"medium\" or \"low\"");
    }
    p->chat.is_think_set = true;
  }
  return ok_status();
}

// OpenAI content: a string or a list of parts; only text parts are supported.
Result<std::string> openai_content(const json& c) {
  if (c.is_null()) return std::string();
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) return invalid_argument("message content must be a string or a list of parts");
  std::string out;
  for (const auto& part : c) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      return invalid_argument("message content part must be an object with a 'type'");
    }
    std::string type = part["type"].get<std::string>();
    if (type != "text") return unsupported("message content of type '%s' is not supported yet", type.c_str());
    if (!part.contains("text") || !part["text"].is_string())
      return invalid_argument("text part needs 'text'");
    out += part["text"].get<std::string>();
  }
  return out;
}

// OpenAI's sampling fields mapped to Ollama option names.
Status openai_options(const json& body, GenerationParams* p) {
  json& o = p->options;
  static const std::pair<const char*, const char*> kMap[] = {{"temperature", "temperature"},
                                                             {"top_p", "top_p"},
                                                             {"seed", "seed"},
                                                             {"frequency_penalty", "frequency_penalty"},
                                                             {"presence_penalty", "presence_penalty"},
                                                             {"max_tokens", "num_predict"},
                                                             {"max_completion_tokens", "num_predict"},
                                                             {"stop", "stop"}};
  for (auto [from, to] : kMap) {
    auto it = body.find(from);
    if (it != body.end() && !it->is_null()) o[to] = *it;
  }
  if (auto it = body.find("n");
      it != body.end() && !it->is_null() && !(it->is_number_integer() && it->get<int64_t>() == 1)) {
    return invalid_argument("'n' other than 1 is not supported");
  }
  if (auto it = body.find("response_format"); it != body.end() && !it->is_null()) {
    if (!it->is_object() || !it->contains("type") || !(*it)["type"].is_string()) {
      return invalid_argument("'response_format' must be an object with a 'type'");
    }
    std::string type = (*it)["type"].get<std::string>();
    if (type == "json_object") {
      CORRAL_ASSIGN_OR_RETURN(p->grammar, parse_format(json("json")));
    } else if (type == "json_schema") {
      auto js = it->find("json_schema");
      if (js == it->end() || !js->is_object() || !js->contains("schema")) {
        return invalid_argument("response_format json_schema needs 'json_schema': {'name', 'schema'}");
      }
      if (!(*js)["schema"].is_object())
        return invalid_argument("response_format json_schema.schema must be an object");
      CORRAL_ASSIGN_OR_RETURN(p->grammar, parse_format((*js)["schema"]));
    } else if (type != "text") {
      return invalid_argument("response_format type '%s' is not one of text, json_object, json_schema",
                              type.c_str());
    }
  }
  if (auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return invalid_argument("'stream_options' must be an object");
    p->include_usage = it->value("include_usage", false);
  }
  return ok_status();
}

}  // namespace

Status apply_options(const json& options, RunOptions* out) {
  if (options.is_null()) return ok_status();
  if (!options.is_object()) return invalid_argument("'options' must be an object");
  sample::SamplerOptions& s = out->sampling;
  for (const auto& [key, v] : options.items()) {
    if (v.is_null()) continue;
    const char* k = key.c_str();
    if (key == "num_ctx") {
      CORRAL_ASSIGN_OR_RETURN(out->num_ctx, get_int(v, k));
    } else if (key == "num_predict") {
      CORRAL_ASSIGN_OR_RETURN(out->num_predict, get_int(v, k));
    } else if (key == "num_keep") {
      CORRAL_ASSIGN_OR_RETURN(out->num_keep, get_int(v, k));
    } else if (key == "num_thread") {
      CORRAL_ASSIGN_OR_RETURN(out->num_thread, get_int(v, k));
    } else if (key == "use_mmap") {
      CORRAL_ASSIGN_OR_RETURN(const bool mmap, opt_bool(options, k, false));
      out->use_mmap = mmap ? 1 : 0;
    } else if (key == "num_batch") {
      CORRAL_ASSIGN_OR_RETURN(out->num_batch, get_int(v, k));
    } else if (key == "temperature") {
      CORRAL_ASSIGN_OR_RETURN(s.temperature, get_float(v, k));
    } else if (key == "top_k") {
      CORRAL_ASSIGN_OR_RETURN(s.top_k, get_int(v, k));
    } else if (key == "top_p") {
      CORRAL_ASSIGN_OR_RETURN(s.top_p, get_float(v, k));
    } else if (key == "min_p") {
      CORRAL_ASSIGN_OR_RETURN(s.min_p, get_float(v, k));
    } else if (key == "typical_p") {
      CORRAL_ASSIGN_OR_RETURN(s.typical_p, get_float(v, k));
    } else if (key == "repeat_penalty") {
      CORRAL_ASSIGN_OR_RETURN(s.repeat_penalty, get_float(v, k));
    } else if (key == "repeat_last_n") {
      CORRAL_ASSIGN_OR_RETURN(s.repeat_last_n, get_int(v, k));
    } else if (key == "presence_penalty") {
      CORRAL_ASSIGN_OR_RETURN(s.presence_penalty, get_float(v, k));
    } else if (key == "frequency_penalty") {
      CORRAL_ASSIGN_OR_RETURN(s.frequency_penalty, get_float(v, k));
    } else if (key == "seed") {
      CORRAL_ASSIGN_OR_RETURN(int seed, get_int(v, k));
      s.seed = seed;
    } else if (key == "stop") {
      CORRAL_ASSIGN_OR_RETURN(out->stop, get_stop(v, k));
    }
    // Other Ollama options (mirostat, num_gpu, ...) are accepted and ignored.
  }
  if (out->num_ctx < 1 || out->num_ctx > (1 << 20)) {
    return invalid_argument("option 'num_ctx' must be between 1 and %d, got %d", 1 << 20, out->num_ctx);
  }
  if (out->num_predict < -2)
    return invalid_argument("option 'num_predict' must be >= -2, got %d", out->num_predict);
  if (out->num_batch < 1) return invalid_argument("option 'num_batch' must be positive");
  if (out->num_thread < 0 || out->num_thread > 1024) {
    return invalid_argument("option 'num_thread' must be between 0 (the server's default) and 1024, got %d",
                            out->num_thread);
  }
  s.num_ctx = out->num_ctx;
  CORRAL_TRY(s.validate());
  return ok_status();
}

Result<std::string> model_field(const json& body) {
  for (const char* key : {"model", "name"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) return invalid_argument("'%s' must be a string", key);
    if (!it->get<std::string>().empty()) return it->get<std::string>();
  }
  return invalid_argument("model is required");
}

Result<std::shared_ptr<const sample::JsonGrammar>> parse_format(const json& format) {
  if (format.is_null()) return std::shared_ptr<const sample::JsonGrammar>();
  if (format.is_string()) {
    const std::string& f = format.get_ref<const std::string&>();
    if (f.empty()) return std::shared_ptr<const sample::JsonGrammar>();
    if (f == "json") return sample::JsonGrammar::any_object();
    return invalid_argument("invalid format '%s': expected \"json\" or a JSON schema object", f.c_str());
  }
  if (!format.is_object()) return invalid_argument("'format' must be \"json\" or a JSON schema object");
  return sample::JsonGrammar::from_schema(format);
}

Result<json> parse_body(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    if (body.empty()) return invalid_argument("missing request body");
    return invalid_argument("invalid JSON in request body");
  }
  if (!j.is_object()) return invalid_argument("request body must be a JSON object");
  return j;
}

Result<GenerationParams> parse_generate_request(const json& body) {
  GenerationParams p;
  p.kind = ApiKind::kGenerate;
  CORRAL_TRY(common_fields(body, &p));
  CORRAL_ASSIGN_OR_RETURN(p.prompt, opt_string(body, "prompt"));
  CORRAL_ASSIGN_OR_RETURN(p.suffix, opt_string(body, "suffix"));
  CORRAL_ASSIGN_OR_RETURN(p.system, opt_string(body, "system"));
  CORRAL_ASSIGN_OR_RETURN(p.template_text, opt_string(body, "template"));
  CORRAL_ASSIGN_OR_RETURN(p.raw, opt_bool(body, "raw", false));
  if (auto it = body.find("context"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return invalid_argument("'context' must be a list of token ids");
    for (const auto& t : *it) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
          t.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
        return invalid_argument("'context' must be a list of token ids");
      }
      p.context.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
  }
  if (auto it = body.find("images"); it != body.end() && it->is_array() && !it->empty()) {
    return invalid_argument("images are not supported by this model");
  }
  if (p.raw && !p.template_text.empty())
    return invalid_argument("raw mode does not support template, system, or context");
  return p;
}

Result<GenerationParams> parse_chat_request(const json& body) {
  GenerationParams p;
  p.kind = ApiKind::kChat;
  CORRAL_TRY(common_fields(body, &p));
  CORRAL_ASSIGN_OR_RETURN(p.template_text, opt_string(body, "template"));
  auto it = body.find("messages");
  p.has_messages = it != body.end() && !it->is_null();
  if (p.has_messages && !it->is_array()) return invalid_argument("'messages' must be a list");
  if (p.has_messages) {
    for (const auto& m : *it) {
      if (!m.is_object()) return invalid_argument("each message must be an object");
      if (!m.contains("role") || !m["role"].is_string())
        return invalid_argument("each message needs a 'role'");
      if (m.contains("images") && m["images"].is_array() && !m["images"].empty()) {
        return invalid_argument("images are not supported by this model");
      }
    }
    json only = {{"messages", *it}};
    tmpl::ChatRequest flags = p.chat;
    CORRAL_ASSIGN_OR_RETURN(p.chat, tmpl::chat_request_from_json(only));
    p.chat.tools = flags.tools;
    p.chat.think = flags.think;
    p.chat.think_level = flags.think_level;
    p.chat.is_think_set = flags.is_think_set;
  }
  return p;
}

Result<GenerationParams> parse_openai_chat_request(const json& body) {
  GenerationParams p;
  p.kind = ApiKind::kOpenAIChat;
  p.stream = false;
  CORRAL_TRY(common_fields(json{{"model", body.value("model", json())},
                                {"stream", body.value("stream", json())},
                                {"tools", body.value("tools", json())},
                                {"think", body.value("think", json())}},
                           &p));
  CORRAL_TRY(openai_options(body, &p));
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty())
    return invalid_argument("'messages' must be a non-empty list");
  json messages = json::array();
  for (const auto& m : *it) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return invalid_argument("each message must be an object with a 'role'");
    }
    CORRAL_ASSIGN_OR_RETURN(std::string content, openai_content(m.value("content", json())));
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    json msg = {{"role", role}, {"content", content}};
    for (const char* key : {"tool_calls", "tool_call_id", "name"}) {
      if (m.contains(key) && !m[key].is_null()) msg[key] = m[key];
    }
    if (role == "tool" && m.contains("name") && m["name"].is_string()) msg["tool_name"] = m["name"];
    messages.push_back(msg);
  }
  p.has_messages = true;
  json tools = p.chat.tools;
  tmpl::ChatRequest flags = p.chat;
  CORRAL_ASSIGN_OR_RETURN(p.chat, tmpl::chat_request_from_json(json{{"messages", messages}}));
  p.chat.tools = tools;
  p.chat.think = flags.think;
  p.chat.think_level = flags.think_level;
  p.chat.is_think_set = flags.is_think_set;
  return p;
}

Result<GenerationParams> parse_openai_completion_request(const json& body) {
  GenerationParams p;
  p.kind = ApiKind::kOpenAICompletion;
  p.stream = false;
  CORRAL_TRY(common_fields(
      json{{"model", body.value("model", json())}, {"stream", body.value("stream", json())}}, &p));
  CORRAL_TRY(openai_options(body, &p));
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return invalid_argument("'prompt' is required");
  if (it->is_array()) {
    if (it->size() != 1 || !(*it)[0].is_string()) return unsupported("only one string prompt is supported");
    p.prompt = (*it)[0].get<std::string>();
  } else if (it->is_string()) {
    p.prompt = it->get<std::string>();
  } else {
    return invalid_argument("'prompt' must be a string");
  }
  CORRAL_ASSIGN_OR_RETURN(p.suffix, opt_string(body, "suffix"));
  if (!p.suffix.empty()) return unsupported("'suffix' is not supported yet");
  p.raw = true;  // OpenAI completions take the prompt as it is
  return p;
}

}  // namespace corral::server
