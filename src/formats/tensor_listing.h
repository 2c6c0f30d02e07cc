// A format-independent listing of a checkpoint's tensors (for `corral show --tensors`):
// GGUF, safetensors (file or sharded folder), PyTorch checkpoints, or an HF directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.h"

namespace corral {

struct TensorListing {
  std::string name;
  std::vector<int64_t> shape;  // outermost-first, as PyTorch prints it
  std::string dtype;           // GGUF spelling where one exists (F32, F16, BF16, Q4_K, I64, ...)
  uint64_t bytes = 0;
};

struct CheckpointListing {
  std::string format;  // "gguf", "safetensors", "torch"
  std::vector<TensorListing> tensors;
  uint64_t parameters() const;
  uint64_t bytes() const;
};

// Detects the format from the path (file extension, magic, or folder contents) and lists it.
Result<CheckpointListing> list_checkpoint_tensors(const std::string& path);

}  // namespace corral
