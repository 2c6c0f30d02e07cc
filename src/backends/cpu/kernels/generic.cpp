// The portable reference kernels: activations packed with the scalar quantizers, tiles computed
// by dequantizing each weight row and activation row to floats and summing in double.
// Slow and simple on purpose: every SIMD kernel is tested against the same math.
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/cpu/kernels/kernels_impl.h"
#include "ml/quant.h"
#include "ml/quant_blocks.h"
#include "util/check.h"
#include "util/half.h"

namespace corral::cpu {

const float* half_to_float_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = fp16_to_f32(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

}  // namespace corral::cpu

namespace corral::cpu::generic {

namespace {

bool has_min(DType weight) {
  return weight == DType::kQ4_1 || weight == DType::kQ5_1;
}

// Q8_0 activations as the x86 kernels make them (llama.cpp's rule): d = amax / 127, levels
// x * (127 / amax) rounded half to even; for weights with a block min, F16 block sums
// s = d * sum(levels) after the blocks (see activation_row_bytes).
void pack_q8_0(const float* x, int64_t k, void* out, bool sums) {
  auto* b = static_cast<quant::BlockQ8_0*>(out);
  const int64_t nb = k / 32;
  auto* s = reinterpret_cast<uint16_t*>(b + nb);
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float amax = 0.0f;
    for (int e = 0; e < 32; ++e) amax = std::fmax(amax, std::fabs(x[e]));
    const float d = amax / 127.0f, id = amax == 0.0f ? 0.0f : 127.0f / amax;
    int sum = 0;
    for (int e = 0; e < 32; ++e) {
      const float v = std::nearbyint(x[e] * id);
      b[i].qs[e] = static_cast<int8_t>(v > 127.0f ? 127.0f : v < -128.0f ? -128.0f : v);
      sum += b[i].qs[e];
    }
    b[i].d = f32_to_fp16(d);
    if (sums) s[i] = f32_to_fp16(d * static_cast<float>(sum));
  }
}

}  // namespace

void pack_activations(DType weight, const float* x, int64_t k, void* out) {
  const DType act = weight == DType::kBF16                             ? DType::kBF16
                    : (weight == DType::kF32 || weight == DType::kF16) ? DType::kF32
                    : dtype_traits(weight).block_size == 256           ? DType::kQ8_K
                                                                       : DType::kQ8_0;
  if (act == DType::kQ8_0) return pack_q8_0(x, k, out, has_min(weight));
  const Status st = quantize_row(act, x, out, k);
  CORRAL_CHECK(st.ok(), "pack_activations: %s", st.to_string().c_str());
}

// For weights with a block min the kernels take a block's min term as m * s (s the F16 block sum
// of the packed activations) where the dequantized product gives m * sum(x): the difference.
static double min_term_correction(DType weight, const uint8_t* w, const uint8_t* xq, int64_t k) {
  const int64_t nb = k / 32;
  const size_t wb = *dtype_row_bytes(weight, 32);
  const auto* x = reinterpret_cast<const quant::BlockQ8_0*>(xq);
  const auto* s = reinterpret_cast<const uint16_t*>(x + nb);
  double c = 0;
  for (int64_t b = 0; b < nb; ++b) {
    uint16_t mh;
    std::memcpy(&mh, w + b * wb + 2, 2);  // Q4_1 / Q5_1 blocks start with d, m
    int sum = 0;
    for (int e = 0; e < 32; ++e) sum += x[b].qs[e];
    c += static_cast<double>(fp16_to_f32(mh)) *
         (static_cast<double>(fp16_to_f32(s[b])) - static_cast<double>(fp16_to_f32(x[b].d)) * sum);
  }
  return c;
}

void matmul_tile(DType weight, const TileArgs& a) {
  const DType act = weight == DType::kBF16                             ? DType::kBF16
                    : (weight == DType::kF32 || weight == DType::kF16) ? DType::kF32
                    : dtype_traits(weight).block_size == 256           ? DType::kQ8_K
                                                                       : DType::kQ8_0;
  const int64_t rows = a.j1 - a.j0;
  std::vector<float> xs(static_cast<size_t>(rows * a.k));
  for (int64_t j = 0; j < rows; ++j) {
    dequantize_row(act, a.xq + (a.j0 + j) * a.xq_row_bytes, xs.data() + j * a.k, a.k);
  }
  std::vector<float> wrow(static_cast<size_t>(a.k));
  for (int64_t i = a.i0; i < a.i1; ++i) {
    dequantize_row(weight, a.w + i * a.w_row_bytes, wrow.data(), a.k);
    for (int64_t j = 0; j < rows; ++j) {
      const float* x = xs.data() + j * a.k;
      double sum = 0;
      for (int64_t e = 0; e < a.k; ++e) sum += static_cast<double>(wrow[e]) * x[e];
      if (has_min(weight))
        sum += min_term_correction(weight, a.w + i * a.w_row_bytes, a.xq + (a.j0 + j) * a.xq_row_bytes, a.k);
      a.c[(a.j0 + j) * a.ldc + i] = static_cast<float>(sum);
    }
  }
}

}  // namespace corral::cpu::generic
