// Private, x86 only: fused matrix-vector kernels for a few activation rows (decode, and small
// batches of sequences decoding together). Integer dot products straight from the packed weight
// blocks in registers: no decoded weight buffer, K-quant scales unpacked once per super-block, no
// software prefetch (each thread reads R long sequential streams, which the hardware prefetchers
// follow better than any hint). Each pass takes R weight rows x C activation rows (C <= 4):
// a weight block is loaded and unpacked once for all C rows, and per output the arithmetic and
// its order do not depend on R or C (a batch gets the bits of each sequence alone). Dtypes:
// Q4_0/Q4_1/Q5_0/Q5_1/Q8_0, Q2_K..Q6_K (up to kGemvMaxCols activation rows), F16, BF16, F32
// (up to 3). 256-bit vectors on both ISAs (Zen 4 splits 512-bit ops).
// Textually included INSIDE an x86 ISA namespace after x86_decode_impl.h; the includer defines
// CORRAL_GEMV_VNNI (1: vpdpbusd via avx512vnni+vl, 0: vpmaddubsw + vpmaddwd). Includes only its
// own part x86_gemv_kquants.h (inside namespace gemv).

#if CORRAL_GEMV_VNNI
#define CORRAL_GEMV_FN __attribute__((target("avx512vnni,avx512vl"))) inline
#else
#define CORRAL_GEMV_FN inline
#endif
// The loops over the R x C accumulators must be unrolled so the accumulators live in registers
// (GCC -O2 keeps an array indexed by a loop variable in memory: a store-load chain per block).
#define CORRAL_GEMV_UNROLL _Pragma("GCC unroll 16")

namespace gemv {

constexpr bool is_kquant(DType t) {
  return t == DType::kQ2_K || t == DType::kQ3_K || t == DType::kQ4_K || t == DType::kQ5_K ||
         t == DType::kQ6_K;
}
constexpr bool is_float(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

// Activation rows per pass: up to 4 for the quantized formats (more rows run as several passes
// over the same, now cached, weight rows); the float kernels take one.
template <DType T>
constexpr int kMaxC = is_float(T) ? 1 : 4;

// Weight rows per pass with C activation rows. A pass takes one row from each of R sequential
// streams (pass_rows), so R only trades registers against shared per-block activation work:
// the 4/5-bit 32-element formats take four rows with one activation row and two with more; Q8_0
// and the K-quants two with one activation row and one with more (their wider blocks run out of
// registers beyond that; Q4_K hot in L2 at 1 thread: 19 GB/s with one row, 25 with two, 22 with
// four).
template <DType T, int C>
constexpr int kPassRows = (T == DType::kQ8_0 || is_kquant(T)) ? (C == 1 ? 2 : 1)
                          : C == 1                            ? 4
                                                              : 2;

CORRAL_GEMV_FN float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// acc + sums of four u8 x s8 products per 32-bit lane.
CORRAL_GEMV_FN __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
#if CORRAL_GEMV_VNNI
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// ---- 32-element formats x Q8_0 activations ----

// 16 bytes of nibbles -> 32 bytes (low nibbles, then high nibbles): one broadcast load, one
// variable shift and one mask (half the vector ops of unpack_nibbles16).
CORRAL_GEMV_FN __m256i nibbles32(const uint8_t* qs) {
  const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  return _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0f));
}

// Q4_0 with VNNI: the high nibbles stay in place (x 16: products up to 240 * 127 need the
// non-saturating vpdpbusd; vpmaddubsw would saturate its int16 pair sums).
constexpr bool kQ4_0HighInPlace = CORRAL_GEMV_VNNI;

// Unsigned levels (offset not yet subtracted; Q4_0 with VNNI: high half x 16) of the 32-element
// block at blk.
template <DType T>
CORRAL_GEMV_FN __m256i levels32(const uint8_t* blk) {
  if constexpr (T == DType::kQ4_0 && kQ4_0HighInPlace) {
    // Low nibbles, then the high nibbles left in place (16 x level): one mask, no shift; the
    // caller scales lanes 4..7 by 1/16.
    const auto* x = reinterpret_cast<const BlockQ4_0*>(blk);
    const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x->qs)));
    return _mm256_and_si256(v, _mm256_set_m128i(_mm_set1_epi8(static_cast<char>(0xf0)), _mm_set1_epi8(0x0f)));
  } else if constexpr (T == DType::kQ4_0) {
    return nibbles32(reinterpret_cast<const BlockQ4_0*>(blk)->qs);
  } else if constexpr (T == DType::kQ4_1) {
    return nibbles32(reinterpret_cast<const BlockQ4_1*>(blk)->qs);
  } else if constexpr (T == DType::kQ5_0) {
    const auto* x = reinterpret_cast<const BlockQ5_0*>(blk);
    return _mm256_or_si256(nibbles32(x->qs), _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
  } else {
    static_assert(T == DType::kQ5_1);
    const auto* x = reinterpret_cast<const BlockQ5_1*>(blk);
    return _mm256_or_si256(nibbles32(x->qs), _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
  }
}

// Half number i at p (a block's d, or m after it) as a float, from half_to_float_table().
CORRAL_GEMV_FN float half_at(const float* tab, const void* p, int i = 0) {
  uint16_t h;
  std::memcpy(&h, static_cast<const uint8_t*>(p) + 2 * i, 2);
  return tab[h];
}

template <DType T>
constexpr int64_t kBlockBytes32 = T == DType::kQ4_0   ? sizeof(BlockQ4_0)
                                  : T == DType::kQ4_1 ? sizeof(BlockQ4_1)
                                  : T == DType::kQ5_0 ? sizeof(BlockQ5_0)
                                                      : sizeof(BlockQ5_1);

// What a Q4_0/Q5_0 row kernel needs of one activation block besides its levels, the same for every
// weight row: the offset correction (minus offset x per-lane sums of four activations, the
// products' lanes) and the activation scale per lane. Computed once per tile (run_offset32), where
// computing it per pass cost a sixth of the kernel's vector ops.
struct ActSide {
  __m256i corr;
  __m256 da;
};

template <DType T>
CORRAL_GEMV_FN ActSide act_side(const BlockQ8_0& blk, const float* tab) {
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
  const __m256i asum = dot_u8s8(_mm256_setzero_si256(), _mm256_set1_epi8(1), a);
  const __m256 da = _mm256_set1_ps(half_at(tab, &blk));
  if constexpr (T == DType::kQ4_0 && kQ4_0HighInPlace) {
    // Lanes 4..7 hold 16 x (high level - 8) * a: their scale is da / 16 (exact), their offset
    // correction 16 * 8 * sum(a).
    return {_mm256_sub_epi32(_mm256_setzero_si256(),
                             _mm256_sllv_epi32(asum, _mm256_set_epi32(7, 7, 7, 7, 3, 3, 3, 3))),
            _mm256_mul_ps(da, _mm256_set_ps(0.0625f, 0.0625f, 0.0625f, 0.0625f, 1.0f, 1.0f, 1.0f, 1.0f))};
  } else {
    constexpr int kShift = T == DType::kQ4_0 ? 3 : 4;  // offset 8 or 16
    return {_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(asum, kShift)), da};
  }
}

// out[c * ldc + r * os] = dot(weight row r, activation row c) for R rows of a 32-element format
// (rows wrb bytes apart) and C packed Q8_0 activation rows (xrb bytes apart), nb blocks each; side
// holds act_side of each activation row's blocks (nb apart) for Q4_0/Q5_0, nullptr otherwise. The
// other row kernels take the same arguments but side.
template <DType T, int R, int C>
CORRAL_GEMV_FN void rows32(const uint8_t* w, size_t wrb, const uint8_t* x, size_t xrb, int64_t nb, float* out,
                           size_t ldc, size_t os, const ActSide* side) {
  constexpr bool kMin = T == DType::kQ4_1 || T == DType::kQ5_1;
  __m256 acc[R][C];
  float accm[R][C];  // min terms m * s, summed in block order
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      acc[r][c] = _mm256_setzero_ps();
      accm[r][c] = 0.0f;
    }
  }
  const BlockQ8_0* xr[C];
  CORRAL_GEMV_UNROLL
  for (int c = 0; c < C; ++c) xr[c] = reinterpret_cast<const BlockQ8_0*>(x + c * xrb);
  const float* tab = half_to_float_table();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i a[C];
    __m256 da[C];
    [[maybe_unused]] __m256i corr[C];
    [[maybe_unused]] float fsum[C];
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      a[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr[c][b].qs));
      if constexpr (kMin) {
        da[c] = _mm256_set1_ps(half_at(tab, xr[c] + b));
        fsum[c] = tab[reinterpret_cast<const uint16_t*>(xr[c] + nb)[b]];  // F16 block sums
      } else {
        da[c] = side[c * nb + b].da;
        corr[c] = side[c * nb + b].corr;
      }
    }
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + r * wrb + b * kBlockBytes32<T>;
      const __m256i u = levels32<T>(blk);
      const __m256 dw = _mm256_set1_ps(half_at(tab, blk));
      [[maybe_unused]] const float m = kMin ? half_at(tab, blk, 1) : 0.0f;
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        // d * da rounded once, as a scalar product would be (Q4_0 lanes 4..7: d * da / 16).
        const __m256 scale = _mm256_mul_ps(dw, da[c]);
        if constexpr (kMin) {
          const __m256i dot = dot_u8s8(_mm256_setzero_si256(), u, a[c]);
          acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[r][c]);
          accm[r][c] += m * fsum[c];
        } else {
          const __m256i dot = dot_u8s8(corr[c], u, a[c]);
          acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[r][c]);
        }
      }
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) out[c * ldc + r * os] = hsum8(acc[r][c]) + accm[r][c];
  }
}

template <int R, int C>
CORRAL_GEMV_FN void rows_q8_0(const uint8_t* w, size_t wrb, const uint8_t* x, size_t xrb, int64_t nb,
                              float* out, size_t ldc, size_t os) {
  __m256 acc[R][C];
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  const BlockQ8_0* xr[C];
  CORRAL_GEMV_UNROLL
  for (int c = 0; c < C; ++c) xr[c] = reinterpret_cast<const BlockQ8_0*>(x + c * xrb);
  const float* tab = half_to_float_table();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i a[C];
    __m256 da[C];
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      a[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr[c][b].qs));
      da[c] = _mm256_set1_ps(half_at(tab, xr[c] + b));
    }
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(w + r * wrb) + b;
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs));
      const __m256i qa = _mm256_sign_epi8(q, q);
      const __m256 dw = _mm256_set1_ps(half_at(tab, blk));
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        // |q| * (a with q's sign): an unsigned x signed product with the same value as q * a.
        const __m256i dot = dot_u8s8(_mm256_setzero_si256(), qa, _mm256_sign_epi8(a[c], q));
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw, da[c]), acc[r][c]);
      }
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) out[c * ldc + r * os] = hsum8(acc[r][c]);
  }
}

#if CORRAL_GEMV_VNNI
// ---- Q4_0x8 (repack.h) x Q8_0 activations ----

// One group of 8 weight rows against C activation rows, one 32-bit lane per weight row: per block,
// four 32-byte loads hold the 8 rows' quant bytes, and each vpdpbusd multiplies four levels of
// every row by the same four broadcast activations. The high nibbles stay in place (x 16, summed
// apart and shifted back, exactly). Per output: the exact integer block dot (levels - 8) . a, then
// acc = fma(dot, d * da, acc) in block order; nothing depends on C, so a batch gets the bits of
// each sequence alone. offs[c * nb + b] = -8 x the sum of activation block b of row c.
template <int C>
CORRAL_GEMV_FN void group_q4_0x8(const uint8_t* g, const uint8_t* x, size_t xrb, const int32_t* offs,
                                 int64_t nb, float* out, size_t ldc) {
  __m256 acc[C];
  const BlockQ8_0* xr[C];
  CORRAL_GEMV_UNROLL
  for (int c = 0; c < C; ++c) {
    acc[c] = _mm256_setzero_ps();
    xr[c] = reinterpret_cast<const BlockQ8_0*>(x + c * xrb);
  }
  const float* tab = half_to_float_table();
  const __m256i lo_mask = _mm256_set1_epi8(0x0f), hi_mask = _mm256_set1_epi8(static_cast<char>(0xf0));
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = g + b * static_cast<int64_t>(kQ4_0x8BlockBytes);
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk)));
    __m256i lo[4], hi[4];
    CORRAL_GEMV_UNROLL
    for (int q = 0; q < 4; ++q) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * q));
      lo[q] = _mm256_and_si256(v, lo_mask);
      hi[q] = _mm256_and_si256(v, hi_mask);
    }
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      const int8_t* a = xr[c][b].qs;
      auto four = [a](int i) {  // activations 4i..4i+3 in every lane
        int32_t v;
        std::memcpy(&v, a + 4 * i, 4);
        return _mm256_set1_epi32(v);
      };
      __m256i s0 = dot_u8s8(_mm256_set1_epi32(offs[c * nb + b]), lo[0], four(0));
      __m256i s1 = dot_u8s8(zero, lo[1], four(1));
      __m256i h0 = dot_u8s8(zero, hi[0], four(4));
      __m256i h1 = dot_u8s8(zero, hi[1], four(5));
      s0 = dot_u8s8(s0, lo[2], four(2));
      s1 = dot_u8s8(s1, lo[3], four(3));
      h0 = dot_u8s8(h0, hi[2], four(6));
      h1 = dot_u8s8(h1, hi[3], four(7));
      const __m256i dot =
          _mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_srai_epi32(_mm256_add_epi32(h0, h1), 4));
      const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(half_at(tab, xr[c] + b)));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[c]);
    }
  }
  CORRAL_GEMV_UNROLL
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * ldc, acc[c]);
}

// A tile of a Q4_0x8 matrix (a.w: group 0; rows a.i0..a.i1 whole groups; at most kGemvMaxCols
// activation rows), C <= 4 activation rows per pass over a group.
inline void run_q4_0x8(const TileArgs& a) {
  const int64_t nb = a.k / 32, cols = a.j1 - a.j0;
  int32_t on_stack[512];  // 2048-element rows of up to 8 activation rows
  std::vector<int32_t> on_heap;
  int32_t* offs = on_stack;
  if (static_cast<size_t>(cols * nb) > std::size(on_stack)) {
    on_heap.resize(static_cast<size_t>(cols * nb));
    offs = on_heap.data();
  }
  for (int64_t j = a.j0; j < a.j1; ++j) {
    const auto* xb = reinterpret_cast<const BlockQ8_0*>(a.xq + j * a.xq_row_bytes);
    for (int64_t b = 0; b < nb; ++b) {
      int32_t s = 0;
      for (int e = 0; e < 32; ++e) s += xb[b].qs[e];
      offs[(j - a.j0) * nb + b] = -8 * s;
    }
  }
  const size_t group = static_cast<size_t>(kQ4_0x8Rows) * a.w_row_bytes;
  for (int64_t i = a.i0; i < a.i1; i += kQ4_0x8Rows) {
    const uint8_t* g = a.w + static_cast<size_t>(i / kQ4_0x8Rows) * group;
    for (int64_t j = a.j0; j < a.j1; j += 4) {
      const uint8_t* x = a.xq + j * a.xq_row_bytes;
      const int32_t* o = offs + (j - a.j0) * nb;
      float* out = a.c + j * a.ldc + i;
      switch (std::min<int64_t>(4, a.j1 - j)) {
        case 4:
          group_q4_0x8<4>(g, x, a.xq_row_bytes, o, nb, out, a.ldc);
          break;
        case 3:
          group_q4_0x8<3>(g, x, a.xq_row_bytes, o, nb, out, a.ldc);
          break;
        case 2:
          group_q4_0x8<2>(g, x, a.xq_row_bytes, o, nb, out, a.ldc);
          break;
        default:
          group_q4_0x8<1>(g, x, a.xq_row_bytes, o, nb, out, a.ldc);
          break;
      }
    }
  }
}
#endif

#include "backends/cpu/kernels/x86_gemv_kquants.h"

// ---- Float weights (F32, F16, BF16) x float activations (F32, or BF16 for BF16) ----

// 8 bf16 values -> 8 floats (bf16 is the high half of an f32).
inline __m256 bf16x8(const uint16_t* p) {
  return _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}
inline float bf16_1(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Loaders: element type, 8 elements -> 8 floats, one element -> float.
struct LoadF32 {
  using T = float;
  static __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
  static float one(float v) { return v; }
};
struct LoadF16 {
  using T = uint16_t;
  static __m256 load8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float one(uint16_t h) { return half_to_float(h); }
};
struct LoadBF16 {
  using T = uint16_t;
  static __m256 load8(const uint16_t* p) { return bf16x8(p); }
  static float one(uint16_t h) { return bf16_1(h); }
};

// out[r * ostride] = dot(weight row r, x) for R float rows: W loads the weights, X the activations;
// two accumulators of 8 lanes per row, the tail (k % 16) in scalar.
template <typename W, typename X, int R>
inline void rows_float(const uint8_t* w, size_t wrb, const typename X::T* x, int64_t k, float* out,
                       size_t ostride) {
  using WT = typename W::T;
  __m256 acc0[R], acc1[R];
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 16 <= k; e += 16) {
    const __m256 x0 = X::load8(x + e), x1 = X::load8(x + e + 8);
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const WT* h = reinterpret_cast<const WT*>(w + r * wrb) + e;
      acc0[r] = _mm256_fmadd_ps(W::load8(h), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(W::load8(h + 8), x1, acc1[r]);
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    const WT* h = reinterpret_cast<const WT*>(w + r * wrb);
    float s = hsum8(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t t = e; t < k; ++t) s += W::one(h[t]) * X::one(x[t]);
    out[r * ostride] = s;
  }
}

// One pass: weight rows i, i + q, ..., i + (R - 1) q against every activation row of the tile,
// C at a time.
template <DType T, int R, typename Fn>
inline void pass_cols(const TileArgs& a, int64_t i, int64_t q, Fn& fn) {
  const uint8_t* w = a.w + i * a.w_row_bytes;
  const size_t ws = static_cast<size_t>(q) * a.w_row_bytes, os = static_cast<size_t>(q);
  for (int64_t j = a.j0; j < a.j1; j += kMaxC<T>) {
    const uint8_t* x = a.xq + j * a.xq_row_bytes;
    float* out = a.c + j * a.ldc + i;
    switch (std::min<int64_t>(kMaxC<T>, a.j1 - j)) {
      case 4:
        if constexpr (kMaxC<T> >= 4) fn.template operator()<R, 4>(w, ws, x, out, os);
        break;
      case 3:
        if constexpr (kMaxC<T> >= 3) fn.template operator()<R, 3>(w, ws, x, out, os);
        break;
      case 2:
        if constexpr (kMaxC<T> >= 2) fn.template operator()<R, 2>(w, ws, x, out, os);
        break;
      default:
        fn.template operator()<R, 1>(w, ws, x, out, os);
        break;
    }
  }
}

// The tile's n weight rows as R sequential streams of q = n / R rows each: pass p takes row p of
// every stream, so each stream reads contiguous memory, a pattern the hardware prefetchers follow
// (R adjacent short rows per pass read R interleaved pieces of one region and stream poorly). The
// n % R rows left run one by one.
template <DType T, int R, typename Fn>
inline void pass_rows(const TileArgs& a, Fn& fn) {
  const int64_t q = (a.i1 - a.i0) / R;
  for (int64_t p = 0; p < q; ++p) pass_cols<T, R>(a, a.i0 + p, q, fn);
  if constexpr (R > 1) {
    for (int64_t i = a.i0 + R * q; i < a.i1; ++i) pass_cols<T, 1>(a, i, 1, fn);
  }
}

// Runs fn<R, C>(weight rows, activation rows, out) over the tile; R from the widest pass's C.
template <DType T, typename Fn>
inline void for_tile(const TileArgs& a, Fn&& fn) {
  switch (std::min<int64_t>(kMaxC<T>, a.j1 - a.j0)) {
    case 4:
      if constexpr (kMaxC<T> >= 4) pass_rows<T, kPassRows<T, 4>>(a, fn);
      break;
    case 3:
      if constexpr (kMaxC<T> >= 3) pass_rows<T, kPassRows<T, 3>>(a, fn);
      break;
    case 2:
      if constexpr (kMaxC<T> >= 2) pass_rows<T, kPassRows<T, 2>>(a, fn);
      break;
    default:
      pass_rows<T, kPassRows<T, 1>>(a, fn);
      break;
  }
}

// Q4_0 / Q5_0 tiles: the activation side of every (activation row, block) first, then the passes.
template <DType T>
inline void run_offset32(const TileArgs& a, int64_t nb) {
  const float* tab = half_to_float_table();
  const size_t need = static_cast<size_t>((a.j1 - a.j0) * nb);
  constexpr size_t kOnStack = 256;  // 16 KB: 2048-element rows of up to 4 activation rows
  ActSide on_stack[kOnStack];
  std::vector<ActSide> on_heap;
  ActSide* side = on_stack;
  if (need > kOnStack) {
    on_heap.resize(need);
    side = on_heap.data();
  }
  for (int64_t j = a.j0; j < a.j1; ++j) {
    const auto* xb = reinterpret_cast<const BlockQ8_0*>(a.xq + j * a.xq_row_bytes);
    for (int64_t b = 0; b < nb; ++b) side[(j - a.j0) * nb + b] = act_side<T>(xb[b], tab);
  }
  const size_t xrb = a.xq_row_bytes;
  for_tile<T>(a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
    const ActSide* s = side + (static_cast<int64_t>(static_cast<size_t>(x - a.xq) / xrb) - a.j0) * nb;
    rows32<T, R, C>(w, ws, x, xrb, nb, o, a.ldc, os, s);
  });
}

// The fused path for weight dtype t, if it has one for the tile's activation rows; false leaves
// the tile to the caller.
inline bool run(DType t, const TileArgs& a) {
  if (a.j1 - a.j0 > gemv_max_cols(t)) return false;
  const size_t xrb = a.xq_row_bytes;
  const size_t ldc = a.ldc;
  const int64_t nb = a.k / 32, nsb = a.k / 256;
  switch (t) {
    case DType::kQ4_0:
      run_offset32<DType::kQ4_0>(a, nb);
      return true;
    case DType::kQ4_1:
      for_tile<DType::kQ4_1>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows32<DType::kQ4_1, R, C>(w, ws, x, xrb, nb, o, ldc, os, nullptr);
          });
      return true;
    case DType::kQ5_0:
      run_offset32<DType::kQ5_0>(a, nb);
      return true;
    case DType::kQ5_1:
      for_tile<DType::kQ5_1>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows32<DType::kQ5_1, R, C>(w, ws, x, xrb, nb, o, ldc, os, nullptr);
          });
      return true;
    case DType::kQ8_0:
      for_tile<DType::kQ8_0>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q8_0<R, C>(w, ws, x, xrb, nb, o, ldc, os);
          });
      return true;
    case DType::kQ4_K:
      for_tile<DType::kQ4_K>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q45k<false, R, C>(w, ws, x, xrb, nsb, o, ldc, os);
          });
      return true;
    case DType::kQ5_K:
      for_tile<DType::kQ5_K>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q45k<true, R, C>(w, ws, x, xrb, nsb, o, ldc, os);
          });
      return true;
    case DType::kQ6_K:
      for_tile<DType::kQ6_K>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q6k<R, C>(w, ws, x, xrb, nsb, o, ldc, os);
          });
      return true;
    case DType::kQ2_K:
      for_tile<DType::kQ2_K>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q23k<false, R, C>(w, ws, x, xrb, nsb, o, ldc, os);
          });
      return true;
    case DType::kQ3_K:
      for_tile<DType::kQ3_K>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_q23k<true, R, C>(w, ws, x, xrb, nsb, o, ldc, os);
          });
      return true;
    case DType::kF32:
      for_tile<DType::kF32>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_float<LoadF32, LoadF32, R>(w, ws, reinterpret_cast<const float*>(x), a.k, o, os);
          });
      return true;
    case DType::kBF16:
      for_tile<DType::kBF16>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_float<LoadBF16, LoadBF16, R>(w, ws, reinterpret_cast<const uint16_t*>(x), a.k, o, os);
          });
      return true;
    case DType::kF16:
      for_tile<DType::kF16>(
          a, [&]<int R, int C>(const uint8_t* w, size_t ws, const uint8_t* x, float* o, size_t os) {
            rows_float<LoadF16, LoadF32, R>(w, ws, reinterpret_cast<const float*>(x), a.k, o, os);
          });
      return true;
    default:
      return false;
  }
}

}  // namespace gemv

#undef CORRAL_GEMV_UNROLL
#undef CORRAL_GEMV_FN
