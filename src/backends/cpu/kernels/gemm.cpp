// gemm.h: activation formats per weight dtype and the dispatch to the ISA kernels.
#include "backends/cpu/gemm.h"

#include "backends/cpu/kernels/kernels_impl.h"
#include "backends/cpu/repack.h"
#include "util/check.h"

#include <vector>

namespace corral::cpu {
namespace {

TileArgs tile_args(int64_t k, const void* w, size_t w_row_bytes, const void* xq, size_t xq_row_bytes,
                   float* c, size_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  return {k,
          static_cast<const uint8_t*>(w),
          w_row_bytes,
          static_cast<const uint8_t*>(xq),
          xq_row_bytes,
          c,
          ldc,
          i0,
          i1,
          j0,
          j1};
}

}  // namespace

bool matmul_supported(DType weight) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return true;
    default:
      return false;
  }
}

DType activation_dtype(DType weight) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
      return DType::kF32;
    case DType::kBF16:
      return DType::kBF16;
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
      return DType::kQ8_0;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
      return DType::kQ8_K;
    default:
      CORRAL_CHECK(false, "activation_dtype: no matmul for weight type %s",
                   std::string(dtype_name(weight)).c_str());
  }
  return DType::kF32;
}

size_t activation_row_bytes(DType weight, int64_t k) {
  const auto bytes = dtype_row_bytes(activation_dtype(weight), static_cast<uint64_t>(k));
  CORRAL_CHECK(bytes.has_value() && k % dtype_traits(weight).block_size == 0,
               "activation_row_bytes: k=%lld does not fit weight type %s", static_cast<long long>(k),
               std::string(dtype_name(weight)).c_str());
  // Weights with a block min (Q4_1, Q5_1): the Q8_0 blocks are followed by one F16 block sum
  // s = d * sum(levels) each, llama.cpp's Q8_1 sum; the min term of a block is m * s.
  const bool sums = weight == DType::kQ4_1 || weight == DType::kQ5_1;
  return static_cast<size_t>(*bytes) + (sums ? static_cast<size_t>(k / 32) * sizeof(uint16_t) : 0);
}

void pack_activations(Isa isa, DType weight, const float* x, int64_t k, void* out_row) {
  CORRAL_CHECK(matmul_supported(weight) && k % dtype_traits(weight).block_size == 0,
               "pack_activations: bad args");
  switch (isa) {
#if defined(CORRAL_HAVE_X86_KERNELS)
    case Isa::kAvx2:
      return avx2::pack_activations(weight, x, k, out_row);
    case Isa::kAvx512:
      return avx512::pack_activations(weight, x, k, out_row);
#endif
    default:
      return generic::pack_activations(weight, x, k, out_row);
  }
}

void matmul_tile(Isa isa, DType weight, int64_t k, const void* w, size_t w_row_bytes, const void* xq,
                 size_t xq_row_bytes, float* c, size_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  CORRAL_CHECK(matmul_supported(weight) && k % dtype_traits(weight).block_size == 0, "matmul_tile: bad args");
  if (i1 <= i0 || j1 <= j0) return;
  const TileArgs a = tile_args(k, w, w_row_bytes, xq, xq_row_bytes, c, ldc, i0, i1, j0, j1);
  switch (isa) {
#if defined(CORRAL_HAVE_X86_KERNELS)
    case Isa::kAvx2:
      return avx2::matmul_tile(weight, a);
    case Isa::kAvx512:
      return avx512::matmul_tile(weight, a);
#endif
    default:
      return generic::matmul_tile(weight, a);
  }
}

bool q4_0x8_direct(Isa isa) {
#if defined(CORRAL_HAVE_X86_KERNELS)
  return isa == Isa::kAvx512 && detect_cpu_features().avx512_vnni;
#else
  (void)isa;
  return false;
#endif
}

void matmul_tile_q4_0x8(Isa isa, int64_t k, const void* w, const void* xq, size_t xq_row_bytes, float* c,
                        size_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  CORRAL_CHECK(k > 0 && k % 32 == 0, "matmul_tile_q4_0x8: bad args");
  if (i1 <= i0 || j1 <= j0) return;
  const auto row_bytes = static_cast<size_t>(*dtype_row_bytes(DType::kQ4_0, static_cast<uint64_t>(k)));
#if defined(CORRAL_HAVE_X86_KERNELS)
  if (isa == Isa::kAvx512) {
    if (avx512::matmul_tile_q4_0x8(tile_args(k, w, row_bytes, xq, xq_row_bytes, c, ldc, i0, i1, j0, j1)))
      return;
  }
#endif
  std::vector<uint8_t> rows(static_cast<size_t>(i1 - i0) * row_bytes);
  unpack_q4_0x8_rows(w, k, i0, i1, rows.data());
  matmul_tile(isa, DType::kQ4_0, k, rows.data(), row_bytes, xq, xq_row_bytes, c + i0, ldc, 0, i1 - i0, j0,
              j1);
}

TileHint preferred_tile(Isa isa, DType weight) {
  // Weight rows per task: a multiple of every kernel's row tile (4); activation rows: whole
  // batches up to 64 keep each weight panel in L1/L2 while it is reused.
  if (isa == Isa::kGeneric) return {16, 16};
  // The AVX-512 VNNI quantized GEMMs repack the weight rows into interleaved panels per tile: wider
  // tiles (256 activation rows, ~600 KB of Q8_K, within L2) amortize it. The 32-element formats
  // also convert their activation rows per tile: taller tiles (256 weight rows) amortize that.
  if (isa == Isa::kAvx512 && dtype_traits(weight).block_size >= 32 && detect_cpu_features().avx512_vnni) {
    return {dtype_traits(weight).block_size == 32 ? 256 : 64, 256};
  }
  return {32, 64};
}

bool matmul_is_gemv(Isa isa, DType weight, int64_t cols) {
  if (isa == Isa::kGeneric || cols < 1 || !matmul_supported(weight)) return false;
  return cols <= gemv_max_cols(weight);
}

}  // namespace corral::cpu
