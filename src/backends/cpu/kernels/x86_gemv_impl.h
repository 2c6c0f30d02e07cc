// Private, x86 only: fused matrix-vector kernels for one (or very few) activation rows, the
// decode shape. Integer dot products straight from the packed weight blocks in registers: no
// decoded weight buffer, K-quant scales unpacked once per super-block, software prefetch of the
// next pass; the 4/5-bit formats take four weight rows per pass to share per-block activation
// work. Dtypes: Q4_0/Q4_1/Q5_0/Q5_1/Q8_0, Q2_K..Q6_K, F16, BF16, F32. 256-bit vectors on both
// ISAs (Zen 4 splits 512-bit ops).
// Textually included INSIDE an x86 ISA namespace after x86_decode_impl.h; the includer defines
// CORRAL_GEMV_VNNI (1: vpdpbusd via avx512vnni+vl, 0: vpmaddubsw + vpmaddwd). Includes nothing.

#if CORRAL_GEMV_VNNI
#define CORRAL_GEMV_FN __attribute__((target("avx512vnni,avx512vl"))) inline
#else
#define CORRAL_GEMV_FN inline
#endif

namespace gemv {

// Weight rows per pass: four for the 4/5-bit 32-element formats, whose per-block activation work
// (sums for the offset or min) is then shared; one for Q8_0 and the K-quants, which stream
// faster from DRAM as a single sequential read (measured on Zen 4: 20-40% less time per call).
template <DType T>
constexpr int kPassRows = (T == DType::kQ8_0 || T == DType::kQ2_K || T == DType::kQ3_K || T == DType::kQ4_K ||
                           T == DType::kQ5_K || T == DType::kQ6_K) ? 1 : 4;

CORRAL_GEMV_FN float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Weight rows are streamed from DRAM in passes of R short rows, a pattern the hardware
// prefetchers follow poorly: each pass asks for the same bytes of the next pass's rows.
template <int R>
inline void prefetch_next_pass(const uint8_t* p, size_t wrb) {
  _mm_prefetch(reinterpret_cast<const char*>(p + R * wrb), _MM_HINT_T0);
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

// Unsigned levels (offset not yet subtracted), scale and min of block b of a 32-element row.
template <DType T>
CORRAL_GEMV_FN __m256i levels32(const uint8_t* row, int64_t b, float* d, float* m) {
  if constexpr (T == DType::kQ4_0) {
    const auto* x = reinterpret_cast<const BlockQ4_0*>(row) + b;
    *d = half_to_float(x->d);
    return nibbles32(x->qs);
  } else if constexpr (T == DType::kQ4_1) {
    const auto* x = reinterpret_cast<const BlockQ4_1*>(row) + b;
    *d = half_to_float(x->d);
    *m = half_to_float(x->m);
    return nibbles32(x->qs);
  } else if constexpr (T == DType::kQ5_0) {
    const auto* x = reinterpret_cast<const BlockQ5_0*>(row) + b;
    *d = half_to_float(x->d);
    return _mm256_or_si256(nibbles32(x->qs), _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
  } else {
    static_assert(T == DType::kQ5_1);
    const auto* x = reinterpret_cast<const BlockQ5_1*>(row) + b;
    *d = half_to_float(x->d);
    *m = half_to_float(x->m);
    return _mm256_or_si256(nibbles32(x->qs), _mm256_and_si256(expand_bits32(x->qh), _mm256_set1_epi8(0x10)));
  }
}

template <DType T>
constexpr int64_t kBlockBytes32 = T == DType::kQ4_0 ? sizeof(BlockQ4_0) : T == DType::kQ4_1 ? sizeof(BlockQ4_1)
                                : T == DType::kQ5_0 ? sizeof(BlockQ5_0) : sizeof(BlockQ5_1);

// out[r] = dot(weight row r, x) for R rows of a 32-element format; w rows wrb bytes apart.
template <DType T, int R>
CORRAL_GEMV_FN void rows32(const uint8_t* w, size_t wrb, const BlockQ8_0* x, int64_t nb, float* out, size_t ostride) {
  constexpr bool kMin = T == DType::kQ4_1 || T == DType::kQ5_1;
  constexpr int kShift = T == DType::kQ4_0 ? 3 : 4;  // offset 8 or 16
  __m256 acc[R];
  float accm[R];  // min terms m * s, summed in block order
  for (int r = 0; r < R; ++r) {
    acc[r] = _mm256_setzero_ps();
    accm[r] = 0.0f;
  }
  [[maybe_unused]] const uint16_t* sums = reinterpret_cast<const uint16_t*>(x + nb);  // kMin: F16 block sums
  const __m256i ones8 = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const float da = half_to_float(x[b].d);
    [[maybe_unused]] __m256i corr;
    [[maybe_unused]] float fsum;
    if constexpr (kMin) {
      fsum = half_to_float(sums[b]);
    } else {
      // Per-lane sums of four activations: the offset correction of every row.
      const __m256i asum = dot_u8s8(_mm256_setzero_si256(), ones8, a);
      corr = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(asum, kShift));
    }
    for (int r = 0; r < R; ++r) {
      float d, m = 0;
      if (b % 2 == 0) prefetch_next_pass<R>(w + r * wrb + b * kBlockBytes32<T>, wrb);
      const __m256i u = levels32<T>(w + r * wrb, b, &d, &m);
      if constexpr (kMin) {
        const __m256i dot = dot_u8s8(_mm256_setzero_si256(), u, a);
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d * da), acc[r]);
        accm[r] += m * fsum;
      } else {
        const __m256i dot = dot_u8s8(corr, u, a);
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d * da), acc[r]);
      }
    }
  }
  for (int r = 0; r < R; ++r) out[r * ostride] = hsum8(acc[r]) + accm[r];
}

template <int R>
CORRAL_GEMV_FN void rows_q8_0(const uint8_t* w, size_t wrb, const BlockQ8_0* x, int64_t nb, float* out, size_t ostride) {
  __m256 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const float da = half_to_float(x[b].d);
    for (int r = 0; r < R; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ8_0*>(w + r * wrb) + b;
      prefetch_next_pass<R>(reinterpret_cast<const uint8_t*>(blk), wrb);
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qs));
      // |q| * (a with q's sign): an unsigned x signed product with the same value as q * a.
      const __m256i dot = dot_u8s8(_mm256_setzero_si256(), _mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q));
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(half_to_float(blk->d) * da), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r * ostride] = hsum8(acc[r]);
}

// ---- K-quants x Q8_K activations ----

// Broadcasts int16 lane j (0..7) of each 128-bit half to the whole half.
CORRAL_GEMV_FN __m256i pick16(__m256i v, int j) {
  return _mm256_shuffle_epi8(v, _mm256_set1_epi16(static_cast<short>(((2 * j + 1) << 8) | (2 * j))));
}

// Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins.
template <bool kFive, int R>
CORRAL_GEMV_FN void rows_q45k(const uint8_t* w, size_t wrb, const BlockQ8_K* x, int64_t nsb, float* out, size_t ostride) {
  __m256 acc[R];
  __m128 accm[R];
  for (int r = 0; r < R; ++r) {
    acc[r] = _mm256_setzero_ps();
    accm[r] = _mm_setzero_ps();
  }
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K& xa = x[sb];
    // Activation sums per sub-block of 32 (pairs of the 16-element bsums).
    const __m128i bsum8 = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xa.bsums)),
                                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(xa.bsums + 8)));
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + r * wrb + sb * static_cast<int64_t>(kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
      const uint8_t* scales = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->scales : reinterpret_cast<const BlockQ4_K*>(blk)->scales;
      const uint8_t* qs = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->qs : reinterpret_cast<const BlockQ4_K*>(blk)->qs;
      for (int64_t off = 0; off < static_cast<int64_t>(kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K)); off += 64) {
        prefetch_next_pass<R>(blk + off, wrb);
      }
      uint32_t s0, s1, s2;
      std::memcpy(&s0, scales, 4);
      std::memcpy(&s1, scales + 4, 4);
      std::memcpy(&s2, scales + 8, 4);
      const uint32_t sc_lo = s0 & 0x3f3f3f3fu, mn_lo = s1 & 0x3f3f3f3fu;
      const uint32_t sc_hi = (s2 & 0x0f0f0f0fu) | (((s0 >> 6) & 0x03030303u) << 4);
      const uint32_t mn_hi = ((s2 >> 4) & 0x0f0f0f0fu) | (((s1 >> 6) & 0x03030303u) << 4);
      const __m128i sc16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(sc_hi), static_cast<int>(sc_lo)));
      const __m128i mn16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(mn_hi), static_cast<int>(mn_lo)));
      const __m256i scv = _mm256_broadcastsi128_si256(sc16);
      [[maybe_unused]] __m256i qh;
      if constexpr (kFive) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(reinterpret_cast<const BlockQ5_K*>(blk)->qh));
      __m256i iacc = _mm256_setzero_si256();
      for (int g = 0; g < 4; ++g) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * g));
        __m256i lo = _mm256_and_si256(v, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        if constexpr (kFive) {
          lo = _mm256_or_si256(lo, _mm256_slli_epi16(byte_field(qh, 2 * g, 1), 4));
          hi = _mm256_or_si256(hi, _mm256_slli_epi16(byte_field(qh, 2 * g + 1, 1), 4));
        }
        const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs + 64 * g));
        const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs + 64 * g + 32));
        iacc = _mm256_add_epi32(iacc, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a0), pick16(scv, 2 * g)));
        iacc = _mm256_add_epi32(iacc, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a1), pick16(scv, 2 * g + 1)));
      }
      const uint16_t dh = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->d : reinterpret_cast<const BlockQ4_K*>(blk)->d;
      const uint16_t mh = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->dmin : reinterpret_cast<const BlockQ4_K*>(blk)->dmin;
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc), _mm256_set1_ps(half_to_float(dh) * xa.d), acc[r]);
      accm[r] = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mn16, bsum8)), _mm_set1_ps(half_to_float(mh) * xa.d), accm[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    __m128 m = accm[r];
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    out[r * ostride] = hsum8(acc[r]) - _mm_cvtss_f32(m);
  }
}

// Q6_K: 16 sub-blocks of 16 with int8 scales, levels 0..63 minus 32.
template <int R>
CORRAL_GEMV_FN void rows_q6k(const uint8_t* w, size_t wrb, const BlockQ8_K* x, int64_t nsb, float* out, size_t ostride) {
  __m256 acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
  const __m256i low4 = _mm256_set1_epi8(0x0f), bits45 = _mm256_set1_epi8(0x30);
  // Low 128-bit half takes int16 lane 2t of the scales, the high half lane 2t + 1.
  __m256i pick[4];
  for (int t = 0; t < 4; ++t) {
    pick[t] = _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(((4 * t + 3) << 8) | (4 * t + 2))),
                               _mm_set1_epi16(static_cast<short>(((4 * t + 1) << 8) | (4 * t))));
  }
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K& xa = x[sb];
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.bsums));
    for (int r = 0; r < R; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * wrb) + sb;
      for (int64_t off = 0; off < static_cast<int64_t>(sizeof(BlockQ6_K)); off += 64) {
        prefetch_next_pass<R>(reinterpret_cast<const uint8_t*>(blk) + off, wrb);
      }
      const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales));
      const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
      // The -32 offset: -32 * sum_j scale_j * bsums_j, per lane.
      __m256i iacc = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
      for (int h = 0; h < 2; ++h) {
        const __m256i sv = _mm256_broadcastsi128_si256(h ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qh + 32 * h));
        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h));
        const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h + 32));
        const __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
            _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(qh, bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
        };
        for (int t = 0; t < 4; ++t) {
          const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs + 128 * h + 32 * t));
          iacc = _mm256_add_epi32(iacc, _mm256_madd_epi16(_mm256_maddubs_epi16(q[t], a), _mm256_shuffle_epi8(sv, pick[t])));
        }
      }
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc), _mm256_set1_ps(half_to_float(blk->d) * xa.d), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r * ostride] = hsum8(acc[r]);
}

// Q2_K (kThree = false: 2-bit levels, 4-bit scales and mins) and Q3_K (3-bit levels = 2 low bits +
// the hmask bit, signed 6-bit scales, offset 4): 16 sub-blocks of 16.
template <bool kThree, int R>
CORRAL_GEMV_FN void rows_q23k(const uint8_t* w, size_t wrb, const BlockQ8_K* x, int64_t nsb, float* out, size_t ostride) {
  constexpr int64_t kBytes = kThree ? sizeof(BlockQ3_K) : sizeof(BlockQ2_K);
  __m256 acc[R], accm[R];
  for (int r = 0; r < R; ++r) acc[r] = accm[r] = _mm256_setzero_ps();
  const __m256i three = _mm256_set1_epi8(3);
  // Low 128-bit half takes int16 lane 2t of the scales, the high half lane 2t + 1.
  __m256i pick[4];
  for (int t = 0; t < 4; ++t) {
    pick[t] = _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(((4 * t + 3) << 8) | (4 * t + 2))),
                               _mm_set1_epi16(static_cast<short>(((4 * t + 1) << 8) | (4 * t))));
  }
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K& xa = x[sb];
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.bsums));
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + r * wrb + sb * kBytes;
      for (int64_t off = 0; off < kBytes; off += 64) prefetch_next_pass<R>(blk + off, wrb);
      __m256i sc16, iacc;
      [[maybe_unused]] __m256i hm;
      const uint8_t* qs;
      float d, dmin = 0;
      if constexpr (kThree) {
        const auto* b3 = reinterpret_cast<const BlockQ3_K*>(blk);
        uint32_t a0, a1, a2;
        std::memcpy(&a0, b3->scales, 4);
        std::memcpy(&a1, b3->scales + 4, 4);
        std::memcpy(&a2, b3->scales + 8, 4);
        const uint32_t s0 = (a0 & 0x0f0f0f0fu) | ((a2 & 0x03030303u) << 4);
        const uint32_t s1 = (a1 & 0x0f0f0f0fu) | (((a2 >> 2) & 0x03030303u) << 4);
        const uint32_t s2 = ((a0 >> 4) & 0x0f0f0f0fu) | (((a2 >> 4) & 0x03030303u) << 4);
        const uint32_t s3 = ((a1 >> 4) & 0x0f0f0f0fu) | (((a2 >> 6) & 0x03030303u) << 4);
        sc16 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_set_epi32(static_cast<int>(s3), static_cast<int>(s2),
                                                                   static_cast<int>(s1), static_cast<int>(s0))),
                                _mm256_set1_epi16(32));
        // The offset 4: -4 * sum_j scale_j * bsums_j, per lane.
        iacc = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 2));
        hm = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b3->hmask));
        qs = b3->qs;
        d = half_to_float(b3->d);
      } else {
        const auto* b2 = reinterpret_cast<const BlockQ2_K*>(blk);
        const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b2->scales));
        sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sc8, _mm_set1_epi8(0x0f)));
        const __m256i m16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc8, 4), _mm_set1_epi8(0x0f)));
        iacc = _mm256_setzero_si256();
        qs = b2->qs;
        d = half_to_float(b2->d);
        dmin = half_to_float(b2->dmin);
        accm[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(m16, bs)), _mm256_set1_ps(dmin * xa.d), accm[r]);
      }
      for (int h = 0; h < 2; ++h) {
        const __m256i sv = _mm256_broadcastsi128_si256(h ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * h));
        for (int t = 0; t < 4; ++t) {
          __m256i q = _mm256_and_si256(_mm256_srli_epi16(v, 2 * t), three);
          if constexpr (kThree) q = _mm256_or_si256(q, _mm256_slli_epi16(byte_field(hm, 4 * h + t, 1), 2));
          const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs + 128 * h + 32 * t));
          iacc = _mm256_add_epi32(iacc, _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), _mm256_shuffle_epi8(sv, pick[t])));
        }
      }
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc), _mm256_set1_ps(d * xa.d), acc[r]);
    }
  }
  for (int r = 0; r < R; ++r) out[r * ostride] = hsum8(acc[r]) - hsum8(accm[r]);
}

// ---- F32 and BF16 weights (F32 / BF16 activations) ----

template <int R>
inline void rows_f32(const uint8_t* w, size_t wrb, const float* x, int64_t k, float* out, size_t ostride) {
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 16 <= k; e += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + e), x1 = _mm256_loadu_ps(x + e + 8);
    for (int r = 0; r < R; ++r) {
      const auto* f = reinterpret_cast<const float*>(w + r * wrb) + e;
      prefetch_next_pass<R>(reinterpret_cast<const uint8_t*>(f), wrb);
      acc0[r] = _mm256_fmadd_ps(_mm256_loadu_ps(f), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(_mm256_loadu_ps(f + 8), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const auto* f = reinterpret_cast<const float*>(w + r * wrb);
    float s = hsum8(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t t = e; t < k; ++t) s += f[t] * x[t];
    out[r * ostride] = s;
  }
}

// 8 bf16 values -> 8 floats (bf16 is the high half of an f32).
inline __m256 bf16x8(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
}
inline float bf16_1(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <int R>
inline void rows_bf16(const uint8_t* w, size_t wrb, const uint16_t* x, int64_t k, float* out, size_t ostride) {
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 16 <= k; e += 16) {
    const __m256 x0 = bf16x8(x + e), x1 = bf16x8(x + e + 8);
    for (int r = 0; r < R; ++r) {
      const auto* h = reinterpret_cast<const uint16_t*>(w + r * wrb) + e;
      if (e % 32 == 0) prefetch_next_pass<R>(reinterpret_cast<const uint8_t*>(h), wrb);
      acc0[r] = _mm256_fmadd_ps(bf16x8(h), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(bf16x8(h + 8), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const auto* h = reinterpret_cast<const uint16_t*>(w + r * wrb);
    float s = hsum8(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t t = e; t < k; ++t) s += bf16_1(h[t]) * bf16_1(x[t]);
    out[r * ostride] = s;
  }
}

// ---- F16 weights x F32 activations ----

template <int R>
inline void rows_f16(const uint8_t* w, size_t wrb, const float* x, int64_t k, float* out, size_t ostride) {
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 16 <= k; e += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + e), x1 = _mm256_loadu_ps(x + e + 8);
    for (int r = 0; r < R; ++r) {
      const auto* h = reinterpret_cast<const uint16_t*>(w + r * wrb) + e;
      if (e % 32 == 0) prefetch_next_pass<R>(reinterpret_cast<const uint8_t*>(h), wrb);
      acc0[r] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h))), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 8))), x1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const auto* h = reinterpret_cast<const uint16_t*>(w + r * wrb);
    float s = hsum8(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t t = e; t < k; ++t) s += half_to_float(h[t]) * x[t];
    out[r * ostride] = s;
  }
}

// Runs Fn<R>(weight row i, activation row j, out) over the tile in passes of kMaxR weight rows.
template <int kMaxR, typename Fn>
inline void for_tile(const TileArgs& a, Fn&& fn) {
  for (int64_t i = a.i0; i < a.i1; i += kMaxR) {
    const int nr = static_cast<int>(std::min<int64_t>(kMaxR, a.i1 - i));
    const uint8_t* w = a.w + i * a.w_row_bytes;
    for (int64_t j = a.j0; j < a.j1; ++j) {
      const uint8_t* x = a.xq + j * a.xq_row_bytes;
      float* out = a.c + j * a.ldc + i;
      switch (nr) {
        case 4: fn.template operator()<4>(w, x, out); break;
        case 3: fn.template operator()<3>(w, x, out); break;
        case 2: fn.template operator()<2>(w, x, out); break;
        default: fn.template operator()<1>(w, x, out); break;
      }
    }
  }
}

// The fused path for weight dtype t, if it has one; false leaves the tile to the caller.
inline bool run(DType t, const TileArgs& a) {
  const size_t wrb = a.w_row_bytes;
  const int64_t nb = a.k / 32, nsb = a.k / 256;
  auto q8 = [](const uint8_t* x) { return reinterpret_cast<const BlockQ8_0*>(x); };
  auto q8k = [](const uint8_t* x) { return reinterpret_cast<const BlockQ8_K*>(x); };
  switch (t) {
    case DType::kQ4_0:
      for_tile<kPassRows<DType::kQ4_0>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows32<DType::kQ4_0, R>(w, wrb, q8(x), nb, o, 1); });
      return true;
    case DType::kQ4_1:
      for_tile<kPassRows<DType::kQ4_1>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows32<DType::kQ4_1, R>(w, wrb, q8(x), nb, o, 1); });
      return true;
    case DType::kQ5_0:
      for_tile<kPassRows<DType::kQ5_0>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows32<DType::kQ5_0, R>(w, wrb, q8(x), nb, o, 1); });
      return true;
    case DType::kQ5_1:
      for_tile<kPassRows<DType::kQ5_1>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows32<DType::kQ5_1, R>(w, wrb, q8(x), nb, o, 1); });
      return true;
    case DType::kQ8_0:
      for_tile<kPassRows<DType::kQ8_0>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q8_0<R>(w, wrb, q8(x), nb, o, 1); });
      return true;
    case DType::kQ4_K:
      for_tile<kPassRows<DType::kQ4_K>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q45k<false, R>(w, wrb, q8k(x), nsb, o, 1); });
      return true;
    case DType::kQ5_K:
      for_tile<kPassRows<DType::kQ5_K>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q45k<true, R>(w, wrb, q8k(x), nsb, o, 1); });
      return true;
    case DType::kQ6_K:
      for_tile<kPassRows<DType::kQ6_K>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q6k<R>(w, wrb, q8k(x), nsb, o, 1); });
      return true;
    case DType::kQ2_K:
      for_tile<kPassRows<DType::kQ2_K>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q23k<false, R>(w, wrb, q8k(x), nsb, o, 1); });
      return true;
    case DType::kQ3_K:
      for_tile<kPassRows<DType::kQ3_K>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) { rows_q23k<true, R>(w, wrb, q8k(x), nsb, o, 1); });
      return true;
    case DType::kF32:
      for_tile<kPassRows<DType::kF32>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) {
        rows_f32<R>(w, wrb, reinterpret_cast<const float*>(x), a.k, o, 1);
      });
      return true;
    case DType::kBF16:
      for_tile<kPassRows<DType::kBF16>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) {
        rows_bf16<R>(w, wrb, reinterpret_cast<const uint16_t*>(x), a.k, o, 1);
      });
      return true;
    case DType::kF16:
      for_tile<kPassRows<DType::kF16>>(a, [&]<int R>(const uint8_t* w, const uint8_t* x, float* o) {
        rows_f16<R>(w, wrb, reinterpret_cast<const float*>(x), a.k, o, 1);
      });
      return true;
    default:
      return false;
  }
}

}  // namespace gemv

#undef CORRAL_GEMV_FN
