// repack.h: the Q4_0 <-> Q4_0x8 byte shuffles (plain loops; they run once per weight at load, and
// per GEMM tile for prefill).
#include "backends/cpu/repack.h"

#include <cstring>
#include <vector>

namespace corral::cpu {
namespace {

constexpr size_t kBlock = 18;  // one Q4_0 block: F16 d, 16 quant bytes

// Byte offsets inside a Q4_0x8 block of row l's scale and of its quant bytes 4c..4c+3.
constexpr size_t scale_at(int64_t l) {
  return 2 * static_cast<size_t>(l);
}
constexpr size_t chunk_at(int c, int64_t l) {
  return 16 + 32 * static_cast<size_t>(c) + 4 * static_cast<size_t>(l);
}

}  // namespace

bool q4_0x8_fits(int64_t rows, int64_t k) {
  return rows > 0 && k > 0 && rows % kQ4_0x8Rows == 0 && k % 32 == 0;
}

void repack_q4_0x8(void* data, int64_t rows, int64_t k) {
  const int64_t nb = k / 32;
  const size_t group = static_cast<size_t>(nb) * kQ4_0x8BlockBytes;
  std::vector<uint8_t> tmp(group);
  auto* base = static_cast<uint8_t*>(data);
  for (int64_t g = 0; g < rows / kQ4_0x8Rows; ++g) {
    uint8_t* gp = base + static_cast<size_t>(g) * group;
    std::memcpy(tmp.data(), gp, group);  // the 8 plain rows, nb blocks each
    for (int64_t l = 0; l < kQ4_0x8Rows; ++l) {
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* src = tmp.data() + static_cast<size_t>(l * nb + b) * kBlock;
        uint8_t* dst = gp + static_cast<size_t>(b) * kQ4_0x8BlockBytes;
        std::memcpy(dst + scale_at(l), src, 2);
        for (int c = 0; c < 4; ++c) std::memcpy(dst + chunk_at(c, l), src + 2 + 4 * c, 4);
      }
    }
  }
}

void unpack_q4_0x8_rows(const void* data, int64_t k, int64_t r0, int64_t r1, void* out) {
  const int64_t nb = k / 32;
  const size_t group = static_cast<size_t>(nb) * kQ4_0x8BlockBytes;
  const auto* base = static_cast<const uint8_t*>(data);
  auto* o = static_cast<uint8_t*>(out);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* gp = base + static_cast<size_t>(r / kQ4_0x8Rows) * group;
    const int64_t l = r % kQ4_0x8Rows;
    for (int64_t b = 0; b < nb; ++b, o += kBlock) {
      const uint8_t* src = gp + static_cast<size_t>(b) * kQ4_0x8BlockBytes;
      std::memcpy(o, src + scale_at(l), 2);
      for (int c = 0; c < 4; ++c) std::memcpy(o + 2 + 4 * c, src + chunk_at(c, l), 4);
    }
  }
}

}  // namespace corral::cpu
