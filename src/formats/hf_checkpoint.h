// The weights of a research checkpoint as one name-sorted set of tensors, from a single file
// (.safetensors, or a torch.save .bin/.pt/.pth), a sharded set described by an index
// (model.safetensors.index.json, pytorch_model.bin.index.json), or an HF model directory
// (config.json + weights; safetensors preferred over torch). Tensors are zero-copy views into
// the mapped files, which the HfCheckpoint owns. Depends on util and formats/ only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formats/hf_tensor.h"
#include "formats/safetensors.h"
#include "formats/torch.h"
#include "util/status.h"

namespace corral {

enum class HfWeightFormat { kSafetensors, kTorch };
std::string_view hf_weight_format_name(HfWeightFormat format);  // "safetensors", "torch"

class HfCheckpoint {
 public:
  // A .safetensors file, a .bin/.pt/.pth torch checkpoint, or a *.index.json of either.
  static Result<HfCheckpoint> open_file(const std::string& path);
  // The weights of a model folder: model.safetensors.index.json, model.safetensors,
  // pytorch_model.bin.index.json or pytorch_model.bin, the first that exists.
  static Result<HfCheckpoint> open_directory(const std::string& dir);
  // A sharded checkpoint: every shard named in the index's weight_map must be a plain file name
  // beside the index, exist, and hold the tensors the index assigns to it.
  static Result<HfCheckpoint> open_index(const std::string& index_path);

  HfWeightFormat format() const { return format_; }
  // All tensors, sorted by name (byte order); names are unique.
  const std::vector<HfTensor>& tensors() const { return tensors_; }
  const HfTensor* find(std::string_view name) const;
  // The files the tensors come from.
  const std::vector<std::string>& files() const { return files_; }

 private:
  Status add_file(const std::string& path);
  Status finish();
  HfWeightFormat format_ = HfWeightFormat::kSafetensors;
  std::vector<SafetensorsFile> safetensors_;
  std::vector<TorchCheckpoint> torch_;
  std::vector<std::string> files_;
  std::vector<HfTensor> tensors_;
};

// An HF model folder: config.json (kept as text for the converters, plus the fields every
// converter needs first) and its weights.
struct HfDirectory {
  std::string path;
  std::string config_json;
  std::string model_type;                  // config["model_type"], or ""
  std::vector<std::string> architectures;  // config["architectures"], or empty
  HfCheckpoint weights;
};

Result<HfDirectory> open_hf_directory(const std::string& dir);

// True for a shard name that is a plain file name (no '/', '\\', "..", NUL; not empty).
bool is_plain_file_name(std::string_view name);

}  // namespace corral
