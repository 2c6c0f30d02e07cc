// Private, AVX-512 VNNI only: the prompt-processing GEMM for the 32-element formats. Without a
// block min (Q4_0, Q5_0, Q8_0) x Q8_0 activations, each group of 16 weight rows is repacked per
// tile into an interleaved panel of signed levels (per 4 consecutive k, 64 bytes: 4 levels of each
// row, int32 lane = weight row) with per-block F32 scales and int32 corrections -128 * sum(levels);
// activations are copied once per tile as unsigned bytes (level + 128). One vpdpbusd advances 16
// rows by 4 k against 4 broadcast activation bytes; the integer block sums are exact, so each block
// costs one convert and one FMA per 16 outputs instead of one per 4 k. No horizontal sums. Q4_1 /
// Q5_1 use the same panels (unsigned levels) with per-lane float sums (see micro_min).
// Textually included INSIDE corral::cpu::avx512 after x86_gemm_k_vnni.h (kgemm::transpose16x16).
// Includes nothing itself.

namespace g32 {

#define CORRAL_PRAGMA(x) _Pragma(#x)
#define CORRAL_UNROLL(n) CORRAL_PRAGMA(GCC unroll n)

constexpr int kG = 16;    // weight rows per panel: one 32-bit lane each
constexpr int kMaxC = 8;  // activation rows per register tile

// The interleaved panel of kG weight rows over nb blocks (nb rounded up to even for q).
struct Panel {
  const uint8_t* q;     // [nb][8][kG][4] signed levels
  const int32_t* corr;  // [nb][kG] -128 * sum of the block's levels
  const float* d;       // [nb][kG] block scales
};

// The tile's activation rows: unsigned levels (level + 128) and F32 block scales.
struct Act {
  const uint8_t* q;  // k bytes
  const float* d;    // nb floats
};

// Levels of block b of a weight row and its scale: signed for Q4_0 (q - 8), Q5_0 (q - 16) and
// Q8_0, unsigned for Q4_1 / Q5_1 (whose min goes to *m).
template <DType T>
inline __m256i block_levels(const uint8_t* row, int64_t b, float* d, [[maybe_unused]] float* m) {
  if constexpr (T == DType::kQ4_0) {
    const auto* x = reinterpret_cast<const BlockQ4_0*>(row) + b;
    *d = half_to_float(x->d);
    return _mm256_sub_epi8(unpack_nibbles16(x->qs), _mm256_set1_epi8(8));
  } else if constexpr (T == DType::kQ4_1) {  // unsigned levels; the min goes to *m
    const auto* x = reinterpret_cast<const BlockQ4_1*>(row) + b;
    *d = half_to_float(x->d);
    *m = half_to_float(x->m);
    return unpack_nibbles16(x->qs);
  } else if constexpr (T == DType::kQ5_1) {
    const auto* x = reinterpret_cast<const BlockQ5_1*>(row) + b;
    *d = half_to_float(x->d);
    *m = half_to_float(x->m);
    return _mm256_or_si256(unpack_nibbles16(x->qs),
                           _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
  } else if constexpr (T == DType::kQ5_0) {
    const auto* x = reinterpret_cast<const BlockQ5_0*>(row) + b;
    *d = half_to_float(x->d);
    const __m256i u = _mm256_or_si256(unpack_nibbles16(x->qs),
                                      _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
    return _mm256_sub_epi8(u, _mm256_set1_epi8(16));
  } else {
    const auto* x = reinterpret_cast<const BlockQ8_0*>(row) + b;
    *d = half_to_float(x->d);
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x->qs));
  }
}

// Builds the panel of rows [i, i + nr) (rows past nr are zeros) into q/corr/d, or for the min
// formats q/d/mn (corr unused).
template <DType T>
__attribute__((target("avx512vnni"))) void build_panel(const uint8_t* w, size_t wrb, int nr, int64_t nb,
                                                       uint8_t* q, int32_t* corr, float* d, float* mn) {
  constexpr bool kMin = T == DType::kQ4_1 || T == DType::kQ5_1;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t b = 0; b < nb; b += 2) {
    const bool pair = b + 1 < nb;
    __m512i in[kG], out[kG];
    for (int r = 0; r < kG; ++r) {
      if (r >= nr) {
        in[r] = _mm512_setzero_si512();
        d[b * kG + r] = 0.0f;
        if (pair) d[(b + 1) * kG + r] = 0.0f;
        if constexpr (kMin) {
          mn[b * kG + r] = 0.0f;
          if (pair) mn[(b + 1) * kG + r] = 0.0f;
        }
        continue;
      }
      const uint8_t* row = w + static_cast<size_t>(r) * wrb;
      float d0, d1 = 0.0f, m0 = 0.0f, m1 = 0.0f;
      const __m256i lo = block_levels<T>(row, b, &d0, &m0);
      const __m256i hi = pair ? block_levels<T>(row, b + 1, &d1, &m1) : _mm256_setzero_si256();
      in[r] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      d[b * kG + r] = d0;
      if (pair) d[(b + 1) * kG + r] = d1;
      if constexpr (kMin) {
        mn[b * kG + r] = m0;
        if (pair) mn[(b + 1) * kG + r] = m1;
      }
    }
    kgemm::transpose16x16(in, out);
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
    CORRAL_UNROLL(8)
    for (int t = 0; t < 8; ++t) {
      _mm512_storeu_si512(q + (b * 8 + t) * 64, out[t]);
      _mm512_storeu_si512(q + (b * 8 + 8 + t) * 64, out[8 + t]);
      s0 = _mm512_dpbusd_epi32(s0, ones, out[t]);
      s1 = _mm512_dpbusd_epi32(s1, ones, out[8 + t]);
    }
    if constexpr (kMin) continue;
    const __m512i zero = _mm512_setzero_si512();
    _mm512_storeu_si512(corr + b * kG, _mm512_sub_epi32(zero, _mm512_slli_epi32(s0, 7)));
    if (pair) _mm512_storeu_si512(corr + (b + 1) * kG, _mm512_sub_epi32(zero, _mm512_slli_epi32(s1, 7)));
  }
}

// Copies one Q8_0 activation row as unsigned bytes (level + 128) and F32 scales.
inline void unpack_act(const BlockQ8_0* x, int64_t nb, uint8_t* q, float* d) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 32 * b), _mm256_xor_si256(v, flip));
    d[b] = half_to_float(x[b].d);
  }
}

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// c[j * ldc + r] = dot(weight row r, activation row j) for the panel's rows (mask) and C columns.
template <int C>
__attribute__((target("avx512vnni"))) void micro(const Panel& p, const Act* x, int64_t nb, float* c,
                                                 size_t ldc, __mmask16 mask) {
  __m512 acc[C];
  CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* wq = p.q + b * 8 * 64;
    const __m512i corr = _mm512_loadu_si512(p.corr + b * kG);
    __m512i iacc[C];
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) iacc[j] = corr;
    CORRAL_UNROLL(8)
    for (int t = 0; t < 8; ++t) {
      const __m512i w = _mm512_loadu_si512(wq + t * 64);
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j)
        iacc[j] = _mm512_dpbusd_epi32(iacc[j], _mm512_set1_epi32(load_i32(x[j].q + 32 * b + 4 * t)), w);
    }
    const __m512 dw = _mm512_loadu_ps(p.d + b * kG);
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) {
      acc[j] =
          _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[j]), _mm512_mul_ps(dw, _mm512_set1_ps(x[j].d[b])), acc[j]);
    }
  }
  CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) _mm512_mask_storeu_ps(c + j * ldc, mask, acc[j]);
}

inline void run_cols(int nc, const Panel& p, const Act* x, int64_t nb, float* c, size_t ldc, __mmask16 mask) {
  switch (nc) {
    case 8:
      return micro<8>(p, x, nb, c, ldc, mask);
    case 7:
      return micro<7>(p, x, nb, c, ldc, mask);
    case 6:
      return micro<6>(p, x, nb, c, ldc, mask);
    case 5:
      return micro<5>(p, x, nb, c, ldc, mask);
    case 4:
      return micro<4>(p, x, nb, c, ldc, mask);
    case 3:
      return micro<3>(p, x, nb, c, ldc, mask);
    case 2:
      return micro<2>(p, x, nb, c, ldc, mask);
    default:
      return micro<1>(p, x, nb, c, ldc, mask);
  }
}

// Per-thread scratch reused across calls (no allocation or page faults per tile).
struct Scratch {
  std::vector<uint8_t> pq, xq;
  std::vector<int32_t> pc;
  std::vector<float> pd, xd;
  std::vector<Act> act;
};

template <DType T>
void tile(const TileArgs& a) {
  thread_local Scratch s;
  const int64_t nb = a.k / 32, nb2 = (nb + 1) / 2 * 2;
  const size_t cols = static_cast<size_t>(a.j1 - a.j0);
  s.pq.resize(static_cast<size_t>(nb2) * 8 * 64);
  s.pc.resize(static_cast<size_t>(nb2) * kG);
  s.pd.resize(static_cast<size_t>(nb2) * kG);
  s.xq.resize(cols * static_cast<size_t>(a.k));
  s.xd.resize(cols * static_cast<size_t>(nb));
  s.act.resize(cols);
  for (size_t j = 0; j < cols; ++j) {
    const auto* x =
        reinterpret_cast<const BlockQ8_0*>(a.xq + (a.j0 + static_cast<int64_t>(j)) * a.xq_row_bytes);
    uint8_t* q = s.xq.data() + j * static_cast<size_t>(a.k);
    float* d = s.xd.data() + j * static_cast<size_t>(nb);
    unpack_act(x, nb, q, d);
    s.act[j] = {q, d};
  }
  const Panel p{s.pq.data(), s.pc.data(), s.pd.data()};
  for (int64_t i = a.i0; i < a.i1; i += kG) {
    const int nr = static_cast<int>(std::min<int64_t>(kG, a.i1 - i));
    build_panel<T>(a.w + i * a.w_row_bytes, a.w_row_bytes, nr, nb, s.pq.data(), s.pc.data(), s.pd.data(),
                   nullptr);
    const __mmask16 mask = static_cast<__mmask16>((1u << nr) - 1);
    for (int64_t j = a.j0; j < a.j1; j += kMaxC) {
      const int nc = static_cast<int>(std::min<int64_t>(kMaxC, a.j1 - j));
      run_cols(nc, p, s.act.data() + (j - a.j0), nb, a.c + j * a.ldc + i, a.ldc, mask);
    }
  }
}

// ---- Q4_1 / Q5_1: bit-identical to the GEMV (rows32 in x86_gemv_impl.h) ----
// The GEMV keeps, per weight row, 8 float lanes (lane t: the integer dot of elements 4t..4t+3 of a
// block) accumulated in block order with one FMA by d * da, sums them as hsum8 does, and adds the
// min terms m * s summed apart in block order. Here step t of the panel is lane t: 8 accumulators
// per activation row, each holding that lane for 16 weight rows, so the same roundings happen.

struct ActMin {
  const BlockQ8_0* x;  // the packed row (signed levels read in place)
  const float* d;      // nb block scales
  const float* s;      // nb F16 block sums as floats
};

template <int C>
__attribute__((target("avx512vnni"))) void micro_min(const uint8_t* pq, const float* pd, const float* pm,
                                                     const ActMin* x, int64_t nb, float* c, size_t ldc,
                                                     __mmask16 mask) {
  __m512 acc[C][8], summ[C];
  CORRAL_UNROLL(4)
  for (int j = 0; j < C; ++j) {
    summ[j] = _mm512_setzero_ps();
    CORRAL_UNROLL(8)
    for (int t = 0; t < 8; ++t) acc[j][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* wq = pq + b * 8 * 64;
    const __m512 dw = _mm512_loadu_ps(pd + b * kG), mv = _mm512_loadu_ps(pm + b * kG);
    __m512 scale[C];
    CORRAL_UNROLL(4)
    for (int j = 0; j < C; ++j)
      scale[j] = _mm512_mul_ps(dw, _mm512_set1_ps(x[j].d[b]));  // d * da, rounded once
    CORRAL_UNROLL(8)
    for (int t = 0; t < 8; ++t) {
      const __m512i w = _mm512_loadu_si512(wq + t * 64);
      CORRAL_UNROLL(4)
      for (int j = 0; j < C; ++j) {
        const __m512i dot =
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, _mm512_set1_epi32(load_i32(x[j].x[b].qs + 4 * t)));
        acc[j][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale[j], acc[j][t]);
      }
    }
    CORRAL_UNROLL(4)
    for (int j = 0; j < C; ++j) {
      const __m512 sv = _mm512_set1_ps(x[j].s[b]);
      // m and s are F16 values: m * s is exact in F32, so this FMA rounds as the GEMV's m * s + accm
      // does, contracted or not.
      summ[j] = _mm512_fmadd_ps(mv, sv, summ[j]);
    }
  }
  CORRAL_UNROLL(4)
  for (int j = 0; j < C; ++j) {
    // hsum8's order: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
    const __m512 e = _mm512_add_ps(_mm512_add_ps(acc[j][0], acc[j][4]), _mm512_add_ps(acc[j][2], acc[j][6]));
    const __m512 o = _mm512_add_ps(_mm512_add_ps(acc[j][1], acc[j][5]), _mm512_add_ps(acc[j][3], acc[j][7]));
    _mm512_mask_storeu_ps(c + j * ldc, mask, _mm512_add_ps(_mm512_add_ps(e, o), summ[j]));
  }
}

template <DType T>
void tile_min(const TileArgs& a) {
  constexpr int kC = 2;
  struct ScratchMin {
    std::vector<uint8_t> pq;
    std::vector<float> pd, pm, xd, xs;
    std::vector<ActMin> act;
  };
  thread_local ScratchMin s;
  const int64_t nb = a.k / 32, nb2 = (nb + 1) / 2 * 2;
  const size_t cols = static_cast<size_t>(a.j1 - a.j0), nbs = static_cast<size_t>(nb);
  s.pq.resize(static_cast<size_t>(nb2) * 8 * 64);
  s.pd.resize(static_cast<size_t>(nb2) * kG);
  s.pm.resize(static_cast<size_t>(nb2) * kG);
  s.xd.resize(cols * nbs);
  s.xs.resize(cols * nbs);
  s.act.resize(cols);
  for (size_t j = 0; j < cols; ++j) {
    const auto* x =
        reinterpret_cast<const BlockQ8_0*>(a.xq + (a.j0 + static_cast<int64_t>(j)) * a.xq_row_bytes);
    const uint16_t* sums = reinterpret_cast<const uint16_t*>(x + nb);  // F16 block sums (pack_q8_0)
    float* d = s.xd.data() + j * nbs;
    float* sm = s.xs.data() + j * nbs;
    for (int64_t b = 0; b < nb; ++b) {
      d[b] = half_to_float(x[b].d);
      sm[b] = half_to_float(sums[b]);
    }
    s.act[j] = {x, d, sm};
  }
  for (int64_t i = a.i0; i < a.i1; i += kG) {
    const int nr = static_cast<int>(std::min<int64_t>(kG, a.i1 - i));
    build_panel<T>(a.w + i * a.w_row_bytes, a.w_row_bytes, nr, nb, s.pq.data(), nullptr, s.pd.data(),
                   s.pm.data());
    const __mmask16 mask = static_cast<__mmask16>((1u << nr) - 1);
    for (int64_t j = a.j0; j < a.j1; j += kC) {
      const ActMin* x = s.act.data() + (j - a.j0);
      float* out = a.c + j * a.ldc + i;
      if (a.j1 - j >= 2)
        micro_min<2>(s.pq.data(), s.pd.data(), s.pm.data(), x, nb, out, a.ldc, mask);
      else
        micro_min<1>(s.pq.data(), s.pd.data(), s.pm.data(), x, nb, out, a.ldc, mask);
    }
  }
}

// The tile of a 32-element weight dtype t.
inline void run(DType t, const TileArgs& a) {
  if (t == DType::kQ4_1) return tile_min<DType::kQ4_1>(a);
  if (t == DType::kQ5_1) return tile_min<DType::kQ5_1>(a);
  if (t == DType::kQ4_0) return tile<DType::kQ4_0>(a);
  if (t == DType::kQ5_0) return tile<DType::kQ5_0>(a);
  return tile<DType::kQ8_0>(a);
}

}  // namespace g32

#undef CORRAL_UNROLL
#undef CORRAL_PRAGMA
