#include "store/manifest.h"

#include <nlohmann/json.hpp>

namespace corral::store {

namespace {

using nlohmann::json;

Result<Layer> parse_layer(const json& j, const std::string& where) {
  if (!j.is_object()) return corrupt("manifest: %s is not an object", where.c_str());
  auto mt = j.find("mediaType");
  if (mt == j.end() || !mt->is_string() || mt->get_ref<const std::string&>().empty()) {
    return corrupt("manifest: %s.mediaType is missing or not a string", where.c_str());
  }
  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string()) return corrupt("manifest: %s.digest is missing or not a string", where.c_str());
  auto digest = Digest::parse(dg->get_ref<const std::string&>());
  if (!digest.ok()) return corrupt("manifest: %s.digest: %s", where.c_str(), digest.status().message().c_str());
  auto sz = j.find("size");
  if (sz == j.end() || !(sz->is_number_unsigned() || (sz->is_number_integer() && sz->get<int64_t>() >= 0))) {
    return corrupt("manifest: %s.size is missing or not a non-negative integer", where.c_str());
  }
  Layer layer{mt->get<std::string>(), std::move(digest).value(), sz->get<uint64_t>(), ""};
  if (auto from = j.find("from"); from != j.end()) {
    if (!from->is_string()) return corrupt("manifest: %s.from is not a string", where.c_str());
    layer.from = from->get<std::string>();
  }
  return layer;
}

nlohmann::ordered_json layer_json(const Layer& l) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["mediaType"] = l.media_type;
  j["digest"] = l.digest.str();
  j["size"] = l.size;
  if (!l.from.empty()) j["from"] = l.from;
  return j;
}

}  // namespace

std::vector<const Layer*> Manifest::layers_of(std::string_view type) const {
  std::vector<const Layer*> out;
  for (const Layer& l : layers) {
    if (l.media_type == type) out.push_back(&l);
  }
  return out;
}

uint64_t Manifest::total_size() const {
  uint64_t total = config.size;
  for (const Layer& l : layers) total += l.size;
  return total;
}

Result<Manifest> parse_manifest(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt("manifest: not valid JSON");
  if (!j.is_object()) return corrupt("manifest: not a JSON object");
  Manifest m;
  auto sv = j.find("schemaVersion");
  if (sv == j.end() || !sv->is_number_integer() || sv->get<int64_t>() != 2) {
    return corrupt("manifest: schemaVersion must be 2");
  }
  if (auto mt = j.find("mediaType"); mt != j.end()) {
    if (!mt->is_string()) return corrupt("manifest: mediaType is not a string");
    m.media_type = mt->get<std::string>();
  }
  auto cfg = j.find("config");
  if (cfg == j.end()) return corrupt("manifest: config is missing");
  CORRAL_ASSIGN_OR_RETURN(m.config, parse_layer(*cfg, "config"));
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) return corrupt("manifest: layers is missing or not an array");
  for (size_t i = 0; i < layers->size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(Layer l, parse_layer((*layers)[i], "layers[" + std::to_string(i) + "]"));
    m.layers.push_back(std::move(l));
  }
  return m;
}

std::string serialize_manifest(const Manifest& m) {
  nlohmann::ordered_json j;
  j["schemaVersion"] = m.schema_version;
  j["mediaType"] = m.media_type;
  j["config"] = layer_json(m.config);
  j["layers"] = nlohmann::ordered_json::array();
  for (const Layer& l : m.layers) j["layers"].push_back(layer_json(l));
  // replace: a caller-made media type with bad UTF-8 must not throw
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace corral::store
