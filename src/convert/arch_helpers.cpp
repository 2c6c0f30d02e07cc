// HfConfig accessors and the helpers shared by the per-architecture converters.
#include <charconv>
#include <cmath>
#include <vector>

#include "convert/arch_converter.h"

namespace corral::convert {
namespace {
constexpr int64_t kMaxConfigInt = int64_t{1} << 31;
}

Result<HfConfig> HfConfig::parse(std::string_view text) {
  HfConfig c;
  c.json_ = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (c.json_.is_discarded()) return corrupt("config.json: not valid JSON");
  if (!c.json_.is_object()) return corrupt("config.json: the top level must be an object");
  return c;
}

bool HfConfig::has(std::string_view key) const {
  auto it = json_.find(key);
  return it != json_.end() && !it->is_null();
}

Result<int64_t> HfConfig::get_int(std::string_view key) const {
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) {
    return not_found("config.json: required key '%.*s' is missing", static_cast<int>(key.size()), key.data());
  }
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > kMaxConfigInt) {
    return invalid_argument("config.json: '%.*s' must be a positive integer", static_cast<int>(key.size()),
                            key.data());
  }
  return it->get<int64_t>();
}

Result<int64_t> HfConfig::get_int_or(std::string_view key, int64_t fallback) const {
  if (!has(key)) return fallback;
  return get_int(key);
}

Result<double> HfConfig::get_float_or(std::string_view key, double fallback) const {
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) return fallback;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return invalid_argument("config.json: '%.*s' must be a finite number", static_cast<int>(key.size()), key.data());
  }
  return it->get<double>();
}

bool HfConfig::get_bool_or(std::string_view key, bool fallback) const {
  auto it = json_.find(key);
  if (it == json_.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

const nlohmann::json& HfConfig::rope_parameters() const {
  static const nlohmann::json kNull;
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    auto it = json_.find(key);
    if (it != json_.end() && it->is_object()) return *it;
  }
  return kNull;
}

double HfConfig::rope_theta(double fallback) const {
  auto it = json_.find("rope_theta");
  if (it != json_.end() && it->is_number()) return it->get<double>();
  const nlohmann::json& rp = rope_parameters();
  if (rp.is_object()) {
    auto jt = rp.find("rope_theta");
    if (jt != rp.end() && jt->is_number()) return jt->get<double>();
  }
  return fallback;
}

std::optional<std::string> map_layer_tensor(std::string_view hf_name, std::string_view hf_prefix,
                                            std::span<const SuffixMap> table, int64_t* layer) {
  if (hf_name.substr(0, hf_prefix.size()) != hf_prefix) return std::nullopt;
  std::string_view rest = hf_name.substr(hf_prefix.size());
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + dot, n);
  if (ec != std::errc() || end != rest.data() + dot || n < 0) return std::nullopt;
  const std::string_view suffix = rest.substr(dot + 1);
  for (const SuffixMap& m : table) {
    if (m.hf_suffix == suffix) {
      if (layer) *layer = n;
      return "blk." + std::to_string(n) + "." + std::string(m.gguf_suffix);
    }
  }
  return std::nullopt;
}

Status permute_rope_rows(std::span<float> data, std::span<const int64_t> shape, int64_t n_head) {
  if (shape.empty() || n_head <= 0 || shape[0] % n_head != 0 || (shape[0] / n_head) % 2 != 0) {
    return invalid_argument("rope permutation: first dimension %lld is not n_head (%lld) times an even head size",
                            static_cast<long long>(shape.empty() ? 0 : shape[0]), static_cast<long long>(n_head));
  }
  const int64_t rows = shape[0];
  const int64_t cols = rows == 0 ? 0 : static_cast<int64_t>(data.size()) / rows;
  const int64_t head_dim = rows / n_head;
  const int64_t half = head_dim / 2;
  std::vector<float> head(static_cast<size_t>(head_dim * cols));
  for (int64_t h = 0; h < n_head; ++h) {
    float* base = data.data() + h * head_dim * cols;
    std::copy(base, base + head_dim * cols, head.begin());
    for (int64_t r = 0; r < head_dim; ++r) {
      const int64_t src_half = r / half, i = r % half;
      const int64_t dst = 2 * i + src_half;
      std::copy(head.begin() + r * cols, head.begin() + (r + 1) * cols, base + dst * cols);
    }
  }
  return ok_status();
}

}  // namespace corral::convert
