// DType: tensor element types, numbered exactly as GGUF/ggml numbers them, with their block
// layout (elements per block, bytes per block). A constexpr table — no state. Both formats/
// (to validate files) and ml/ (to compute) use it; quantize/dequantize live in ml/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace corral {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct DTypeTraits {
  DType type;
  std::string_view name;   // as GGUF/ggml spells it: "F32", "Q4_K", ...
  uint32_t block_size;     // elements per block (1 for plain types)
  uint32_t block_bytes;    // bytes per block
  bool quantized;
};

// Traits of a known dtype id, or nullopt for an id GGUF does not define (e.g. from a bad file).
std::optional<DTypeTraits> dtype_traits_of(uint32_t id);
// Traits of a valid DType (checked).
const DTypeTraits& dtype_traits(DType type);
std::string_view dtype_name(DType type);
std::optional<DType> dtype_from_name(std::string_view name);  // case-insensitive

// Bytes of a row of `n` elements; nullopt when n is not a multiple of the block size or overflows.
std::optional<uint64_t> dtype_row_bytes(DType type, uint64_t n);

// Overflow-safe helpers for sizes computed from untrusted numbers.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }

}  // namespace corral
