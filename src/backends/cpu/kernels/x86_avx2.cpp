// AVX2+FMA+F16C kernels: register-tiled matmul tiles for every weight dtype, 256-bit vectors.
// Integer dot products: vpmaddubsw + vpmaddwd (Q8_0 weights with the abs/sign trick, since
// their bytes are signed). Compiled only with this ISA's -m flags; all in corral::cpu::avx2.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "backends/cpu/kernels/kernels_impl.h"
#include "ml/quant_blocks.h"
#include "util/half.h"

namespace corral::cpu::avx2 {

#include "backends/cpu/kernels/x86_decode_impl.h"
#define CORRAL_GEMV_VNNI 0
#include "backends/cpu/kernels/x86_gemv_impl.h"
#undef CORRAL_GEMV_VNNI

namespace {

constexpr int kRows = 4;
constexpr int kCols = 2;

// GCC -O2 keeps loops over the register tile rolled (the accumulators then live in memory, a
// store-load chain per step): every loop over tile rows and columns is unrolled explicitly.
#define CORRAL_PRAGMA(x) _Pragma(#x)
#define CORRAL_UNROLL(n) CORRAL_PRAGMA(GCC unroll n)

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256i sum_pairs16(__m256i v) {
  return _mm256_madd_epi16(v, _mm256_set1_epi16(1));
}

// kMode: 0 = unsigned levels with an integer offset, 1 = with a float min, 2 = signed Q8_0.
template <int R, int C, int kMode>
void micro32(const Panel32* w, const BlockQ8_0* const* x, int64_t nb, int offset, float* c, size_t ldc) {
  __m256 acc[R][C];
  [[maybe_unused]] float summ[R][C] = {};
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) acc[r][j] = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < nb; ++b) {
    __m256i a[C], corr[C];
    __m256 da[C];
    [[maybe_unused]] float fsum[C];
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) {
      a[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][b].qs));
      da[j] = _mm256_set1_ps(half_to_float(x[j][b].d));
      if constexpr (kMode != 2) {
        const __m256i s = sum_pairs16(_mm256_maddubs_epi16(ones, a[j]));
        corr[j] = _mm256_mullo_epi32(s, _mm256_set1_epi32(-offset));
        // The F16 block sum after the row's blocks (pack_q8_0): the min term is m * s, summed in
        // block order apart from the lanes, as llama.cpp's Q4_1 x Q8_1 dot does.
        if constexpr (kMode == 1) fsum[j] = half_to_float(reinterpret_cast<const uint16_t*>(x[j] + nb)[b]);
      }
    }
    CORRAL_UNROLL(8)
    for (int r = 0; r < R; ++r) {
      const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r].q + 32 * b));
      const __m256 dw = _mm256_loadu_ps(w[r].dw + 8 * b);
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) {
        __m256i dot;
        if constexpr (kMode == 2) {
          dot = sum_pairs16(_mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(a[j], wq)));
        } else {
          dot = _mm256_add_epi32(sum_pairs16(_mm256_maddubs_epi16(wq, a[j])), corr[j]);
        }
        acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw, da[j]), acc[r][j]);
      }
      if constexpr (kMode == 1) {
        CORRAL_UNROLL(8)
        for (int j = 0; j < C; ++j) summ[r][j] += w[r].m[8 * b] * fsum[j];
      }
    }
  }
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) c[j * ldc + r] = hsum8(acc[r][j]) + summ[r][j];
}

template <int R, int C, bool kIntMin>
void microK(const PanelK* w, const BlockQ8_K* const* x, int64_t nsb, float* c, size_t ldc) {
  __m256 acc[R][C];
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) acc[r][j] = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    __m256i iacc[R][C];
    CORRAL_UNROLL(8)
    for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) iacc[r][j] = _mm256_setzero_si256();
    CORRAL_UNROLL(8)
    for (int ch = 0; ch < 8; ++ch) {
      __m256i a[C];
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j)
        a[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][sb].qs + 32 * ch));
      CORRAL_UNROLL(8)
      for (int r = 0; r < R; ++r) {
        const __m256i wq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r].q + 256 * sb + 32 * ch));
        const int16_t* s16 = w[r].sc16 + 16 * sb + 2 * ch;
        const __m256i s = _mm256_set_m128i(_mm_set1_epi16(s16[1]), _mm_set1_epi16(s16[0]));
        CORRAL_UNROLL(8)
        for (int j = 0; j < C; ++j) {
          iacc[r][j] = _mm256_add_epi32(iacc[r][j], _mm256_madd_epi16(_mm256_maddubs_epi16(wq, a[j]), s));
        }
      }
    }
    CORRAL_UNROLL(8)
    for (int r = 0; r < R; ++r) {
      const __m256i m16 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r].m16 + 16 * sb));
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) {
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[j][sb].bsums));
        const __m256i mins = _mm256_madd_epi16(m16, bs);
        const float da = x[j][sb].d;
        if constexpr (kIntMin) {
          const __m256i v = _mm256_sub_epi32(iacc[r][j], mins);
          acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(w[r].d[sb] * da), acc[r][j]);
        } else {
          acc[r][j] =
              _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[r][j]), _mm256_set1_ps(w[r].d[sb] * da), acc[r][j]);
          acc[r][j] =
              _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(w[r].dmin[sb] * da), acc[r][j]);
        }
      }
    }
  }
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) c[j * ldc + r] = hsum8(acc[r][j]);
}

template <int R, int C>
void microF(const float* const* w, const float* const* x, int64_t k, float* c, size_t ldc) {
  __m256 acc[R][C];
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) acc[r][j] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 8 <= k; e += 8) {
    __m256 a[C];
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) a[j] = _mm256_loadu_ps(x[j] + e);
    CORRAL_UNROLL(8)
    for (int r = 0; r < R; ++r) {
      const __m256 wv = _mm256_loadu_ps(w[r] + e);
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) acc[r][j] = _mm256_fmadd_ps(wv, a[j], acc[r][j]);
    }
  }
  CORRAL_UNROLL(8)
  for (int r = 0; r < R; ++r) {
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) {
      float s = hsum8(acc[r][j]);
      for (int64_t t = e; t < k; ++t) s += w[r][t] * x[j][t];
      c[j * ldc + r] = s;
    }
  }
}

template <int MaxC, typename Fn>
void dispatch_rc(int r, int c, Fn&& fn) {
  auto with_c = [&](auto rt) {
    constexpr int R = decltype(rt)::value;
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

void tile32(DType t, const TileArgs& a) {
  const int64_t nb = a.k / 32;
  const int mode = t == DType::kQ8_0 ? 2 : (t == DType::kQ4_1 || t == DType::kQ5_1) ? 1 : 0;
  const int offset = offset_of(t, true);
  const size_t qn = static_cast<size_t>(a.k), fn = static_cast<size_t>(a.k / 4);
  // Per-thread scratch reused across tiles (no allocation or zero-fill per call).
  thread_local std::vector<uint8_t> qbuf;
  thread_local std::vector<float> dbuf, mbuf;
  qbuf.resize(kRows * qn);
  dbuf.resize(kRows * fn);
  mbuf.resize(mode == 1 ? kRows * fn : 0);
  Panel32 p[kRows];
  for (int r = 0; r < kRows; ++r)
    p[r] = {qbuf.data() + r * qn, dbuf.data() + r * fn, mode == 1 ? mbuf.data() + r * fn : nullptr};
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    for (int r = 0; r < nr; ++r) decode_row32(t, a.w + (i + r) * a.w_row_bytes, nb, p[r], true);
    for (int64_t j = a.j0; j < a.j1; j += kCols) {
      const int nc = static_cast<int>(std::min<int64_t>(kCols, a.j1 - j));
      const BlockQ8_0* x[kCols];
      for (int cc = 0; cc < nc; ++cc)
        x[cc] = reinterpret_cast<const BlockQ8_0*>(a.xq + (j + cc) * a.xq_row_bytes);
      float* out = a.c + j * a.ldc + i;
      dispatch_rc<kCols>(nr, nc, [&]<int R, int C>() {
        if (mode == 0)
          micro32<R, C, 0>(p, x, nb, offset, out, a.ldc);
        else if (mode == 1)
          micro32<R, C, 1>(p, x, nb, offset, out, a.ldc);
        else
          micro32<R, C, 2>(p, x, nb, offset, out, a.ldc);
      });
    }
  }
}

void tileK(DType t, const TileArgs& a) {
  const int64_t nsb = a.k / 256;
  const bool int_min = t == DType::kQ3_K || t == DType::kQ6_K;
  const size_t k = static_cast<size_t>(a.k);
  thread_local std::vector<uint8_t> qbuf;
  thread_local std::vector<int16_t> sbuf, mbuf;
  thread_local std::vector<float> dbuf;
  qbuf.resize(kRows * k);
  sbuf.resize(kRows * static_cast<size_t>(nsb) * 16);
  mbuf.resize(kRows * static_cast<size_t>(nsb) * 16);
  dbuf.resize(kRows * static_cast<size_t>(nsb) * 2);
  PanelK p[kRows];
  for (int r = 0; r < kRows; ++r) {
    p[r] = {qbuf.data() + r * k, sbuf.data() + r * nsb * 16, dbuf.data() + 2 * r * nsb,
            dbuf.data() + (2 * r + 1) * nsb, mbuf.data() + r * nsb * 16};
  }
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    for (int r = 0; r < nr; ++r) decode_rowK(t, a.w + (i + r) * a.w_row_bytes, nsb, p[r]);
    for (int64_t j = a.j0; j < a.j1; j += kCols) {
      const int nc = static_cast<int>(std::min<int64_t>(kCols, a.j1 - j));
      const BlockQ8_K* x[kCols];
      for (int cc = 0; cc < nc; ++cc)
        x[cc] = reinterpret_cast<const BlockQ8_K*>(a.xq + (j + cc) * a.xq_row_bytes);
      float* out = a.c + j * a.ldc + i;
      dispatch_rc<kCols>(nr, nc, [&]<int R, int C>() {
        if (int_min)
          microK<R, C, true>(p, x, nsb, out, a.ldc);
        else
          microK<R, C, false>(p, x, nsb, out, a.ldc);
      });
    }
  }
}

void tile_float(DType t, const TileArgs& a) {
  const size_t k = static_cast<size_t>(a.k);
  std::vector<float> wbuf(t == DType::kF32 ? 0 : kRows * k);
  std::vector<float> xbuf(t == DType::kBF16 ? static_cast<size_t>(a.j1 - a.j0) * k : 0);
  for (int64_t j = 0; !xbuf.empty() && j < a.j1 - a.j0; ++j) {
    const auto* src = reinterpret_cast<const uint16_t*>(a.xq + (a.j0 + j) * a.xq_row_bytes);
    for (size_t e = 0; e < k; ++e) xbuf[j * k + e] = bf16_to_f32(src[e]);
  }
  for (int64_t i = a.i0; i < a.i1; i += kRows) {
    const int nr = static_cast<int>(std::min<int64_t>(kRows, a.i1 - i));
    const float* wrows[kRows];
    for (int r = 0; r < nr; ++r) {
      const uint8_t* src = a.w + (i + r) * a.w_row_bytes;
      if (t == DType::kF32) {
        wrows[r] = reinterpret_cast<const float*>(src);
        continue;
      }
      float* dst = wbuf.data() + r * k;
      const auto* h = reinterpret_cast<const uint16_t*>(src);
      size_t e = 0;
      if (t == DType::kF16) {
        for (; e + 8 <= k; e += 8)
          _mm256_storeu_ps(dst + e,
                           _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + e))));
        for (; e < k; ++e) dst[e] = fp16_to_f32(h[e]);
      } else {
        for (; e < k; ++e) dst[e] = bf16_to_f32(h[e]);
      }
      wrows[r] = dst;
    }
    for (int64_t j = a.j0; j < a.j1; j += kCols) {
      const int nc = static_cast<int>(std::min<int64_t>(kCols, a.j1 - j));
      const float* xrows[kCols];
      for (int cc = 0; cc < nc; ++cc) {
        xrows[cc] = xbuf.empty() ? reinterpret_cast<const float*>(a.xq + (j + cc) * a.xq_row_bytes)
                                 : xbuf.data() + (j + cc - a.j0) * k;
      }
      float* out = a.c + j * a.ldc + i;
      dispatch_rc<kCols>(nr, nc, [&]<int R, int C>() { microF<R, C>(wrows, xrows, a.k, out, a.ldc); });
    }
  }
}

}  // namespace

void pack_activations(DType weight, const float* x, int64_t k, void* out) {
  pack_activations_x86(weight, x, k, out);
}

void matmul_tile(DType weight, const TileArgs& a) {
  if (a.j1 - a.j0 <= kGemvMaxCols && gemv::run(weight, a)) return;
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
      return tile_float(weight, a);
    default:
      break;
  }
  if (dtype_traits(weight).block_size == 32) return tile32(weight, a);
  return tileK(weight, a);
}

#undef CORRAL_UNROLL
#undef CORRAL_PRAGMA

}  // namespace corral::cpu::avx2
