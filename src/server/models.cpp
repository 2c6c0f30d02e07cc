#include "server/models.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "formats/gguf.h"

namespace corral::server {

namespace fs = std::filesystem;

Result<ResolvedModel> resolve_model(const store::Store& st, const std::string& requested) {
  Result<store::ModelName> name = st.parse_name(requested);
  if (!name.ok())
    return invalid_argument("invalid model name '%s': %s", requested.c_str(),
                            name.status().message().c_str());
  if (!st.has_model(*name)) return not_found("model '%s' not found", requested.c_str());
  Result<store::Manifest> manifest = st.read_manifest(*name);
  if (!manifest.ok()) {
    if (manifest.status().code() == StatusCode::kNotFound)
      return not_found("model '%s' not found", requested.c_str());
    return manifest.status().with_context("model '" + requested + "'");
  }
  ResolvedModel m{*name,     name->display_with_tag(st.defaults()),
                  *manifest, {},
                  {},        0,
                  {},        {},
                  {},        nlohmann::json::object(),
                  {}};
  CORRAL_ASSIGN_OR_RETURN(m.manifest_digest, st.manifest_digest(*name));
  m.size = manifest->total_size();
  auto models = manifest->layers_of(store::media_type::kModel);
  if (models.empty())
    return invalid_argument("model '%s' has no model layer (adapters and projectors alone cannot run)",
                            requested.c_str());
  m.gguf_path = st.blobs().path(models.front()->digest);
  auto text_layer = [&](std::string_view type, std::string* out) -> Status {
    auto layers = manifest->layers_of(type);
    if (layers.empty()) return ok_status();
    CORRAL_ASSIGN_OR_RETURN(*out, st.blobs().read(layers.front()->digest, 16u << 20));
    return ok_status();
  };
  CORRAL_TRY(text_layer(store::media_type::kTemplate, &m.template_text));
  CORRAL_TRY(text_layer(store::media_type::kSystem, &m.system));
  CORRAL_TRY(text_layer(store::media_type::kLicense, &m.license));
  std::string params;
  CORRAL_TRY(text_layer(store::media_type::kParams, &params));
  if (!params.empty()) {
    m.params = nlohmann::json::parse(params, nullptr, false);
    if (!m.params.is_object())
      return corrupt("model '%s': its parameters layer is not a JSON object", requested.c_str());
  }
  std::error_code ec;
  auto mtime = fs::last_write_time(st.manifest_file(*name), ec);
  if (!ec) {
    m.modified = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        std::chrono::file_clock::to_sys(mtime));
  }
  return m;
}

std::string file_type_name(int64_t t) {
  // llama.cpp's LLAMA_FTYPE values, as GGUF general.file_type stores them.
  switch (t) {
    case 0:
      return "F32";
    case 1:
      return "F16";
    case 2:
      return "Q4_0";
    case 3:
      return "Q4_1";
    case 7:
      return "Q8_0";
    case 8:
      return "Q5_0";
    case 9:
      return "Q5_1";
    case 10:
      return "Q2_K";
    case 11:
      return "Q3_K_S";
    case 12:
      return "Q3_K_M";
    case 13:
      return "Q3_K_L";
    case 14:
      return "Q4_K_S";
    case 15:
      return "Q4_K_M";
    case 16:
      return "Q5_K_S";
    case 17:
      return "Q5_K_M";
    case 18:
      return "Q6_K";
    case 32:
      return "BF16";
    default:
      return "unknown";
  }
}

std::string parameter_size_string(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull) {
    std::snprintf(buf, sizeof buf, "%.1fB", static_cast<double>(n) / 1e9);
  } else if (n >= 1000000ull) {
    std::snprintf(buf, sizeof buf, "%.0fM", static_cast<double>(n) / 1e6);
  } else if (n >= 1000ull) {
    std::snprintf(buf, sizeof buf, "%.0fK", static_cast<double>(n) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

namespace {

Json gguf_value_json(const GgufValue& v) {
  if (const std::string* s = v.as_string()) return *s;
  if (auto b = v.type() == GgufType::kBool ? v.as_bool() : std::nullopt) return *b;
  if (auto i = v.as_int()) return *i;
  if (auto u = v.as_uint()) return *u;
  if (auto f = v.as_float()) return *f;
  return nullptr;
}

Json gguf_array_json(const GgufArray& a) {
  Json arr = Json::array();
  switch (a.element_type) {
    case GgufType::kString:
      for (const auto& s : a.strings) arr.push_back(s);
      break;
    case GgufType::kF32:
    case GgufType::kF64:
      for (double f : a.floats) arr.push_back(f);
      break;
    case GgufType::kBool:
      for (int64_t i : a.ints) arr.push_back(i != 0);
      break;
    case GgufType::kArray:
      for (const auto& v : a.values)
        arr.push_back(v.as_array() ? gguf_array_json(*v.as_array()) : gguf_value_json(v));
      break;
    default:
      for (int64_t i : a.ints) arr.push_back(i);
      break;
  }
  return arr;
}

}  // namespace

Result<ModelDetails> DetailsCache::get(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(path); it != cache_.end()) return it->second;
  }
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  ModelDetails d;
  std::string arch = file.architecture();
  for (const auto& t : file.tensors()) {
    uint64_t n = 1;
    for (int64_t dim : t.shape) n *= static_cast<uint64_t>(dim);
    d.parameters += n;
  }
  std::string quant = "unknown";
  if (auto ft = file.get_int("general.file_type")) quant = file_type_name(*ft);
  d.details = {{"parent_model", ""},
               {"format", "gguf"},
               {"family", arch},
               {"families", Json::array({arch})},
               {"parameter_size", parameter_size_string(d.parameters)},
               {"quantization_level", quant}};
  d.model_info = Json::object();
  for (const auto& [key, value] : file.metadata()) {
    if (const GgufArray* a = value.as_array()) {
      if (a->size() > 64) {
        d.model_info[key] = nullptr;  // Ollama leaves long arrays (the vocabulary) out unless verbose
        continue;
      }
      d.model_info[key] = gguf_array_json(*a);
      continue;
    }
    d.model_info[key] = gguf_value_json(value);
  }
  d.model_info["general.parameter_count"] = d.parameters;
  if (auto n = file.get_int(arch + ".context_length")) d.context_length = *n;
  std::lock_guard<std::mutex> lock(mu_);
  cache_[path] = d;
  return d;
}

Result<Json> show_model(const store::Store& st, DetailsCache& details, const std::string& name) {
  CORRAL_ASSIGN_OR_RETURN(ResolvedModel m, resolve_model(st, name));
  Result<ModelDetails> d = details.get(m.gguf_path);
  if (!d.ok()) return d.status().with_context("model '" + name + "'");
  std::string parameters;
  for (const auto& item : m.params.items()) {
    // Named, not a structured binding: clang 14 (the sanitizer build) cannot capture bindings.
    const std::string& k = item.key();
    const nlohmann::json& v = item.value();
    auto add = [&](const nlohmann::json& x) {
      parameters += k + std::string(std::max<size_t>(1, 30 - k.size()), ' ') +
                    (x.is_string() ? x.get<std::string>() : x.dump()) + "\n";
    };
    if (v.is_array()) {
      for (const auto& x : v) add(x);
    } else {
      add(v);
    }
  }
  std::string modelfile = "# Modelfile generated by \"corral show\"\nFROM " + m.gguf_path + "\n";
  if (!m.template_text.empty()) modelfile += "TEMPLATE \"\"\"" + m.template_text + "\"\"\"\n";
  if (!m.system.empty()) modelfile += "SYSTEM \"\"\"" + m.system + "\"\"\"\n";
  return Json{{"license", m.license},
              {"modelfile", modelfile},
              {"parameters", parameters},
              {"template", m.template_text},
              {"system", m.system},
              {"details", d->details},
              {"model_info", d->model_info},
              {"capabilities", Json::array({"completion"})},
              {"modified_at", rfc3339(m.modified)}};
}

}  // namespace corral::server
