// Quantized block layouts, byte for byte as GGUF (ggml) fixes them. Plain structs only: the
// scalar quantizers in ml/ and the SIMD kernels in backends/cpu/ both read them. No logic and
// no dependencies beyond <cstdint>.
#pragma once

#include <cstdint>

namespace corral::quant {

inline constexpr int kQK = 32;    // elements per block of the 32-element formats
inline constexpr int kQK_K = 256; // elements per K-quant super-block

struct BlockQ4_0 { uint16_t d; uint8_t qs[16]; };                  // w = d * (q - 8)
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[16]; };               // w = d * q + m
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; };   // w = d * (q - 16)
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; };
struct BlockQ8_0 { uint16_t d; int8_t qs[32]; };                   // w = d * q
struct BlockQ8_1 { uint16_t d, s; int8_t qs[32]; };                // s = d * sum(q)

// K-quants. Element e of a super-block is in sub-block e/16 (Q2_K, Q3_K, Q6_K) or e/32 (Q4_K, Q5_K).
struct BlockQ2_K {    // w = d * (scales[j] & 15) * q - dmin * (scales[j] >> 4), q in 0..3
  uint8_t scales[16];
  uint8_t qs[64];     // e = 128*h + 32*s + l at bits 2s of qs[32*h + l]
  uint16_t d, dmin;
};
struct BlockQ3_K {    // w = d * (scale[j] - 32) * (low2 - (hmask bit ? 0 : 4))
  uint8_t hmask[32];  // e = 32*i + l at bit i of hmask[l]
  uint8_t qs[64];     // low 2 bits, laid out as Q2_K's qs
  uint8_t scales[12]; // 16 x 6 bits: low nibbles in bytes 0..7, high pairs in bytes 8..11
  uint16_t d;
};
struct BlockQ4_K {    // w = d * sc[j] * q - dmin * m[j], 8 sub-blocks of 32, q in 0..15
  uint16_t d, dmin;
  uint8_t scales[12]; // 8 x (6-bit scale, 6-bit min)
  uint8_t qs[128];    // e = 64*g + 32*n + l at nibble n of qs[32*g + l]
};
struct BlockQ5_K {    // as Q4_K with a fifth bit: e = 32*i + l at bit i of qh[l]
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
struct BlockQ6_K {    // w = d * scales[j] * (q - 32), q in 0..63
  uint8_t ql[128];    // e = 128*h + 64*n + l at nibble n of ql[64*h + l]
  uint8_t qh[64];     // e = 128*h + 32*s + l at bits 2s of qh[32*h + l]
  int8_t scales[16];
  uint16_t d;
};
struct BlockQ8_K {    // w = d * q; bsums[j] = sum of q over elements 16j..16j+15
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K scales[12] array.
inline void k4_scale_min(const uint8_t* s, int j, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// The signed scale of sub-block j (0..15) of a Q3_K scales[12] array (-32..31).
inline int k3_scale(const uint8_t* s, int j) {
  const int low = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
  const int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace corral::quant
