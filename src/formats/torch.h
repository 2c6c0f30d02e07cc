// PyTorch checkpoints written by torch.save (>= 1.6, the zip format): `<archive>/data.pkl`
// read by the restricted unpickler (formats/pickle.h), storages `<archive>/data/<key>` mapped
// zero-copy from the (stored, uncompressed) zip entries. Only contiguous tensors are exposed;
// tensors sharing a storage (tied weights) are fine. Depends on util and formats/ only.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/hf_tensor.h"
#include "util/file.h"
#include "util/status.h"

namespace corral {

// An opened torch.save checkpoint. Move-only; tensor spans point into the mapping it owns (or
// the caller's bytes for parse()) and stay valid while it lives. Thread-compatible.
class TorchCheckpoint {
 public:
  static Result<TorchCheckpoint> open(const std::string& path);
  static Result<TorchCheckpoint> parse(std::span<const std::byte> bytes);

  // Every tensor of the pickled object, sorted by name. A nested dict's entries are named
  // "outer.inner" (as in {"model": state_dict}); values that are not tensors are skipped.
  const std::vector<HfTensor>& tensors() const { return tensors_; }
  const HfTensor* find(std::string_view name) const;

 private:
  Status init(std::span<const std::byte> bytes);
  MappedFile file_;
  std::vector<HfTensor> tensors_;
};

}  // namespace corral
