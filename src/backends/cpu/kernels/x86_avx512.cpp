// AVX-512 (F+BW+VL+DQ) kernels: register-tiled matmul tiles for every weight dtype.
// Integer dot products use VNNI (vpdpbusd) when the CPU has it; without VNNI the quantized
// tiles run the AVX2 kernels; with it the quantized GEMMs are x86_gemm_32_vnni.h (32-element formats)
// and x86_gemm_k_vnni.h (K-quants). BF16 weights use vdpbf16ps when AVX512_BF16 is present.
// Compiled only with this ISA's -m flags; everything lives in corral::cpu::avx512.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized
// flags at every inlined use (a known false positive of the headers, not of this code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/kernels/kernels_impl.h"
#include "backends/cpu/repack.h"
#include "ml/quant_blocks.h"
#include "util/half.h"

namespace corral::cpu::avx512 {

#include "backends/cpu/kernels/x86_decode_impl.h"
#define CORRAL_GEMV_VNNI 1
#include "backends/cpu/kernels/x86_gemv_impl.h"
#undef CORRAL_GEMV_VNNI
#include "backends/cpu/kernels/x86_gemm_k_vnni.h"
// After the K-quant GEMM: uses its kgemm helpers.
#include "backends/cpu/kernels/x86_gemm_32_vnni.h"

namespace {

constexpr int kRows = 4;  // weight rows per register tile

// Float weights (already converted) x float activations; 16 elements per step.
template <int R, int C>
void microF(const float* const* w, const float* const* x, int64_t k, float* c, size_t ldc) {
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t e = 0; e < k; e += 16) {
    const __mmask16 mask =
        k - e >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (k - e)) - 1);
    __m512 a[C];
    for (int j = 0; j < C; ++j) a[j] = _mm512_maskz_loadu_ps(mask, x[j] + e);
    for (int r = 0; r < R; ++r) {
      const __m512 wv = _mm512_maskz_loadu_ps(mask, w[r] + e);
      for (int j = 0; j < C; ++j) acc[r][j] = _mm512_fmadd_ps(wv, a[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) c[j * ldc + r] = _mm512_reduce_add_ps(acc[r][j]);
}

// BF16 weights x BF16 activations with vdpbf16ps; 32 elements per step.
template <int R, int C>
__attribute__((target("avx512bf16"))) void microBF16(const uint16_t* const* w, const uint16_t* const* x,
                                                     int64_t k, float* c, size_t ldc) {
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t e = 0; e < k; e += 32) {
    const __mmask32 mask = k - e >= 32 ? 0xffffffffu : static_cast<__mmask32>((1u << (k - e)) - 1);
    __m512bh a[C];
    for (int j = 0; j < C; ++j) a[j] = (__m512bh)_mm512_maskz_loadu_epi16(mask, x[j] + e);
    for (int r = 0; r < R; ++r) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(mask, w[r] + e);
      for (int j = 0; j < C; ++j) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], wv, a[j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) c[j * ldc + r] = _mm512_reduce_add_ps(acc[r][j]);
}

// Calls fn.template operator()<R, C>() for runtime r in 1..4, c in 1..MaxC.
template <int MaxC, typename Fn>
void dispatch_rc(int r, int c, Fn&& fn) {
  auto with_c = [&](auto rt) {
    constexpr int R = decltype(rt)::value;
    if constexpr (MaxC >= 4) {
      if (c == 4) return fn.template operator()<R, 4>();
    }
    if constexpr (MaxC >= 3) {
      if (c == 3) return fn.template operator()<R, 3>();
    }
    if constexpr (MaxC >= 2) {
      if (c == 2) return fn.template operator()<R, 2>();
    }
    return fn.template operator()<R, 1>();
  };
  switch (r) {
    case 4:
      return with_c(std::integral_constant<int, 4>{});
    case 3:
      return with_c(std::integral_constant<int, 3>{});
    case 2:
      return with_c(std::integral_constant<int, 2>{});
    default:
      return with_c(std::integral_constant<int, 1>{});
  }
}

void tile_float(DType t, const TileArgs& a) {
  constexpr int kFCols = 4;
  const size_t k = static_cast<size_t>(a.k);
  const bool bf16_native = t == DType::kBF16 && detect_cpu_features().avx512_bf16;
  std::vector<float> wbuf(t == DType::kF32 || bf16_native ? 0 : kRows * k);
  std::vector<float> xbuf(t == DType::kBF16 && !bf16_native ? static_cast<size_t>(a.j1 - a.j0) * k : 0);
  for (int64_t j = 0; j < static_cast<int64_t>(xbuf.size() / std::max<size_t>(k, 1)); ++j) {
    const auto* src = reinterpret_cast<const uint16_t*>(a.xq + (a.j0 + j) * a.xq_row_bytes);
    for (size_t e = 0; e < k; ++e) xbuf[j * k + e] = bf16_to_f32(src[e]);
  }
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    const void* wrows[kRows];
    for (int r = 0; r < nr; ++r) {
      const uint8_t* src = a.w + (i + r) * a.w_row_bytes;
      if (t == DType::kF32 || bf16_native) {
        wrows[r] = src;
        continue;
      }
      float* dst = wbuf.data() + r * k;
      const auto* h = reinterpret_cast<const uint16_t*>(src);
      size_t e = 0;
      if (t == DType::kF16) {
        for (; e + 16 <= k; e += 16)
          _mm512_storeu_ps(dst + e,
                           _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + e))));
        for (; e < k; ++e) dst[e] = fp16_to_f32(h[e]);
      } else {
        for (; e < k; ++e) dst[e] = bf16_to_f32(h[e]);
      }
      wrows[r] = dst;
    }
    for (int64_t j = a.j0; j < a.j1; j += kFCols) {
      const int nc = static_cast<int>(std::min<int64_t>(kFCols, a.j1 - j));
      const void* xrows[kFCols];
      for (int cc = 0; cc < nc; ++cc) {
        xrows[cc] = xbuf.empty() ? static_cast<const void*>(a.xq + (j + cc) * a.xq_row_bytes)
                                 : static_cast<const void*>(xbuf.data() + (j + cc - a.j0) * k);
      }
      float* out = a.c + j * a.ldc + i;
      dispatch_rc<kFCols>(nr, nc, [&]<int R, int C>() {
        if (bf16_native) {
          microBF16<R, C>(reinterpret_cast<const uint16_t* const*>(wrows),
                          reinterpret_cast<const uint16_t* const*>(xrows), a.k, out, a.ldc);
        } else {
          microF<R, C>(reinterpret_cast<const float* const*>(wrows),
                       reinterpret_cast<const float* const*>(xrows), a.k, out, a.ldc);
        }
      });
    }
  }
}

}  // namespace

void pack_activations(DType weight, const float* x, int64_t k, void* out) {
  pack_activations_x86(weight, x, k, out);
}

bool matmul_tile_q4_0x8(const TileArgs& a) {
  if (a.j1 - a.j0 > kGemvMaxCols || a.i0 % kQ4_0x8Rows != 0 || a.i1 % kQ4_0x8Rows != 0 ||
      !detect_cpu_features().avx512_vnni) {
    return false;
  }
  gemv::run_q4_0x8(a);
  return true;
}

void matmul_tile(DType weight, const TileArgs& a) {
  const bool float_weight = weight == DType::kF32 || weight == DType::kF16 || weight == DType::kBF16;
  if (a.j1 - a.j0 <= kGemvMaxCols && (float_weight || detect_cpu_features().avx512_vnni) &&
      gemv::run(weight, a)) {
    return;
  }
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
      return tile_float(weight, a);
    default:
      break;
  }
  if (!detect_cpu_features().avx512_vnni) return avx2::matmul_tile(weight, a);
  if (dtype_traits(weight).block_size == 32) return g32::run(weight, a);
  return kgemm::run(weight, a);
}

}  // namespace corral::cpu::avx512
