// safetensors reader: one file, memory-mapped, tensor data zero-copy. The header is fully
// validated before any tensor is exposed (length limit, JSON object, dtypes, shapes, byte
// ranges inside the data section and not overlapping). Errors are kCorrupt or kUnsupported
// and name the tensor and the reason. Depends on util and formats/hf_tensor only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "formats/hf_tensor.h"
#include "util/file.h"
#include "util/status.h"

namespace corral {

inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsTensorInfo {
  std::string name;
  HfDType dtype = HfDType::kF32;
  std::vector<int64_t> shape;  // outermost-first
  uint64_t begin = 0;          // byte range relative to the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  uint64_t data_offset = 0;  // absolute offset of the data section (8 + header length)
  std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", sorted by key
  std::vector<SafetensorsTensorInfo> tensors;                // sorted by name
};

// Parses and validates the header of a whole safetensors file held in `file_bytes`.
Result<SafetensorsHeader> parse_safetensors_header(std::span<const std::byte> file_bytes);

// An opened safetensors file. Move-only; tensor spans point into the mapping it owns (or into
// the caller's bytes for parse()) and stay valid while the object lives. Thread-compatible.
class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::string& path);
  static Result<SafetensorsFile> parse(std::span<const std::byte> bytes);

  const SafetensorsHeader& header() const { return header_; }
  // Tensors sorted by name, with data views.
  const std::vector<HfTensor>& tensors() const { return tensors_; }
  const HfTensor* find(std::string_view name) const;

 private:
  Status init(std::span<const std::byte> bytes);
  MappedFile file_;
  SafetensorsHeader header_;
  std::vector<HfTensor> tensors_;
};

}  // namespace corral
