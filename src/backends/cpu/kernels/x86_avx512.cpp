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

namespace {

constexpr int kRows = 4;  // weight rows per register tile
constexpr int kCols = 2;  // activation rows per register tile (quantized)

inline __m512i load64(const void* p) { return _mm512_loadu_si512(p); }

// Activation rows of a 32-element format unpacked once per tile for the microkernel: per pair
// of blocks, 64 bytes of levels, 16 float scales (8 per block) and 16 int32 offset corrections
// (-offset * sums of 4 levels) or, for the min formats, 16 floats (scale * sums of 4 levels).
struct ActPanel32 {
  const uint8_t* q;
  const float* d;
  const int32_t* corr;
  const float* fsum;
};

__attribute__((target("avx512vnni"))) void unpack_act32(const BlockQ8_0* x, int64_t nb, int offset, bool with_min,
                                                        uint8_t* q, float* d, int32_t* corr, float* fsum) {
  const __m512i off = _mm512_set1_epi8(static_cast<char>(offset));
  for (int64_t b = 0; b < nb; b += 2) {
    const bool pair = b + 1 < nb;
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const __m256i hi = pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b + 1].qs)) : _mm256_setzero_si256();
    const __m512i a = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    const float d0 = half_to_float(x[b].d);
    const float d1 = pair ? half_to_float(x[b + 1].d) : 0.0f;
    const __m512 da = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(d0)), _mm256_set1_ps(d1), 1);
    _mm512_storeu_si512(q + 32 * b, a);
    _mm512_storeu_ps(d + 8 * b, da);
    const __m512i zero = _mm512_setzero_si512();
    _mm512_storeu_si512(corr + 8 * b, _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, off, a)));
    if (with_min) {  // the F16 block sums s after the blocks (pack_q8_0), in lane 0 of each block
      const uint16_t* s = reinterpret_cast<const uint16_t*>(x + nb);
      for (int t = 0; t < 16; ++t) fsum[8 * b + t] = 0.0f;
      fsum[8 * b] = half_to_float(s[b]);
      if (pair) fsum[8 * b + 8] = half_to_float(s[b + 1]);
    }
  }
}

// Weights with a block min (Q4_1, Q5_1): one block per 256-bit step, accumulated per lane in
// block order, and the min terms m * s summed apart -- llama.cpp's Q4_1 x Q8_1 dot, so prefill
// gives the same bits as the peer (and as corral's decode kernel).
template <int R, int C>
__attribute__((target("avx512vnni,avx512vl"))) void micro32_min(const Panel32* w, const ActPanel32* x, int64_t nb, float* c,
                                                                size_t ldc) {
  __m256 acc[R][C];
  float summ[R][C] = {};
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < C; ++j) acc[r][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < R; ++r) {
      const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r].q + 32 * b));
      const __m256 dw = _mm256_loadu_ps(w[r].dw + 8 * b);
      const float m = w[r].m[8 * b];
      for (int j = 0; j < C; ++j) {
        const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j].q + 32 * b));
        const __m256i dot = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wq, xq);
        acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw, _mm256_loadu_ps(x[j].d + 8 * b)), acc[r][j]);
        summ[r][j] += m * x[j].fsum[8 * b];
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < C; ++j) {
      __m128 s = _mm_add_ps(_mm256_extractf128_ps(acc[r][j], 1), _mm256_castps256_ps128(acc[r][j]));
      s = _mm_add_ps(s, _mm_movehl_ps(s, s));
      s = _mm_add_ss(s, _mm_movehdup_ps(s));
      c[j * ldc + r] = _mm_cvtss_f32(s) + summ[r][j];
    }
  }
}

// R weight rows x C activation rows of a 32-element format; two blocks per 512-bit step. The
// register-tile loops are unrolled explicitly (GCC -O2 otherwise keeps acc[][] in memory).
template <int R, int C, bool kMin>
__attribute__((target("avx512vnni"))) void micro32(const Panel32* w, const ActPanel32* x, int64_t nb, float* c, size_t ldc) {
  __m512 acc[R][C];
  _Pragma("GCC unroll 4")
  for (int r = 0; r < R; ++r)
    _Pragma("GCC unroll 4")
    for (int j = 0; j < C; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b += 2) {
    _Pragma("GCC unroll 4")
    for (int r = 0; r < R; ++r) {
      const __m512i wq = load64(w[r].q + 32 * b);
      const __m512 dw = _mm512_loadu_ps(w[r].dw + 8 * b);
      _Pragma("GCC unroll 4")
      for (int j = 0; j < C; ++j) {
        const __m512i dot = _mm512_dpbusd_epi32(load64(x[j].corr + 8 * b), wq, load64(x[j].q + 32 * b));
        acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_loadu_ps(x[j].d + 8 * b)), acc[r][j]);
      }
      if constexpr (kMin) {
        const __m512 m = _mm512_loadu_ps(w[r].m + 8 * b);
        _Pragma("GCC unroll 4")
        for (int j = 0; j < C; ++j) acc[r][j] = _mm512_fmadd_ps(_mm512_loadu_ps(x[j].fsum + 8 * b), m, acc[r][j]);
      }
    }
  }
  _Pragma("GCC unroll 4")
  for (int r = 0; r < R; ++r)
    _Pragma("GCC unroll 4")
    for (int j = 0; j < C; ++j) c[j * ldc + r] = _mm512_reduce_add_ps(acc[r][j]);
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

void tile32(DType t, const TileArgs& a) {
  constexpr int kCols32 = 4;
  const int64_t nb = a.k / 32;
  const bool has_min = t == DType::kQ4_1 || t == DType::kQ5_1;
  const int offset = offset_of(t, false);
  const size_t qn = static_cast<size_t>(a.k) + 64, fn = static_cast<size_t>(a.k / 4) + 16;
  std::vector<uint8_t> qbuf(kRows * qn, 0);
  std::vector<float> dbuf(kRows * fn, 0.0f), mbuf(has_min ? kRows * fn : 0, 0.0f);
  Panel32 p[kRows];
  for (int r = 0; r < kRows; ++r) p[r] = {qbuf.data() + r * qn, dbuf.data() + r * fn, has_min ? mbuf.data() + r * fn : nullptr};
  // The tile's activation rows, unpacked once and reused by every group of weight rows.
  const size_t rows = static_cast<size_t>(a.j1 - a.j0);
  std::vector<uint8_t> aq(rows * qn);
  std::vector<float> ad(rows * fn), af(has_min ? rows * fn : 0);
  std::vector<int32_t> ac(rows * fn);
  std::vector<ActPanel32> act(rows);
  for (size_t j = 0; j < rows; ++j) {
    const auto* x = reinterpret_cast<const BlockQ8_0*>(a.xq + (a.j0 + static_cast<int64_t>(j)) * a.xq_row_bytes);
    unpack_act32(x, nb, offset, has_min, aq.data() + j * qn, ad.data() + j * fn, ac.data() + j * fn,
                 has_min ? af.data() + j * fn : nullptr);
    act[j] = {aq.data() + j * qn, ad.data() + j * fn, ac.data() + j * fn, has_min ? af.data() + j * fn : nullptr};
  }
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    for (int r = 0; r < nr; ++r) decode_row32(t, a.w + (i + r) * a.w_row_bytes, nb, p[r], false);
    for (int64_t j = a.j0; j < a.j1; j += kCols32) {
      const int nc = static_cast<int>(std::min<int64_t>(kCols32, a.j1 - j));
      const ActPanel32* x = act.data() + (j - a.j0);
      float* out = a.c + j * a.ldc + i;
      dispatch_rc<kCols32>(nr, nc, [&]<int R, int C>() {
        if (has_min) micro32_min<R, C>(p, x, nb, out, a.ldc);
        else micro32<R, C, false>(p, x, nb, out, a.ldc);
      });
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
  if (dtype_traits(weight).block_size == 32) return tile32(weight, a);
  return kgemm::run(weight, a);
}

}  // namespace corral::cpu::avx512
