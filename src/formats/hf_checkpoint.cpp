#include "formats/hf_checkpoint.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "util/file.h"

namespace corral {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxIndexBytes = 64u << 20;
constexpr size_t kMaxConfigBytes = 16u << 20;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string join_path(const std::string& dir, std::string_view name) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<Json> read_json_object(const std::string& path, size_t max_bytes) {
  CORRAL_ASSIGN_OR_RETURN(std::string text, read_file(path, max_bytes));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt("%s: not valid JSON", path.c_str());
  if (!j.is_object()) return corrupt("%s: JSON is a %s, not an object", path.c_str(), j.type_name());
  return j;
}

}  // namespace

std::string_view hf_weight_format_name(HfWeightFormat format) {
  return format == HfWeightFormat::kSafetensors ? "safetensors" : "torch";
}

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name.find('/') == std::string_view::npos &&
         name.find('\\') == std::string_view::npos && name.find("..") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos && name != ".";
}

Status HfCheckpoint::add_file(const std::string& path) {
  if (format_ == HfWeightFormat::kSafetensors) {
    CORRAL_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::open(path));
    safetensors_.push_back(std::move(f));
  } else {
    CORRAL_ASSIGN_OR_RETURN(TorchCheckpoint f, TorchCheckpoint::open(path));
    torch_.push_back(std::move(f));
  }
  files_.push_back(path);
  return ok_status();
}

// Gathers every file's tensors into one sorted list; a name found in two files is an error.
Status HfCheckpoint::finish() {
  tensors_.clear();
  std::vector<const std::string*> origin;
  auto add = [&](const std::vector<HfTensor>& ts, const std::string& file) {
    for (const HfTensor& t : ts) tensors_.push_back(t);
    origin.insert(origin.end(), ts.size(), &file);
  };
  for (size_t i = 0; i < safetensors_.size(); ++i) add(safetensors_[i].tensors(), files_[i]);
  for (size_t i = 0; i < torch_.size(); ++i) add(torch_[i].tensors(), files_[i]);
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tensors_[a].name < tensors_[b].name; });
  std::vector<HfTensor> sorted;
  sorted.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && tensors_[order[k]].name == sorted.back().name) {
      return corrupt("tensor '%s' appears in both %s and %s", tensors_[order[k]].name.c_str(),
                     origin[order[k - 1]]->c_str(), origin[order[k]]->c_str());
    }
    sorted.push_back(std::move(tensors_[order[k]]));
  }
  tensors_ = std::move(sorted);
  return ok_status();
}

Result<HfCheckpoint> HfCheckpoint::open_file(const std::string& path) {
  if (ends_with(path, ".index.json")) return open_index(path);
  HfCheckpoint out;
  if (ends_with(path, ".safetensors")) {
    out.format_ = HfWeightFormat::kSafetensors;
  } else if (ends_with(path, ".bin") || ends_with(path, ".pt") || ends_with(path, ".pth")) {
    out.format_ = HfWeightFormat::kTorch;
  } else {
    return unsupported("%s: not a .safetensors, .bin, .pt, .pth or .index.json file", path.c_str());
  }
  CORRAL_TRY(out.add_file(path));
  CORRAL_TRY(out.finish());
  return out;
}

Result<HfCheckpoint> HfCheckpoint::open_index(const std::string& index_path) {
  HfCheckpoint out;
  if (ends_with(index_path, ".safetensors.index.json")) {
    out.format_ = HfWeightFormat::kSafetensors;
  } else if (ends_with(index_path, ".bin.index.json")) {
    out.format_ = HfWeightFormat::kTorch;
  } else {
    return unsupported("%s: an index must be named *.safetensors.index.json or *.bin.index.json",
                       index_path.c_str());
  }
  CORRAL_ASSIGN_OR_RETURN(Json index, read_json_object(index_path, kMaxIndexBytes));
  auto map_it = index.find("weight_map");
  if (map_it == index.end() || !map_it->is_object()) {
    return corrupt("%s: no 'weight_map' object", index_path.c_str());
  }
  // shard file name -> tensors the index puts there (std::map: shards open in name order).
  std::map<std::string, std::vector<std::string>> shards;
  for (auto it = map_it->begin(); it != map_it->end(); ++it) {
    if (!it->is_string()) {
      return corrupt("%s: weight_map entry '%s' is not a file name", index_path.c_str(), it.key().c_str());
    }
    const std::string& shard = it->get_ref<const std::string&>();
    if (!is_plain_file_name(shard)) {
      return corrupt("%s: tensor '%s' names shard '%s', which is not a plain file name",
                     index_path.c_str(), it.key().c_str(), shard.c_str());
    }
    shards[shard].push_back(it.key());
  }
  if (shards.empty()) return corrupt("%s: weight_map is empty", index_path.c_str());
  const std::string dir = parent_dir(index_path);
  for (const auto& [shard, names] : shards) {
    const std::string path = join_path(dir, shard);
    if (!path_exists(path)) {
      return not_found("%s: shard '%s' named in the index does not exist", index_path.c_str(),
                       shard.c_str());
    }
    CORRAL_TRY(out.add_file(path));
    for (const std::string& name : names) {
      const HfTensor* found = out.format_ == HfWeightFormat::kSafetensors
                                  ? out.safetensors_.back().find(name)
                                  : out.torch_.back().find(name);
      if (found == nullptr) {
        return corrupt("%s: the index puts tensor '%s' in shard '%s', which does not hold it",
                       index_path.c_str(), name.c_str(), shard.c_str());
      }
    }
  }
  CORRAL_TRY(out.finish());
  return out;
}

Result<HfCheckpoint> HfCheckpoint::open_directory(const std::string& dir) {
  static constexpr std::string_view kCandidates[] = {
      "model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json",
      "pytorch_model.bin"};
  for (std::string_view name : kCandidates) {
    const std::string path = join_path(dir, name);
    if (path_exists(path)) return open_file(path);
  }
  return not_found("%s: no model weights (model.safetensors, model.safetensors.index.json, "
                   "pytorch_model.bin or pytorch_model.bin.index.json)", dir.c_str());
}

const HfTensor* HfCheckpoint::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const HfTensor& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

Result<HfDirectory> open_hf_directory(const std::string& dir) {
  if (!is_directory(dir)) return not_found("%s: not a directory", dir.c_str());
  HfDirectory out;
  out.path = dir;
  const std::string config_path = join_path(dir, "config.json");
  if (!path_exists(config_path)) return not_found("%s: no config.json", dir.c_str());
  CORRAL_ASSIGN_OR_RETURN(out.config_json, read_file(config_path, kMaxConfigBytes));
  Json config = Json::parse(out.config_json, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return corrupt("%s: not a JSON object", config_path.c_str());
  }
  if (auto it = config.find("model_type"); it != config.end() && it->is_string()) {
    out.model_type = it->get<std::string>();
  }
  if (auto it = config.find("architectures"); it != config.end() && it->is_array()) {
    for (const Json& a : *it) {
      if (a.is_string()) out.architectures.push_back(a.get<std::string>());
    }
  }
  CORRAL_ASSIGN_OR_RETURN(out.weights, HfCheckpoint::open_directory(dir));
  return out;
}

}  // namespace corral
