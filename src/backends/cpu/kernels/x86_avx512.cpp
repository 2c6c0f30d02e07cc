// AVX-512 (F+BW+VL+DQ) kernels: register-tiled matmul tiles for every weight dtype.
// Integer dot products use VNNI (vpdpbusd) when the CPU has it; without VNNI the quantized
// tiles run the AVX2 kernels. BF16 weights use vdpbf16ps when AVX512_BF16 is present.
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
#include "ml/quant_blocks.h"
#include "util/half.h"

namespace corral::cpu::avx512 {

#include "backends/cpu/kernels/x86_decode_impl.h"
#define CORRAL_GEMV_VNNI 1
#include "backends/cpu/kernels/x86_gemv_impl.h"
#undef CORRAL_GEMV_VNNI
#include "backends/cpu/kernels/x86_gemm_k_vnni.h"
#include "backends/cpu/kernels/x86_gemm_32_vnni.h"

namespace {

constexpr int kRows = 4;  // weight rows per register tile
#define CORRAL_PRAGMA(x) _Pragma(#x)
#define CORRAL_UNROLL(n) CORRAL_PRAGMA(GCC unroll n)

// Whether the GEMV's scalar min-term sum `accm += m * s` is contracted into one FMA (GCC's
// default -ffp-contract=fast in C++ does so with -mfma); the GEMM must round the same way.
constexpr bool kMinFma = true;

// Weights with a block min (Q4_1, Q5_1), bit-identical to the GEMV (rows32 in x86_gemv_impl.h)
// and so to llama.cpp's Q4_1 x Q8_1 dot: per row, 8 float lanes of 4-element integer dots
// accumulated in block order (fma with d * da), the min terms m * s summed apart in block order.
// A 512-bit register holds a pair of weight rows (block b of row 2p | of row 2p + 1) against the
// activation block broadcast to both halves; the min terms of 4 rows x 4 columns share one
// register (lane 4r + j). P row pairs (1..2) x C activation rows (1..4); w has 4 rows.
template <int P, int C>
__attribute__((target("avx512vnni"))) void micro32_min(const Panel32* w, const BlockQ8_0* const* x, const float* const* xd,
                                                       const float* xs, size_t xs_stride, int64_t nb, float* c, size_t ldc) {
  __m512 acc[P][C];
  CORRAL_UNROLL(4)
  for (int p = 0; p < P; ++p)
    CORRAL_UNROLL(4)
    for (int j = 0; j < C; ++j) acc[p][j] = _mm512_setzero_ps();
  __m512 summ = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m512i wq[P];
    __m512 dw[P];
    CORRAL_UNROLL(4)
    for (int p = 0; p < P; ++p) {
      wq[p] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[2 * p].q + 32 * b))),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[2 * p + 1].q + 32 * b)), 1);
      dw[p] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(w[2 * p].dw + 8 * b)),
                                 _mm256_loadu_ps(w[2 * p + 1].dw + 8 * b), 1);
    }
    CORRAL_UNROLL(4)
    for (int j = 0; j < C; ++j) {
      const __m512i a = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][b].qs)));
      const __m512 da = _mm512_set1_ps(xd[j][b]);
      CORRAL_UNROLL(4)
      for (int p = 0; p < P; ++p) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wq[p], a);
        acc[p][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[p], da), acc[p][j]);
      }
    }
    // Lane 4r + j: m of row r times s of column j (rows past 2P and columns past C are ignored).
    const __m512 m01 = _mm512_insertf32x4(_mm512_castps128_ps512(_mm_loadu_ps(w[0].m + 8 * b)), _mm_loadu_ps(w[1].m + 8 * b), 1);
    const __m512 mv = _mm512_insertf32x4(_mm512_insertf32x4(m01, _mm_loadu_ps(w[2].m + 8 * b), 2), _mm_loadu_ps(w[3].m + 8 * b), 3);
    const __m512 sv = _mm512_broadcast_f32x4(_mm_loadu_ps(xs + b * xs_stride));
    summ = kMinFma ? _mm512_fmadd_ps(mv, sv, summ) : _mm512_add_ps(summ, _mm512_mul_ps(mv, sv));
  }
  alignas(64) float sm[16];
  _mm512_store_ps(sm, summ);
  CORRAL_UNROLL(4)
  for (int p = 0; p < P; ++p) {
    CORRAL_UNROLL(4)
    for (int j = 0; j < C; ++j) {
      c[j * ldc + 2 * p] = gemv::hsum8(_mm512_castps512_ps256(acc[p][j])) + sm[4 * (2 * p) + j];
      c[j * ldc + 2 * p + 1] = gemv::hsum8(_mm512_extractf32x8_ps(acc[p][j], 1)) + sm[4 * (2 * p + 1) + j];
    }
  }
}

// Calls fn.template operator()<C>() for runtime c in 1..MaxC.
template <int MaxC, typename Fn>
void dispatch_c(int c, Fn&& fn) {
  if constexpr (MaxC >= 4) { if (c == 4) return fn.template operator()<4>(); }
  if constexpr (MaxC >= 3) { if (c == 3) return fn.template operator()<3>(); }
  if constexpr (MaxC >= 2) { if (c == 2) return fn.template operator()<2>(); }
  return fn.template operator()<1>();
}

// Float weights (already converted) x float activations; 16 elements per step.
template <int R, int C>
void microF(const float* const* w, const float* const* x, int64_t k, float* c, size_t ldc) {
  __m512 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t e = 0; e < k; e += 16) {
    const __mmask16 mask = k - e >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (k - e)) - 1);
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
__attribute__((target("avx512bf16"))) void microBF16(const uint16_t* const* w, const uint16_t* const* x, int64_t k,
                                                      float* c, size_t ldc) {
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
    if constexpr (MaxC >= 4) { if (c == 4) return fn.template operator()<R, 4>(); }
    if constexpr (MaxC >= 3) { if (c == 3) return fn.template operator()<R, 3>(); }
    if constexpr (MaxC >= 2) { if (c == 2) return fn.template operator()<R, 2>(); }
    return fn.template operator()<R, 1>();
  };
  switch (r) {
    case 4: return with_c(std::integral_constant<int, 4>{});
    case 3: return with_c(std::integral_constant<int, 3>{});
    case 2: return with_c(std::integral_constant<int, 2>{});
    default: return with_c(std::integral_constant<int, 1>{});
  }
}

// Q4_1 / Q5_1 tiles: each group of 4 weight rows decoded once per tile and reused by every
// group of 4 activation rows; the activation scales and F16 block sums converted once per tile.
void tile32_min(DType t, const TileArgs& a) {
  constexpr int kCols32 = 4;
  struct Scratch {
    std::vector<uint8_t> q;
    std::vector<float> dw, m, xd, xs;
  };
  thread_local Scratch s;
  const int64_t nb = a.k / 32;
  const size_t qn = static_cast<size_t>(a.k), fn = static_cast<size_t>(a.k / 4);
  const size_t cols = static_cast<size_t>(a.j1 - a.j0), xs_stride = cols + kCols32;
  s.q.resize(kRows * qn);
  s.dw.resize(kRows * fn);
  s.m.resize(kRows * fn);
  s.xd.resize(cols * static_cast<size_t>(nb));
  s.xs.resize(static_cast<size_t>(nb) * xs_stride);
  for (size_t j = 0; j < cols; ++j) {
    const auto* x = reinterpret_cast<const BlockQ8_0*>(a.xq + (a.j0 + static_cast<int64_t>(j)) * a.xq_row_bytes);
    const uint16_t* sums = reinterpret_cast<const uint16_t*>(x + nb);  // F16 block sums (pack_q8_0)
    for (int64_t b = 0; b < nb; ++b) {
      s.xd[j * static_cast<size_t>(nb) + static_cast<size_t>(b)] = half_to_float(x[b].d);
      s.xs[static_cast<size_t>(b) * xs_stride + j] = half_to_float(sums[b]);
    }
  }
  Panel32 p[kRows];
  for (int r = 0; r < kRows; ++r) p[r] = {s.q.data() + r * qn, s.dw.data() + r * fn, s.m.data() + r * fn};
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    for (int r = 0; r < nr; ++r) decode_row32(t, a.w + (i + r) * a.w_row_bytes, nb, p[r], false);
    // Rows past the tile read the last real row; their outputs are not stored.
    Panel32 w[kRows];
    for (int r = 0; r < kRows; ++r) w[r] = p[std::min(r, nr - 1)];
    for (int64_t j = a.j0; j < a.j1; j += kCols32) {
      const int nc = static_cast<int>(std::min<int64_t>(kCols32, a.j1 - j));
      const BlockQ8_0* x[kCols32];
      const float* xd[kCols32];
      for (int cc = 0; cc < nc; ++cc) {
        x[cc] = reinterpret_cast<const BlockQ8_0*>(a.xq + (j + cc) * a.xq_row_bytes);
        xd[cc] = s.xd.data() + static_cast<size_t>(j - a.j0 + cc) * static_cast<size_t>(nb);
      }
      const float* xs = s.xs.data() + (j - a.j0);
      float* out = a.c + j * a.ldc + i;
      if (nr <= 2) {
        alignas(64) float tmp[kCols32 * 2];
        dispatch_c<kCols32>(nc, [&]<int C>() { micro32_min<1, C>(w, x, xd, xs, xs_stride, nb, tmp, 2); });
        for (int cc = 0; cc < nc; ++cc)
          for (int r = 0; r < nr; ++r) out[cc * a.ldc + r] = tmp[cc * 2 + r];
      } else if (nr == 4) {
        dispatch_c<kCols32>(nc, [&]<int C>() { micro32_min<2, C>(w, x, xd, xs, xs_stride, nb, out, a.ldc); });
      } else {
        alignas(64) float tmp[kCols32 * 4];
        dispatch_c<kCols32>(nc, [&]<int C>() { micro32_min<2, C>(w, x, xd, xs, xs_stride, nb, tmp, 4); });
        for (int cc = 0; cc < nc; ++cc)
          for (int r = 0; r < nr; ++r) out[cc * a.ldc + r] = tmp[cc * 4 + r];
      }
    }
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
        for (; e + 16 <= k; e += 16) _mm512_storeu_ps(dst + e, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + e))));
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
          microBF16<R, C>(reinterpret_cast<const uint16_t* const*>(wrows), reinterpret_cast<const uint16_t* const*>(xrows), a.k, out, a.ldc);
        } else {
          microF<R, C>(reinterpret_cast<const float* const*>(wrows), reinterpret_cast<const float* const*>(xrows), a.k, out, a.ldc);
        }
      });
    }
  }
}

}  // namespace

void pack_activations(DType weight, const float* x, int64_t k, void* out) { pack_activations_x86(weight, x, k, out); }

void matmul_tile(DType weight, const TileArgs& a) {
  const bool float_weight = weight == DType::kF32 || weight == DType::kF16 || weight == DType::kBF16;
  if (a.j1 - a.j0 <= kGemvMaxCols && (float_weight || detect_cpu_features().avx512_vnni) && gemv::run(weight, a)) {
    return;
  }
  switch (weight) {
    case DType::kF32: case DType::kF16: case DType::kBF16:
      return tile_float(weight, a);
    default:
      break;
  }
  if (!detect_cpu_features().avx512_vnni) return avx2::matmul_tile(weight, a);
  if (weight == DType::kQ4_0 || weight == DType::kQ5_0 || weight == DType::kQ8_0) return g32::run(weight, a);
  if (dtype_traits(weight).block_size == 32) return tile32_min(weight, a);
  return kgemm::run(weight, a);
}

}  // namespace corral::cpu::avx512
