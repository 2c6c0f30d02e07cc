// Helpers shared by the GGUF reader, writer and summary (not part of the public API).
// Depends on formats/gguf.h only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "formats/gguf.h"

namespace corral::gguf_internal {

inline constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
inline constexpr uint32_t kWriteVersion = 3;

bool type_is_known(uint32_t id);
// Bytes of one value of a fixed-size type; 0 for kString and kArray.
size_t scalar_size(GgufType type);
bool type_is_integer(GgufType type);
// Smallest encoding of one array element of `type`: its scalar size, 8 for a string (the
// length), 12 for a nested array (element type + count).
size_t min_element_size(GgufType type);

inline bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
// Rounds up to a multiple of `alignment` (a power of two); false on overflow.
inline bool align_up(uint64_t v, uint64_t alignment, uint64_t* out) {
  uint64_t sum = 0;
  if (!checked_add(v, alignment - 1, &sum)) return false;
  *out = sum & ~(alignment - 1);
  return true;
}

}  // namespace corral::gguf_internal
