// Scalar quantizers of the plain and 32-element formats, and the dispatch of quant.h.
// The formulas follow the gguf package's numpy code operation by operation (float32 throughout,
// no fused multiply-add) so the bytes come out identical.
#include "ml/quant.h"

#include <cmath>
#include <cstring>

#include "ml/quant_blocks.h"
#include "util/check.h"
#include "util/half.h"

namespace corral {
namespace quant {
namespace {

// Index of the element with the largest magnitude (the first one on ties, as numpy's argmax).
int argmax_abs(const float* x, int n) {
  int best = 0;
  float best_abs = std::fabs(x[0]);
  for (int i = 1; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (a > best_abs) {
      best_abs = a;
      best = i;
    }
  }
  return best;
}

float inverse_or_zero(float d) { return d == 0.0f ? 0.0f : 1.0f / d; }

uint8_t trunc_u8(float v, int hi) {
  // numpy: trunc(v).astype(uint8).clip(0, hi); v is never below 0 here except by rounding noise.
  int q = static_cast<int>(v);
  if (q < 0) q = 0;
  return static_cast<uint8_t>(q > hi ? hi : q);
}

// Symmetric 4/5-bit block: d = max / -half (max = the signed element of largest magnitude).
void quantize_symmetric(const float* x, int half, uint16_t* d_out, uint8_t* q) {
  const float max = x[argmax_abs(x, kQK)];
  const float d = max / static_cast<float>(-half);
  const float id = inverse_or_zero(d);
  const float bias = static_cast<float>(half) + 0.5f;
  for (int i = 0; i < kQK; ++i) q[i] = trunc_u8(x[i] * id + bias, 2 * half - 1);
  *d_out = f32_to_fp16(d);
}

// Affine block: d = (max - min) / levels, w = d * q + min.
void quantize_affine(const float* x, int levels, uint16_t* d_out, uint16_t* m_out, uint8_t* q) {
  float mn = x[0], mx = x[0];
  for (int i = 1; i < kQK; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  const float d = (mx - mn) / static_cast<float>(levels);
  const float id = inverse_or_zero(d);
  for (int i = 0; i < kQK; ++i) q[i] = trunc_u8((x[i] - mn) * id + 0.5f, levels);
  *d_out = f32_to_fp16(d);
  *m_out = f32_to_fp16(mn);
}

void pack_nibbles(const uint8_t* q, uint8_t* qs) {
  for (int i = 0; i < kQK / 2; ++i) qs[i] = static_cast<uint8_t>((q[i] & 0x0f) | (q[i + 16] << 4));
}

void pack_fifth_bits(const uint8_t* q, uint8_t* qh) {
  uint32_t bits = 0;
  for (int i = 0; i < kQK; ++i) bits |= static_cast<uint32_t>((q[i] >> 4) & 1) << i;
  std::memcpy(qh, &bits, 4);  // little-endian, as GGUF
}

void quantize_q4_0(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(out);
  uint8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    quantize_symmetric(x, 8, &b[i].d, q);
    pack_nibbles(q, b[i].qs);
  }
}

void quantize_q4_1(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ4_1*>(out);
  uint8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    quantize_affine(x, 15, &b[i].d, &b[i].m, q);
    pack_nibbles(q, b[i].qs);
  }
}

void quantize_q5_0(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(out);
  uint8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    quantize_symmetric(x, 16, &b[i].d, q);
    pack_nibbles(q, b[i].qs);
    pack_fifth_bits(q, b[i].qh);
  }
}

void quantize_q5_1(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ5_1*>(out);
  uint8_t q[kQK];
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    quantize_affine(x, 31, &b[i].d, &b[i].m, q);
    pack_nibbles(q, b[i].qs);
    pack_fifth_bits(q, b[i].qh);
  }
}

// Round half away from zero (numpy np_roundf in gguf, C roundf).
float round_away(float v) { return std::round(v); }

float block_amax(const float* x, int n) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  return amax;
}

template <typename Fn>
void for_each_nibble(const uint8_t* qs, Fn fn) {
  for (int i = 0; i < kQK / 2; ++i) {
    fn(i, qs[i] & 0x0f);
    fn(i + 16, qs[i] >> 4);
  }
}

int fifth_bit(const uint8_t* qh, int i) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return static_cast<int>((bits >> i) & 1u) << 4;
}

void dequantize_32(DType type, const void* in, float* y, int64_t n) {
  const int64_t nb = n / kQK;
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    switch (type) {
      case DType::kQ4_0: {
        const auto& b = static_cast<const BlockQ4_0*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for_each_nibble(b.qs, [&](int j, int q) { y[j] = d * static_cast<float>(q - 8); });
        break;
      }
      case DType::kQ4_1: {
        const auto& b = static_cast<const BlockQ4_1*>(in)[i];
        const float d = fp16_to_f32(b.d), m = fp16_to_f32(b.m);
        for_each_nibble(b.qs, [&](int j, int q) { y[j] = d * static_cast<float>(q) + m; });
        break;
      }
      case DType::kQ5_0: {
        const auto& b = static_cast<const BlockQ5_0*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for_each_nibble(b.qs, [&](int j, int q) {
          y[j] = d * static_cast<float>((q | fifth_bit(b.qh, j)) - 16);
        });
        break;
      }
      case DType::kQ5_1: {
        const auto& b = static_cast<const BlockQ5_1*>(in)[i];
        const float d = fp16_to_f32(b.d), m = fp16_to_f32(b.m);
        for_each_nibble(b.qs, [&](int j, int q) {
          y[j] = d * static_cast<float>(q | fifth_bit(b.qh, j)) + m;
        });
        break;
      }
      case DType::kQ8_0: {
        const auto& b = static_cast<const BlockQ8_0*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
        break;
      }
      case DType::kQ8_1: {
        const auto& b = static_cast<const BlockQ8_1*>(in)[i];
        const float d = fp16_to_f32(b.d);
        for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
        break;
      }
      default:
        CORRAL_CHECK(false, "dequantize_32: not a 32-element format: %d", static_cast<int>(type));
    }
  }
}

}  // namespace

void quantize_q8_0(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(out);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const float d = block_amax(x, kQK) / 127.0f;
    const float id = inverse_or_zero(d);
    for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(round_away(x[j] * id));
    b[i].d = f32_to_fp16(d);
  }
}

void quantize_q8_1(const float* x, void* out, int64_t n) {
  auto* b = static_cast<BlockQ8_1*>(out);
  for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
    const float d = block_amax(x, kQK) / 127.0f;
    const float id = inverse_or_zero(d);
    int sum = 0;
    for (int j = 0; j < kQK; ++j) {
      b[i].qs[j] = static_cast<int8_t>(round_away(x[j] * id));
      sum += b[i].qs[j];
    }
    b[i].d = f32_to_fp16(d);
    b[i].s = f32_to_fp16(d * static_cast<float>(sum));
  }
}

}  // namespace quant

bool quant_supported(DType type) {
  switch (type) {
    case DType::kF32: case DType::kF16: case DType::kBF16:
    case DType::kQ4_0: case DType::kQ4_1: case DType::kQ5_0: case DType::kQ5_1:
    case DType::kQ8_0: case DType::kQ8_1:
    case DType::kQ2_K: case DType::kQ3_K: case DType::kQ4_K: case DType::kQ5_K:
    case DType::kQ6_K: case DType::kQ8_K:
      return true;
    default:
      return false;
  }
}

Status quantize_row(DType type, const float* x, void* out, int64_t n) {
  if (!quant_supported(type)) {
    return unsupported("quantize: no quantizer for type %s", std::string(dtype_name(type)).c_str());
  }
  const DTypeTraits& t = dtype_traits(type);
  if (n < 0 || n % t.block_size != 0) {
    return invalid_argument("quantize %s: row of %lld elements is not a multiple of the block size %u",
                            std::string(t.name).c_str(), static_cast<long long>(n), t.block_size);
  }
  if (t.quantized) {
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(x[i])) {
        return invalid_argument("quantize %s: element %lld is not finite", std::string(t.name).c_str(),
                                static_cast<long long>(i));
      }
    }
  }
  switch (type) {
    case DType::kF32: std::memcpy(out, x, static_cast<size_t>(n) * 4); break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_fp16(x[i]);
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(out)[i] = f32_to_bf16(x[i]);
      break;
    case DType::kQ4_0: quant::quantize_q4_0(x, out, n); break;
    case DType::kQ4_1: quant::quantize_q4_1(x, out, n); break;
    case DType::kQ5_0: quant::quantize_q5_0(x, out, n); break;
    case DType::kQ5_1: quant::quantize_q5_1(x, out, n); break;
    case DType::kQ8_0: quant::quantize_q8_0(x, out, n); break;
    case DType::kQ8_1: quant::quantize_q8_1(x, out, n); break;
    case DType::kQ2_K: quant::quantize_q2_k(x, out, n); break;
    case DType::kQ3_K: quant::quantize_q3_k(x, out, n); break;
    case DType::kQ4_K: quant::quantize_q4_k(x, out, n); break;
    case DType::kQ5_K: quant::quantize_q5_k(x, out, n); break;
    case DType::kQ6_K: quant::quantize_q6_k(x, out, n); break;
    case DType::kQ8_K: quant::quantize_q8_k(x, out, n); break;
    default: break;
  }
  return ok_status();
}

void dequantize_row(DType type, const void* in, float* y, int64_t n) {
  CORRAL_CHECK(quant_supported(type), "dequantize_row: unsupported type %d", static_cast<int>(type));
  CORRAL_CHECK(n >= 0 && n % dtype_traits(type).block_size == 0, "dequantize_row: bad row length %lld",
               static_cast<long long>(n));
  switch (type) {
    case DType::kF32: std::memcpy(y, in, static_cast<size_t>(n) * 4); break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_f32(static_cast<const uint16_t*>(in)[i]);
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_f32(static_cast<const uint16_t*>(in)[i]);
      break;
    case DType::kQ4_0: case DType::kQ4_1: case DType::kQ5_0: case DType::kQ5_1:
    case DType::kQ8_0: case DType::kQ8_1:
      quant::dequantize_32(type, in, y, n);
      break;
    default:
      quant::dequantize_k(type, in, y, n);
      break;
  }
}

}  // namespace corral
