// K-quant super-blocks (256 elements): quantizers built on quant_fit's sub-block fits, with the
// sub-block scales quantized against fp16 super-scales and every element re-rounded against the
// final scales; dequantizers that follow the gguf package's numpy formulas exactly.
#include <cmath>
#include <cstring>

#include "ml/quant.h"
#include "ml/quant_blocks.h"
#include "ml/quant_fit.h"
#include "util/check.h"
#include "util/half.h"

namespace corral::quant {
namespace {

int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
int round_clamp(float v, int lo, int hi) { return clamp_int(static_cast<int>(std::nearbyint(v)), lo, hi); }

// Affine super-block (Q2_K, Q4_K, Q5_K): per sub-block 'bits'-bit scale and min against d, dmin.
// Fills q[256] (0..nmax), sc[], mn[] and the fp16 super-scales.
void quantize_affine_super(const float* x, int sub, int nmax, int scale_max, int* q, int* sc, int* mn,
                           uint16_t* d16, uint16_t* dmin16) {
  const int nsub = kQK_K / sub;
  float s[16], m[16];
  float smax = 0, mmax = 0;
  for (int j = 0; j < nsub; ++j) {
    fit_affine(x + j * sub, sub, nmax, q + j * sub, &s[j], &m[j]);
    smax = std::fmax(smax, s[j]);
    mmax = std::fmax(mmax, m[j]);
  }
  *d16 = f32_to_fp16(smax / static_cast<float>(scale_max));
  *dmin16 = f32_to_fp16(mmax / static_cast<float>(scale_max));
  const float d = fp16_to_f32(*d16), dmin = fp16_to_f32(*dmin16);
  for (int j = 0; j < nsub; ++j) {
    sc[j] = d > 0 ? round_clamp(s[j] / d, 0, scale_max) : 0;
    mn[j] = dmin > 0 ? round_clamp(m[j] / dmin, 0, scale_max) : 0;
    const float ds = d * static_cast<float>(sc[j]);
    const float dm = dmin * static_cast<float>(mn[j]);
    for (int i = j * sub; i < (j + 1) * sub; ++i) q[i] = ds > 0 ? round_clamp((x[i] + dm) / ds, 0, nmax) : 0;
  }
}

// Symmetric super-block (Q3_K, Q6_K): 16 sub-blocks of 16, q in [lo, hi], signed scales in
// [slo, shi] against d. Fills q[256], sc[16] and d.
void quantize_symmetric_super(const float* x, int lo, int hi, int slo, int shi, int* q, int* sc,
                              uint16_t* d16) {
  float s[16];
  float smax = 0, sabs = 0;
  for (int j = 0; j < 16; ++j) {
    s[j] = fit_symmetric(x + 16 * j, 16, lo, hi, q + 16 * j);
    if (std::fabs(s[j]) > sabs) {
      sabs = std::fabs(s[j]);
      smax = s[j];
    }
  }
  *d16 = f32_to_fp16(smax / static_cast<float>(slo));
  const float d = fp16_to_f32(*d16);
  for (int j = 0; j < 16; ++j) {
    sc[j] = d != 0 ? round_clamp(s[j] / d, slo, shi) : 0;
    const float ds = d * static_cast<float>(sc[j]);
    for (int i = 16 * j; i < 16 * (j + 1); ++i) q[i] = ds != 0 ? round_clamp(x[i] / ds, lo, hi) : 0;
  }
}

void pack_k4_scales(const int* sc, const int* mn, uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
}

// Q4_K/Q5_K low nibbles: e = 64g + 32n + l at nibble n of qs[32g + l].
void pack_k4_nibbles(const int* q, uint8_t* qs) {
  for (int g = 0; g < 4; ++g) {
    for (int l = 0; l < 32; ++l) {
      qs[32 * g + l] = static_cast<uint8_t>((q[64 * g + l] & 15) | ((q[64 * g + 32 + l] & 15) << 4));
    }
  }
}

// Q2_K/Q3_K 2-bit fields: e = 128h + 32s + l at bits 2s of qs[32h + l].
void pack_2bit(const int* q, uint8_t* qs) {
  std::memset(qs, 0, 64);
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, s = (e % 128) / 32, l = e % 32;
    qs[32 * h + l] |= static_cast<uint8_t>((q[e] & 3) << (2 * s));
  }
}

// One bit per element: e = 32i + l at bit i of bits[l].
void pack_bit_planes(const int* q, int shift, uint8_t* bits) {
  std::memset(bits, 0, 32);
  for (int e = 0; e < kQK_K; ++e) bits[e % 32] |= static_cast<uint8_t>(((q[e] >> shift) & 1) << (e / 32));
}

}  // namespace

void quantize_q2_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ2_K*>(out);
  int q[kQK_K], sc[16], mn[16];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    quantize_affine_super(x, 16, 3, 15, q, sc, mn, &b[i].d, &b[i].dmin);
    for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<uint8_t>(sc[j] | (mn[j] << 4));
    pack_2bit(q, b[i].qs);
  }
}

void quantize_q3_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ3_K*>(out);
  int q[kQK_K], sc[16];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    quantize_symmetric_super(x, -4, 3, -32, 31, q, sc, &b[i].d);
    std::memset(b[i].scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
      const int v = sc[j] + 32;
      if (j < 8) {
        b[i].scales[j] |= static_cast<uint8_t>(v & 15);
      } else {
        b[i].scales[j - 8] |= static_cast<uint8_t>((v & 15) << 4);
      }
      b[i].scales[8 + (j & 3)] |= static_cast<uint8_t>((v >> 4) << (2 * (j >> 2)));
    }
    for (int e = 0; e < kQK_K; ++e) q[e] += 4;  // 0..7: low 2 bits + "no -4" bit
    pack_2bit(q, b[i].qs);
    pack_bit_planes(q, 2, b[i].hmask);
  }
}

void quantize_q4_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ4_K*>(out);
  int q[kQK_K], sc[8], mn[8];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    quantize_affine_super(x, 32, 15, 63, q, sc, mn, &b[i].d, &b[i].dmin);
    pack_k4_scales(sc, mn, b[i].scales);
    pack_k4_nibbles(q, b[i].qs);
  }
}

void quantize_q5_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ5_K*>(out);
  int q[kQK_K], sc[8], mn[8];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    quantize_affine_super(x, 32, 31, 63, q, sc, mn, &b[i].d, &b[i].dmin);
    pack_k4_scales(sc, mn, b[i].scales);
    pack_k4_nibbles(q, b[i].qs);
    pack_bit_planes(q, 4, b[i].qh);
  }
}

void quantize_q6_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(out);
  int q[kQK_K], sc[16];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    quantize_symmetric_super(x, -32, 31, -128, 127, q, sc, &b[i].d);
    for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<int8_t>(sc[j]);
    std::memset(b[i].ql, 0, sizeof b[i].ql);
    std::memset(b[i].qh, 0, sizeof b[i].qh);
    for (int e = 0; e < kQK_K; ++e) {
      const int u = q[e] + 32;
      const int h = e / 128, r = e % 128;
      b[i].ql[64 * h + r % 64] |= static_cast<uint8_t>((u & 15) << (4 * (r / 64)));
      b[i].qh[32 * h + r % 32] |= static_cast<uint8_t>((u >> 4) << (2 * (r / 32)));
    }
  }
}

void quantize_q8_k(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(out);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float amax = 0;
    for (int j = 0; j < kQK_K; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d == 0.0f ? 0.0f : 1.0f / d;
    for (int j = 0; j < kQK_K; ++j) b[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[i].qs[16 * j + l];
      b[i].bsums[j] = static_cast<int16_t>(sum);
    }
    b[i].d = d;
  }
}

void dequantize_k(DType type, const void* in, float* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    switch (type) {
      case DType::kQ2_K: {
        const auto& b = static_cast<const BlockQ2_K*>(in)[i];
        const float d = fp16_to_f32(b.d), dmin = fp16_to_f32(b.dmin);
        for (int e = 0; e < kQK_K; ++e) {
          const int j = e / 16, h = e / 128, s = (e % 128) / 32, l = e % 32;
          const float dl = d * static_cast<float>(b.scales[j] & 15);
          const float ml = dmin * static_cast<float>(b.scales[j] >> 4);
          y[e] = dl * static_cast<float>((b.qs[32 * h + l] >> (2 * s)) & 3) - ml;
        }
        break;
      }
      case DType::kQ3_K: {
        const auto& b = static_cast<const BlockQ3_K*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for (int e = 0; e < kQK_K; ++e) {
          const int h = e / 128, s = (e % 128) / 32, l = e % 32;
          const int low = (b.qs[32 * h + l] >> (2 * s)) & 3;
          const int high = (b.hmask[l] >> (e / 32)) & 1;
          const float dl = d * static_cast<float>(k3_scale(b.scales, e / 16));
          y[e] = dl * static_cast<float>(low - (high ? 0 : 4));
        }
        break;
      }
      case DType::kQ4_K:
      case DType::kQ5_K: {
        const bool five = type == DType::kQ5_K;
        const auto* b4 = five ? nullptr : static_cast<const BlockQ4_K*>(in) + i;
        const auto* b5 = five ? static_cast<const BlockQ5_K*>(in) + i : nullptr;
        const uint16_t d_bits = five ? b5->d : b4->d, dmin_bits = five ? b5->dmin : b4->dmin;
        const uint8_t* scales = five ? b5->scales : b4->scales;
        const uint8_t* qs = five ? b5->qs : b4->qs;
        const float d = fp16_to_f32(d_bits), dmin = fp16_to_f32(dmin_bits);
        for (int e = 0; e < kQK_K; ++e) {
          uint8_t sc, m;
          k4_scale_min(scales, e / 32, &sc, &m);
          const int g = e / 64, nib = (e % 64) / 32, l = e % 32;
          int q = (qs[32 * g + l] >> (4 * nib)) & 15;
          if (five) q |= ((b5->qh[l] >> (e / 32)) & 1) << 4;
          const float dd = d * static_cast<float>(sc);
          const float dm = dmin * static_cast<float>(m);
          y[e] = dd * static_cast<float>(q) - dm;
        }
        break;
      }
      case DType::kQ6_K: {
        const auto& b = static_cast<const BlockQ6_K*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for (int e = 0; e < kQK_K; ++e) {
          const int h = e / 128, r = e % 128;
          const int low = (b.ql[64 * h + r % 64] >> (4 * (r / 64))) & 15;
          const int high = (b.qh[32 * h + r % 32] >> (2 * (r / 32))) & 3;
          const float dd = d * static_cast<float>(b.scales[e / 16]);
          y[e] = dd * static_cast<float>((low | (high << 4)) - 32);
        }
        break;
      }
      case DType::kQ8_K: {
        const auto& b = static_cast<const BlockQ8_K*>(in)[i];
        for (int e = 0; e < kQK_K; ++e) y[e] = b.d * static_cast<float>(b.qs[e]);
        break;
      }
      default:
        CORRAL_CHECK(false, "dequantize_k: not a K-quant: %d", static_cast<int>(type));
    }
  }
}

}  // namespace corral::quant
