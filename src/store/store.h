// Store: the local model store in Ollama's on-disk layout under one models folder:
//   blobs/sha256-<hex>                             content-addressed layers and configs
//   manifests/<host>/<namespace>/<model>/<tag>     Docker v2 manifest JSON per model tag
// Names resolve case-insensitively (as Ollama compares them); a manifest path is built only
// from a validated ModelName. list / cp / rm / prune as the CLI needs them.
// Depends only on util and store/ (no model or format code).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/blob_store.h"
#include "store/manifest.h"
#include "store/model_name.h"
#include "util/env.h"
#include "util/status.h"

namespace corral::store {

struct ModelEntry {
  ModelName name;
  Digest manifest_digest;  // sha256 of the manifest file (what `ollama list` shows as ID)
  uint64_t size = 0;       // config plus all layers
  std::chrono::system_clock::time_point modified;
};

struct PruneOptions {
  // Blobs and temporary files younger than this are kept (protects a `create` or `pull` that
  // has written blobs but not yet its manifest).
  std::chrono::seconds min_age{0};
};

struct PruneStats {
  size_t blobs_removed = 0;
  uint64_t bytes_removed = 0;
  size_t temp_files_removed = 0;
};

class Store {
 public:
  // Creates models_dir/blobs and models_dir/manifests when missing.
  static Result<Store> open(std::string models_dir, NameDefaults defaults = {});
  // The store of CORRAL_MODELS, with CORRAL_REGISTRY as the default host.
  static Result<Store> open(const EnvConfig& env);

  const std::string& dir() const { return dir_; }
  const NameDefaults& defaults() const { return defaults_; }
  BlobStore& blobs() { return blobs_; }
  const BlobStore& blobs() const { return blobs_; }
  Result<ModelName> parse_name(std::string_view text) const { return ModelName::parse(text, defaults_); }

  // The manifest file of a name (an existing one that matches ignoring case, else the path
  // it would have). not_found through read_manifest when absent.
  std::string manifest_file(const ModelName& name) const;
  bool has_model(const ModelName& name) const;
  Result<Manifest> read_manifest(const ModelName& name) const;
  Result<Digest> manifest_digest(const ModelName& name) const;
  // Writes atomically. Every referenced blob must exist (not_found otherwise). A name that
  // exists with different case is overwritten in place (one model per case-folded name).
  Status write_manifest(const ModelName& name, const Manifest& manifest);

  // Every model with a readable manifest, sorted by name. Entries that cannot be listed (bad
  // names, unreadable manifests) are skipped and described in *problems when given.
  Result<std::vector<ModelEntry>> list(std::vector<std::string>* problems = nullptr) const;
  // Copies the manifest (blobs are shared). Overwrites dst.
  Status copy(const ModelName& src, const ModelName& dst);
  // Removes the manifest (and empty parent folders), then prunes unless prune is false.
  Status remove(const ModelName& name, bool prune = true);
  // Removes blobs no manifest references and leftover temporary files. Refuses (corrupt) if
  // any manifest cannot be read, since its blobs cannot be known.
  Result<PruneStats> prune(const PruneOptions& options = {});

  // Layers of a model with one media type (e.g. media_type::kTemplate), in manifest order.
  Result<std::vector<Layer>> layers(const ModelName& name, std::string_view type) const;
  // The content of the single layer of a text type (template, system, params, ...);
  // not_found when the model has none.
  Result<std::string> read_text_layer(const ModelName& name, std::string_view type) const;

 private:
  Store(std::string dir, NameDefaults defaults)
      : dir_(std::move(dir)), defaults_(std::move(defaults)), blobs_(dir_ + "/blobs") {}
  std::string manifests_dir() const { return dir_ + "/manifests"; }

  std::string dir_;
  NameDefaults defaults_;
  BlobStore blobs_;
};

}  // namespace corral::store
