// The portable reference kernels: activations packed with the scalar quantizers, tiles computed
// by dequantizing each weight row and activation row to floats and summing in double.
// Slow and simple on purpose: every SIMD kernel is tested against the same math.
#include <vector>

#include "backends/cpu/kernels/kernels_impl.h"
#include "ml/quant.h"
#include "util/check.h"
#include "util/half.h"

namespace corral::cpu::generic {

void pack_activations(DType weight, const float* x, int64_t k, void* out) {
  const DType act = weight == DType::kBF16 ? DType::kBF16
                  : (weight == DType::kF32 || weight == DType::kF16) ? DType::kF32
                  : dtype_traits(weight).block_size == 256 ? DType::kQ8_K : DType::kQ8_0;
  const Status st = quantize_row(act, x, out, k);
  CORRAL_CHECK(st.ok(), "pack_activations: %s", st.to_string().c_str());
}

void matmul_tile(DType weight, const TileArgs& a) {
  const DType act = weight == DType::kBF16 ? DType::kBF16
                  : (weight == DType::kF32 || weight == DType::kF16) ? DType::kF32
                  : dtype_traits(weight).block_size == 256 ? DType::kQ8_K : DType::kQ8_0;
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
      a.c[(a.j0 + j) * a.ldc + i] = static_cast<float>(sum);
    }
  }
}

}  // namespace corral::cpu::generic
