#include "store/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "util/file.h"

namespace corral::store {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr size_t kMaxTextLayerBytes = 64 << 20;

// Finds `name` in `dir` ignoring ASCII case (the exact name first). Empty if absent.
std::string find_fold(const std::string& dir, const std::string& name) {
  std::error_code ec;
  if (fs::exists(dir + "/" + name, ec)) return name;
  fs::directory_iterator it(dir, ec);
  if (ec) return {};
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return {};
    std::string entry = it->path().filename().string();
    if (equal_fold(entry, name)) return entry;
  }
  return {};
}

std::vector<std::string> child_names(const std::string& dir, bool want_dirs) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return out;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code tec;
    bool is_dir = it->is_directory(tec);
    bool is_file = it->is_regular_file(tec);
    if ((want_dirs && is_dir) || (!want_dirs && is_file)) out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<Store> Store::open(std::string models_dir, NameDefaults defaults) {
  if (models_dir.empty()) return invalid_argument("models folder is not set");
  while (models_dir.size() > 1 && models_dir.back() == '/') models_dir.pop_back();
  Store s(std::move(models_dir), std::move(defaults));
  CORRAL_TRY(s.blobs_.init());
  std::error_code ec;
  fs::create_directories(s.manifests_dir(), ec);
  if (ec) return io_error("%s: cannot create folder: %s", s.manifests_dir().c_str(), ec.message().c_str());
  return s;
}

Result<Store> Store::open(const EnvConfig& env) {
  NameDefaults defaults;
  if (!env.registry.empty()) defaults.host = env.registry;
  CORRAL_TRY(validate_name_part(NamePart::kHost, defaults.host).with_context("CORRAL_REGISTRY"));
  return open(env.models_dir, std::move(defaults));
}

std::string Store::manifest_file(const ModelName& name) const {
  const std::string parts[4] = {name.host(), name.name_space(), name.model(), name.tag()};
  std::string path = manifests_dir();
  bool resolving = true;
  for (const std::string& part : parts) {
    std::string found = resolving ? find_fold(path, part) : std::string();
    if (found.empty()) {
      resolving = false;
      found = part;
    }
    path += "/" + found;
  }
  return path;
}

bool Store::has_model(const ModelName& name) const {
  struct stat st {};
  return ::stat(manifest_file(name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<Manifest> Store::read_manifest(const ModelName& name) const {
  const std::string path = manifest_file(name);
  auto text = read_file(path, kMaxManifestBytes);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return not_found("model '%s' not found", name.display().c_str());
    return text.status();
  }
  auto m = parse_manifest(*text);
  if (!m.ok()) return m.status().with_context(path);
  return m;
}

Result<Digest> Store::manifest_digest(const ModelName& name) const {
  if (!has_model(name)) return not_found("model '%s' not found", name.display().c_str());
  return sha256_file(manifest_file(name));
}

Status Store::write_manifest(const ModelName& name, const Manifest& manifest) {
  std::vector<const Layer*> all = {&manifest.config};
  for (const Layer& l : manifest.layers) all.push_back(&l);
  for (const Layer* l : all) {
    auto info = blobs_.stat(l->digest);
    if (!info.ok()) {
      return not_found("manifest for '%s' references blob %s (%s), which is not in the store",
                       name.display().c_str(), l->digest.str().c_str(), l->media_type.c_str());
    }
    if (info->size != l->size) {
      return invalid_argument("manifest for '%s' says blob %s has %llu bytes, the store has %llu",
                              name.display().c_str(), l->digest.str().c_str(),
                              static_cast<unsigned long long>(l->size),
                              static_cast<unsigned long long>(info->size));
    }
  }
  const std::string path = manifest_file(name);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return io_error("%s: cannot create folder: %s", path.c_str(), ec.message().c_str());
  return write_file_atomic(path, serialize_manifest(manifest));
}

Result<std::vector<ModelEntry>> Store::list(std::vector<std::string>* problems) const {
  auto skip = [&](const std::string& what, const Status& why) {
    if (problems != nullptr) problems->push_back(what + ": " + why.message());
  };
  std::vector<ModelEntry> out;
  const std::string root = manifests_dir();
  for (const std::string& host : child_names(root, true)) {
    for (const std::string& ns : child_names(root + "/" + host, true)) {
      for (const std::string& model : child_names(root + "/" + host + "/" + ns, true)) {
        const std::string dir = root + "/" + host + "/" + ns + "/" + model;
        for (const std::string& tag : child_names(dir, false)) {
          if (tag.find(".tmp-") != std::string::npos) continue;  // write_file_atomic leftovers
          auto name = ModelName::from_parts(host, ns, model, tag);
          if (!name.ok()) {
            skip(dir + "/" + tag, name.status());
            continue;
          }
          const std::string file = dir + "/" + tag;
          auto text = read_file(file, kMaxManifestBytes);
          auto manifest = text.ok() ? parse_manifest(*text) : Result<Manifest>(text.status());
          if (!manifest.ok()) {
            skip(file, manifest.status());
            continue;
          }
          std::error_code ec;
          auto mtime = fs::last_write_time(file, ec);
          ModelEntry e{*name, Sha256::of(*text), manifest->total_size(), {}};
          if (!ec) {
            e.modified = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
                std::chrono::file_clock::to_sys(mtime));
          }
          out.push_back(std::move(e));
        }
      }
    }
  }
  return out;
}

Status Store::copy(const ModelName& src, const ModelName& dst) {
  CORRAL_ASSIGN_OR_RETURN(Manifest m, read_manifest(src));
  return write_manifest(dst, m);
}

Status Store::remove(const ModelName& name, bool prune_after) {
  if (!has_model(name)) return not_found("model '%s' not found", name.display().c_str());
  fs::path path = manifest_file(name);
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return io_error("%s: cannot remove: %s", path.c_str(), ec.message().c_str());
  // Remove the model, namespace and host folders when they became empty.
  fs::path dir = path.parent_path();
  for (int level = 0; level < 3; ++level) {
    if (!fs::is_empty(dir, ec) || ec) break;
    fs::remove(dir, ec);
    dir = dir.parent_path();
  }
  if (prune_after) CORRAL_TRY(prune());
  return ok_status();
}

Result<PruneStats> Store::prune(const PruneOptions& options) {
  std::set<std::string> referenced;
  const std::string root = manifests_dir();
  for (const std::string& host : child_names(root, true)) {
    for (const std::string& ns : child_names(root + "/" + host, true)) {
      for (const std::string& model : child_names(root + "/" + host + "/" + ns, true)) {
        const std::string dir = root + "/" + host + "/" + ns + "/" + model;
        for (const std::string& tag : child_names(dir, false)) {
          if (tag.find(".tmp-") != std::string::npos) continue;
          const std::string file = dir + "/" + tag;
          auto text = read_file(file, kMaxManifestBytes);
          auto m = text.ok() ? parse_manifest(*text) : Result<Manifest>(text.status());
          if (!m.ok()) {
            return corrupt("not pruning: cannot read manifest %s: %s", file.c_str(), m.status().message().c_str());
          }
          referenced.insert(m->config.digest.str());
          for (const Layer& l : m->layers) referenced.insert(l.digest.str());
        }
      }
    }
  }
  PruneStats stats;
  CORRAL_ASSIGN_OR_RETURN(std::vector<BlobInfo> blobs, blobs_.list());
  const auto now = fs::file_time_type::clock::now();
  for (const BlobInfo& b : blobs) {
    if (referenced.count(b.digest.str())) continue;
    std::error_code ec;
    auto mtime = fs::last_write_time(blobs_.path(b.digest), ec);
    if (ec || now - mtime < options.min_age) continue;
    CORRAL_TRY(blobs_.remove(b.digest));
    ++stats.blobs_removed;
    stats.bytes_removed += b.size;
  }
  CORRAL_ASSIGN_OR_RETURN(stats.temp_files_removed, blobs_.remove_temp_files(options.min_age));
  return stats;
}

Result<std::vector<Layer>> Store::layers(const ModelName& name, std::string_view type) const {
  CORRAL_ASSIGN_OR_RETURN(Manifest m, read_manifest(name));
  std::vector<Layer> out;
  for (const Layer* l : m.layers_of(type)) out.push_back(*l);
  return out;
}

Result<std::string> Store::read_text_layer(const ModelName& name, std::string_view type) const {
  CORRAL_ASSIGN_OR_RETURN(std::vector<Layer> ls, layers(name, type));
  if (ls.empty()) {
    return not_found("model '%s' has no %s layer", name.display().c_str(), std::string(type).c_str());
  }
  return blobs_.read(ls.back().digest, kMaxTextLayerBytes);
}

}  // namespace corral::store
