// Private, x86 only: the K-quant (Q2_K..Q6_K x Q8_K) fused matrix-vector kernels of
// x86_gemv_impl.h, for R weight rows x C activation rows per pass: each weight super-block is
// loaded and unpacked once for all C activation rows. Per output the arithmetic (and its order)
// does not depend on R or C, so a batch of sequences gets the same bits as each one alone.
// Textually included by x86_gemv_impl.h INSIDE its gemv namespace; includes nothing.

// Broadcasts int16 lane j (0..7) of each 128-bit half to the whole half.
CORRAL_GEMV_FN __m256i pick16(__m256i v, int j) {
  return _mm256_shuffle_epi8(v, _mm256_set1_epi16(static_cast<short>(((2 * j + 1) << 8) | (2 * j))));
}

template <int C>
CORRAL_GEMV_FN void q8k_rows(const uint8_t* x, size_t xrb, int64_t sb, const BlockQ8_K* (&xa)[C]) {
  CORRAL_GEMV_UNROLL
  for (int c = 0; c < C; ++c) xa[c] = reinterpret_cast<const BlockQ8_K*>(x + c * xrb) + sb;
}

// Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins.
template <bool kFive, int R, int C>
CORRAL_GEMV_FN void rows_q45k(const uint8_t* w, size_t wrb, const uint8_t* x, size_t xrb, int64_t nsb,
                              float* out, size_t ldc, size_t os) {
  constexpr int64_t kBytes = kFive ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  __m256 acc[R][C];
  __m128 accm[R][C];
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      acc[r][c] = _mm256_setzero_ps();
      accm[r][c] = _mm_setzero_ps();
    }
  }
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K* xa[C];
    q8k_rows<C>(x, xrb, sb, xa);
    // Activation sums per sub-block of 32 (pairs of the 16-element bsums).
    __m128i bsum8[C];
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      bsum8[c] = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xa[c]->bsums)),
                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(xa[c]->bsums + 8)));
    }
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + r * wrb + sb * kBytes;
      const uint8_t* scales = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->scales
                                    : reinterpret_cast<const BlockQ4_K*>(blk)->scales;
      const uint8_t* qs =
          kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->qs : reinterpret_cast<const BlockQ4_K*>(blk)->qs;
      uint32_t s0, s1, s2;
      std::memcpy(&s0, scales, 4);
      std::memcpy(&s1, scales + 4, 4);
      std::memcpy(&s2, scales + 8, 4);
      const uint32_t sc_lo = s0 & 0x3f3f3f3fu, mn_lo = s1 & 0x3f3f3f3fu;
      const uint32_t sc_hi = (s2 & 0x0f0f0f0fu) | (((s0 >> 6) & 0x03030303u) << 4);
      const uint32_t mn_hi = ((s2 >> 4) & 0x0f0f0f0fu) | (((s1 >> 6) & 0x03030303u) << 4);
      const __m128i sc16 =
          _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(sc_hi), static_cast<int>(sc_lo)));
      const __m128i mn16 =
          _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(mn_hi), static_cast<int>(mn_lo)));
      const __m256i scv = _mm256_broadcastsi128_si256(sc16);
      [[maybe_unused]] __m256i qh;
      if constexpr (kFive)
        qh =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(reinterpret_cast<const BlockQ5_K*>(blk)->qh));
      __m256i iacc[C];
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) iacc[c] = _mm256_setzero_si256();
      CORRAL_GEMV_UNROLL
      for (int g = 0; g < 4; ++g) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * g));
        __m256i lo = _mm256_and_si256(v, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
        if constexpr (kFive) {
          lo = _mm256_or_si256(lo, _mm256_slli_epi16(byte_field(qh, 2 * g, 1), 4));
          hi = _mm256_or_si256(hi, _mm256_slli_epi16(byte_field(qh, 2 * g + 1, 1), 4));
        }
        const __m256i s_lo = pick16(scv, 2 * g), s_hi = pick16(scv, 2 * g + 1);
        CORRAL_GEMV_UNROLL
        for (int c = 0; c < C; ++c) {
          const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->qs + 64 * g));
          const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->qs + 64 * g + 32));
          iacc[c] = _mm256_add_epi32(iacc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a0), s_lo));
          iacc[c] = _mm256_add_epi32(iacc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a1), s_hi));
        }
      }
      const uint16_t dh =
          kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->d : reinterpret_cast<const BlockQ4_K*>(blk)->d;
      const uint16_t mh = kFive ? reinterpret_cast<const BlockQ5_K*>(blk)->dmin
                                : reinterpret_cast<const BlockQ4_K*>(blk)->dmin;
      const float d = half_to_float(dh), dmin = half_to_float(mh);
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[c]), _mm256_set1_ps(d * xa[c]->d), acc[r][c]);
        accm[r][c] = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mn16, bsum8[c])),
                                  _mm_set1_ps(dmin * xa[c]->d), accm[r][c]);
      }
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) {
      __m128 m = accm[r][c];
      m = _mm_add_ps(m, _mm_movehl_ps(m, m));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      out[c * ldc + r * os] = hsum8(acc[r][c]) - _mm_cvtss_f32(m);
    }
  }
}

// Low 128-bit half takes int16 lane 2t of the scales, the high half lane 2t + 1.
CORRAL_GEMV_FN __m256i pick_pair16(int t) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(((4 * t + 3) << 8) | (4 * t + 2))),
                          _mm_set1_epi16(static_cast<short>(((4 * t + 1) << 8) | (4 * t))));
}

// Q6_K: 16 sub-blocks of 16 with int8 scales, levels 0..63 minus 32.
template <int R, int C>
CORRAL_GEMV_FN void rows_q6k(const uint8_t* w, size_t wrb, const uint8_t* x, size_t xrb, int64_t nsb,
                             float* out, size_t ldc, size_t os) {
  __m256 acc[R][C];
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  const __m256i low4 = _mm256_set1_epi8(0x0f), bits45 = _mm256_set1_epi8(0x30);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K* xa[C];
    q8k_rows<C>(x, xrb, sb, xa);
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const auto* blk = reinterpret_cast<const BlockQ6_K*>(w + r * wrb) + sb;
      const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales));
      const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
      // The -32 offset: -32 * sum_j scale_j * bsums_j, per lane.
      __m256i iacc[C];
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->bsums));
        iacc[c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
      }
      CORRAL_GEMV_UNROLL
      for (int h = 0; h < 2; ++h) {
        const __m256i sv =
            _mm256_broadcastsi128_si256(h ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->qh + 32 * h));
        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h));
        const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk->ql + 64 * h + 32));
        const __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
            _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(qh, bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                            _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
        };
        CORRAL_GEMV_UNROLL
        for (int t = 0; t < 4; ++t) {
          const __m256i s = _mm256_shuffle_epi8(sv, pick_pair16(t));
          CORRAL_GEMV_UNROLL
          for (int c = 0; c < C; ++c) {
            const __m256i a =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->qs + 128 * h + 32 * t));
            iacc[c] = _mm256_add_epi32(iacc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(q[t], a), s));
          }
        }
      }
      const float d = half_to_float(blk->d);
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[c]), _mm256_set1_ps(d * xa[c]->d), acc[r][c]);
      }
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) out[c * ldc + r * os] = hsum8(acc[r][c]);
  }
}

// Q2_K (kThree = false: 2-bit levels, 4-bit scales and mins) and Q3_K (3-bit levels = 2 low bits +
// the hmask bit, signed 6-bit scales, offset 4): 16 sub-blocks of 16.
template <bool kThree, int R, int C>
CORRAL_GEMV_FN void rows_q23k(const uint8_t* w, size_t wrb, const uint8_t* x, size_t xrb, int64_t nsb,
                              float* out, size_t ldc, size_t os) {
  constexpr int64_t kBytes = kThree ? sizeof(BlockQ3_K) : sizeof(BlockQ2_K);
  __m256 acc[R][C], accm[R][C];
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) acc[r][c] = accm[r][c] = _mm256_setzero_ps();
  }
  const __m256i three = _mm256_set1_epi8(3);
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const BlockQ8_K* xa[C];
    q8k_rows<C>(x, xrb, sb, xa);
    CORRAL_GEMV_UNROLL
    for (int r = 0; r < R; ++r) {
      const uint8_t* blk = w + r * wrb + sb * kBytes;
      __m256i sc16, iacc[C];
      [[maybe_unused]] __m256i hm;
      const uint8_t* qs;
      float d;
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
        sc16 =
            _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_set_epi32(static_cast<int>(s3), static_cast<int>(s2),
                                                                static_cast<int>(s1), static_cast<int>(s0))),
                             _mm256_set1_epi16(32));
        // The offset 4: -4 * sum_j scale_j * bsums_j, per lane.
        CORRAL_GEMV_UNROLL
        for (int c = 0; c < C; ++c) {
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->bsums));
          iacc[c] =
              _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 2));
        }
        hm = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b3->hmask));
        qs = b3->qs;
        d = half_to_float(b3->d);
      } else {
        const auto* b2 = reinterpret_cast<const BlockQ2_K*>(blk);
        const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b2->scales));
        sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sc8, _mm_set1_epi8(0x0f)));
        const __m256i m16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc8, 4), _mm_set1_epi8(0x0f)));
        qs = b2->qs;
        d = half_to_float(b2->d);
        const float dmin = half_to_float(b2->dmin);
        CORRAL_GEMV_UNROLL
        for (int c = 0; c < C; ++c) {
          const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->bsums));
          iacc[c] = _mm256_setzero_si256();
          accm[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(m16, bs)),
                                       _mm256_set1_ps(dmin * xa[c]->d), accm[r][c]);
        }
      }
      CORRAL_GEMV_UNROLL
      for (int h = 0; h < 2; ++h) {
        const __m256i sv =
            _mm256_broadcastsi128_si256(h ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * h));
        CORRAL_GEMV_UNROLL
        for (int t = 0; t < 4; ++t) {
          __m256i q = _mm256_and_si256(_mm256_srli_epi16(v, 2 * t), three);
          if constexpr (kThree) q = _mm256_or_si256(q, _mm256_slli_epi16(byte_field(hm, 4 * h + t, 1), 2));
          const __m256i s = _mm256_shuffle_epi8(sv, pick_pair16(t));
          CORRAL_GEMV_UNROLL
          for (int c = 0; c < C; ++c) {
            const __m256i a =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa[c]->qs + 128 * h + 32 * t));
            iacc[c] = _mm256_add_epi32(iacc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(q, a), s));
          }
        }
      }
      CORRAL_GEMV_UNROLL
      for (int c = 0; c < C; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[c]), _mm256_set1_ps(d * xa[c]->d), acc[r][c]);
      }
    }
  }
  CORRAL_GEMV_UNROLL
  for (int r = 0; r < R; ++r) {
    CORRAL_GEMV_UNROLL
    for (int c = 0; c < C; ++c) out[c * ldc + r * os] = hsum8(acc[r][c]) - hsum8(accm[r][c]);
  }
}
