// The element types and tensor views shared by the research-checkpoint readers (safetensors,
// PyTorch zip checkpoints, HF directories). Dtype names are safetensors' spelling, which for
// F64/F32/F16/BF16/I8..I64 is also GGUF's. Tensor data is a view into a mapping owned by the
// reader that produced it. Depends on util only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/dtype.h"

namespace corral {

enum class HfDType {
  kF64, kF32, kF16, kBF16, kF8E4M3, kF8E5M2,
  kI8, kI16, kI32, kI64, kU8, kU16, kU32, kU64, kBool,
};

// "F32", "BF16", "F8_E4M3", "BOOL", ... (safetensors spelling).
std::string_view hf_dtype_name(HfDType type);
// Bytes per element.
uint32_t hf_dtype_size(HfDType type);
// Exact, case-sensitive match of a safetensors dtype name.
std::optional<HfDType> hf_dtype_from_name(std::string_view name);
// The GGUF dtype with the same meaning, where GGUF has one (F64, F32, F16, BF16, I8..I64).
std::optional<DType> hf_dtype_to_gguf(HfDType type);

// One tensor of a checkpoint: contiguous, row-major, little-endian bytes.
struct HfTensor {
  std::string name;
  HfDType dtype = HfDType::kF32;
  std::vector<int64_t> shape;        // outermost-first
  std::span<const std::byte> data;   // exactly num_elements() * hf_dtype_size(dtype) bytes
  uint64_t num_elements() const;     // callers rely on readers having checked for overflow
};

// Element count of `shape`, or nullopt when a dimension is negative or the product overflows.
std::optional<uint64_t> checked_num_elements(std::span<const int64_t> shape);

}  // namespace corral
