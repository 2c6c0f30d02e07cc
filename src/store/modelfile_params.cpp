#include "store/modelfile_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace corral::store {

namespace {

// Sorted by name. The Ollama option names; the deprecated ones (penalize_newline, mirostat*,
// low_vram, f16_kv, logits_all, vocab_only, use_mlock) are still accepted and typed.
constexpr ParamSpec kParams[] = {
    {"f16_kv", ParamType::kBool},
    {"frequency_penalty", ParamType::kFloat},
    {"logits_all", ParamType::kBool},
    {"low_vram", ParamType::kBool},
    {"main_gpu", ParamType::kInt},
    {"min_p", ParamType::kFloat},
    {"mirostat", ParamType::kInt},
    {"mirostat_eta", ParamType::kFloat},
    {"mirostat_tau", ParamType::kFloat},
    {"num_batch", ParamType::kInt},
    {"num_ctx", ParamType::kInt},
    {"num_gpu", ParamType::kInt},
    {"num_keep", ParamType::kInt},
    {"num_predict", ParamType::kInt},
    {"num_thread", ParamType::kInt},
    {"numa", ParamType::kBool},
    {"penalize_newline", ParamType::kBool},
    {"presence_penalty", ParamType::kFloat},
    {"repeat_last_n", ParamType::kInt},
    {"repeat_penalty", ParamType::kFloat},
    {"seed", ParamType::kInt},
    {"stop", ParamType::kStringList},
    {"temperature", ParamType::kFloat},
    {"tfs_z", ParamType::kFloat},
    {"top_k", ParamType::kInt},
    {"top_p", ParamType::kFloat},
    {"typical_p", ParamType::kFloat},
    {"use_mlock", ParamType::kBool},
    {"use_mmap", ParamType::kBool},
    {"vocab_only", ParamType::kBool},
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view v) {
  std::string out(v.substr(0, 60));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return v.size() > 60 ? out + "..." : out;
}

bool parse_int(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_float(std::string_view s, double* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  // Decimal only: no "inf", "nan" or hex floats.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, std::chars_format::general);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  return std::isfinite(*out) && std::fabs(*out) <= double(std::numeric_limits<float>::max());
}

bool parse_bool(std::string_view s, bool* out) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (s == t) return *out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (s == f) return *out = false, true;
  }
  return false;
}

}  // namespace

std::span<const ParamSpec> modelfile_params() { return kParams; }

const ParamSpec* find_modelfile_param(std::string_view name) {
  const std::string lower = lowercase(name);
  auto it = std::lower_bound(std::begin(kParams), std::end(kParams), lower,
                             [](const ParamSpec& p, const std::string& n) { return p.name < n; });
  if (it == std::end(kParams) || it->name != lower) return nullptr;
  return &*it;
}

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt: return "an integer";
    case ParamType::kFloat: return "a number";
    case ParamType::kBool: return "true or false";
    case ParamType::kStringList: return "a string";
  }
  return "a value";
}

Status add_modelfile_param(nlohmann::json& params, std::string_view name, std::string_view raw) {
  const ParamSpec* spec = find_modelfile_param(name);
  if (spec == nullptr) return invalid_argument("unknown parameter '%s'", shown(name).c_str());
  if (!params.is_object()) params = nlohmann::json::object();
  const std::string key(spec->name);
  auto bad = [&]() {
    return invalid_argument("parameter '%s' expects %s, got '%s'", key.c_str(),
                            std::string(param_type_name(spec->type)).c_str(), shown(raw).c_str());
  };
  std::string_view value = spec->type == ParamType::kStringList ? raw : trim(raw);
  switch (spec->type) {
    case ParamType::kInt: {
      int64_t v = 0;
      if (!parse_int(value, &v)) return bad();
      params[key] = v;
      break;
    }
    case ParamType::kFloat: {
      double v = 0;
      if (!parse_float(value, &v)) return bad();
      params[key] = v;
      break;
    }
    case ParamType::kBool: {
      bool v = false;
      if (!parse_bool(value, &v)) return bad();
      params[key] = v;
      break;
    }
    case ParamType::kStringList: {
      if (value.empty()) return invalid_argument("parameter '%s' must not be empty", key.c_str());
      nlohmann::json& list = params[key];
      if (!list.is_array()) list = nlohmann::json::array();
      list.push_back(std::string(value));
      break;
    }
  }
  return ok_status();
}

}  // namespace corral::store
