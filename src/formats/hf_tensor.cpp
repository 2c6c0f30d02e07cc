#include "formats/hf_tensor.h"

#include <array>

namespace corral {
namespace {

struct HfDTypeRow {
  HfDType type;
  std::string_view name;
  uint32_t size;
  std::optional<DType> gguf;
};

constexpr std::array<HfDTypeRow, 15> kHfDTypes = {{
    {HfDType::kF64, "F64", 8, DType::kF64},
    {HfDType::kF32, "F32", 4, DType::kF32},
    {HfDType::kF16, "F16", 2, DType::kF16},
    {HfDType::kBF16, "BF16", 2, DType::kBF16},
    {HfDType::kF8E4M3, "F8_E4M3", 1, std::nullopt},
    {HfDType::kF8E5M2, "F8_E5M2", 1, std::nullopt},
    {HfDType::kI8, "I8", 1, DType::kI8},
    {HfDType::kI16, "I16", 2, DType::kI16},
    {HfDType::kI32, "I32", 4, DType::kI32},
    {HfDType::kI64, "I64", 8, DType::kI64},
    {HfDType::kU8, "U8", 1, std::nullopt},
    {HfDType::kU16, "U16", 2, std::nullopt},
    {HfDType::kU32, "U32", 4, std::nullopt},
    {HfDType::kU64, "U64", 8, std::nullopt},
    {HfDType::kBool, "BOOL", 1, std::nullopt},
}};

const HfDTypeRow& row(HfDType type) { return kHfDTypes[static_cast<size_t>(type)]; }

}  // namespace

std::string_view hf_dtype_name(HfDType type) { return row(type).name; }
uint32_t hf_dtype_size(HfDType type) { return row(type).size; }
std::optional<DType> hf_dtype_to_gguf(HfDType type) { return row(type).gguf; }

std::optional<HfDType> hf_dtype_from_name(std::string_view name) {
  for (const auto& r : kHfDTypes) {
    if (r.name == name) return r.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> checked_num_elements(std::span<const int64_t> shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (!checked_mul(n, static_cast<uint64_t>(d), &n)) return std::nullopt;
  }
  return n;
}

uint64_t HfTensor::num_elements() const { return checked_num_elements(shape).value_or(0); }

}  // namespace corral
