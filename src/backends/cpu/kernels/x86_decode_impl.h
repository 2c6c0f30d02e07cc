// Private, x86 only: weight decoding and activation packing written with AVX2 intrinsics.
// Textually included INSIDE each x86 ISA namespace (avx2, avx512) after <immintrin.h>,
// "ml/quant_blocks.h" and "util/half.h", so every ISA gets its own copy compiled with its own
// flags. Includes nothing itself.
//
// Decoded ("canonical") weight rows, shared by both ISAs' microkernels:
//  32-element formats: q[k] bytes (u8 value minus `offset` is the signed level, or raw s8 for Q8_0
//    in signed mode), dw[k/4] floats (lane t holds the block scale of elements 4t..4t+3),
//    m[k/4] floats (block min of Q4_1/Q5_1, same lane layout).
//  K-quants: q[k] u8 levels; per super-block sc16[16] int16 sub-block scales, d, dmin and
//    m16[16]; w = d*sc16*q - dmin*m16 (Q3_K/Q6_K: dmin = d, m16 = off*sc16).

using corral::quant::BlockQ2_K;
using corral::quant::BlockQ3_K;
using corral::quant::BlockQ4_0;
using corral::quant::BlockQ4_1;
using corral::quant::BlockQ4_K;
using corral::quant::BlockQ5_0;
using corral::quant::BlockQ5_1;
using corral::quant::BlockQ5_K;
using corral::quant::BlockQ6_K;
using corral::quant::BlockQ8_0;
using corral::quant::BlockQ8_K;

struct Panel32 {
  uint8_t* q;
  float* dw;
  float* m;
};

struct PanelK {
  uint8_t* q;
  int16_t* sc16;
  float* d;
  float* dmin;
  int16_t* m16;
};

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

// 16 bytes of nibbles -> 32 bytes: low nibbles then high nibbles.
inline __m256i unpack_nibbles16(const uint8_t* qs) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0f);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), mask), _mm_and_si128(v, mask));
}

// Bit i of the 32-bit word -> byte i is 0xff or 0.
inline __m256i expand_bits32(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  const __m256i shuf = _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL,
                                         0x0101010101010101LL, 0x0000000000000000LL);
  const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuf);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

inline void store_broadcast8(float* dst, float v) { _mm256_storeu_ps(dst, _mm256_set1_ps(v)); }

// Offset subtracted from the decoded bytes of a 32-element format (0 for the min formats).
inline int offset_of(DType t, bool signed_q8) {
  switch (t) {
    case DType::kQ4_0: return 8;
    case DType::kQ5_0: return 16;
    case DType::kQ8_0: return signed_q8 ? 0 : 128;
    default: return 0;
  }
}

inline void decode_row32(DType t, const uint8_t* row, int64_t nb, const Panel32& p, bool signed_q8) {
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  for (int64_t b = 0; b < nb; ++b) {
    __m256i u;
    float d, m = 0;
    switch (t) {
      case DType::kQ4_0: {
        const auto* x = reinterpret_cast<const BlockQ4_0*>(row) + b;
        u = unpack_nibbles16(x->qs);
        d = half_to_float(x->d);
        break;
      }
      case DType::kQ4_1: {
        const auto* x = reinterpret_cast<const BlockQ4_1*>(row) + b;
        u = unpack_nibbles16(x->qs);
        d = half_to_float(x->d);
        m = half_to_float(x->m);
        break;
      }
      case DType::kQ5_0: {
        const auto* x = reinterpret_cast<const BlockQ5_0*>(row) + b;
        u = _mm256_or_si256(unpack_nibbles16(x->qs), _mm256_and_si256(expand_bits32(x->qh), bit4));
        d = half_to_float(x->d);
        break;
      }
      case DType::kQ5_1: {
        const auto* x = reinterpret_cast<const BlockQ5_1*>(row) + b;
        u = _mm256_or_si256(unpack_nibbles16(x->qs), _mm256_and_si256(expand_bits32(x->qh), bit4));
        d = half_to_float(x->d);
        m = half_to_float(x->m);
        break;
      }
      default: {  // Q8_0
        const auto* x = reinterpret_cast<const BlockQ8_0*>(row) + b;
        u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x->qs));
        if (!signed_q8) u = _mm256_xor_si256(u, _mm256_set1_epi8(static_cast<char>(0x80)));
        d = half_to_float(x->d);
        break;
      }
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p.q + 32 * b), u);
    store_broadcast8(p.dw + 8 * b, d);
    if (p.m) store_broadcast8(p.m + 8 * b, m);
  }
}

// Bits [shift, shift+width) of every byte of a 32-byte vector (shift + width <= 8).
inline __m256i byte_field(__m256i v, int shift, int mask) {
  return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

inline __m256i load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store32(uint8_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }


inline void decode_rowK(DType t, const uint8_t* row, int64_t nsb, const PanelK& p) {
  for (int64_t b = 0; b < nsb; ++b) {
    uint8_t* q = p.q + 256 * b;
    int16_t* m16 = p.m16 + 16 * b;
    int16_t* s16 = p.sc16 + 16 * b;
    switch (t) {
      case DType::kQ2_K: {
        const auto* x = reinterpret_cast<const BlockQ2_K*>(row) + b;
        for (int i = 0; i < 8; ++i) store32(q + 32 * i, byte_field(load32(x->qs + 32 * (i / 4)), 2 * (i % 4), 3));
        for (int j = 0; j < 16; ++j) {
          s16[j] = static_cast<int16_t>(x->scales[j] & 15);
          m16[j] = static_cast<int16_t>(x->scales[j] >> 4);
        }
        p.d[b] = half_to_float(x->d);
        p.dmin[b] = half_to_float(x->dmin);
        break;
      }
      case DType::kQ3_K: {
        const auto* x = reinterpret_cast<const BlockQ3_K*>(row) + b;
        const __m256i hm = load32(x->hmask);
        for (int i = 0; i < 8; ++i) {
          const __m256i low = byte_field(load32(x->qs + 32 * (i / 4)), 2 * (i % 4), 3);
          const __m256i high = _mm256_slli_epi16(byte_field(hm, i, 1), 2);
          store32(q + 32 * i, _mm256_or_si256(low, high));
        }
        for (int j = 0; j < 16; ++j) {
          s16[j] = static_cast<int16_t>(corral::quant::k3_scale(x->scales, j));
          m16[j] = static_cast<int16_t>(4 * s16[j]);
        }
        p.d[b] = p.dmin[b] = half_to_float(x->d);
        break;
      }
      case DType::kQ4_K:
      case DType::kQ5_K: {
        const bool five = t == DType::kQ5_K;
        const auto* x4 = five ? nullptr : reinterpret_cast<const BlockQ4_K*>(row) + b;
        const auto* x5 = five ? reinterpret_cast<const BlockQ5_K*>(row) + b : nullptr;
        const uint8_t* qs = five ? x5->qs : x4->qs;
        const uint8_t* scales = five ? x5->scales : x4->scales;
        const __m256i qh = five ? load32(x5->qh) : _mm256_setzero_si256();
        for (int g = 0; g < 4; ++g) {
          const __m256i v = load32(qs + 32 * g);
          __m256i lo = byte_field(v, 0, 15), hi = byte_field(v, 4, 15);
          if (five) {
            lo = _mm256_or_si256(lo, _mm256_slli_epi16(byte_field(qh, 2 * g, 1), 4));
            hi = _mm256_or_si256(hi, _mm256_slli_epi16(byte_field(qh, 2 * g + 1, 1), 4));
          }
          store32(q + 64 * g, lo);
          store32(q + 64 * g + 32, hi);
        }
        for (int j = 0; j < 8; ++j) {
          uint8_t sc, mn;
          corral::quant::k4_scale_min(scales, j, &sc, &mn);
          s16[2 * j] = s16[2 * j + 1] = sc;
          m16[2 * j] = m16[2 * j + 1] = mn;
        }
        p.d[b] = half_to_float(five ? x5->d : x4->d);
        p.dmin[b] = half_to_float(five ? x5->dmin : x4->dmin);
        break;
      }
      default: {  // Q6_K
        const auto* x = reinterpret_cast<const BlockQ6_K*>(row) + b;
        for (int i = 0; i < 8; ++i) {
          const int h = i / 4, r = i % 4;
          const __m256i low = byte_field(load32(x->ql + 64 * h + 32 * (r & 1)), 4 * (r / 2), 15);
          const __m256i high = _mm256_slli_epi16(byte_field(load32(x->qh + 32 * h), 2 * r, 3), 4);
          store32(q + 32 * i, _mm256_or_si256(low, high));
        }
        for (int j = 0; j < 16; ++j) {
          s16[j] = x->scales[j];
          m16[j] = static_cast<int16_t>(32 * s16[j]);
        }
        p.d[b] = p.dmin[b] = half_to_float(x->d);
        break;
      }
    }
  }
}

// ---- activation packing (bit-identical to the scalar quantizers of ml/quant.cpp) ----

// Round half away from zero, exactly: floor(a) + floor(2 * (a - floor(a))) with the sign of v.
inline __m256 round_away(__m256 v) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_andnot_ps(sign, v);
  const __m256 f = _mm256_floor_ps(a);
  const __m256 r = _mm256_add_ps(f, _mm256_floor_ps(_mm256_add_ps(_mm256_sub_ps(a, f), _mm256_sub_ps(a, f))));
  return _mm256_or_ps(r, _mm256_and_ps(sign, v));
}

inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

// 32 floats * id -> 32 int8 at out.
inline void quantize32(const float* x, float id, int8_t* out) {
  const __m256 vid = _mm256_set1_ps(id);
  __m256i i[4];
  for (int t = 0; t < 4; ++t) i[t] = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * t), vid)));
  const __m256i p01 = _mm256_packs_epi32(i[0], i[1]);
  const __m256i p23 = _mm256_packs_epi32(i[2], i[3]);
  __m256i b = _mm256_packs_epi16(p01, p23);
  b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), b);
}

inline float amax_of(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int t = 0; t < n; t += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + t)));
  return hmax8(m);
}

// Q8_0 activation blocks made the way llama.cpp's CPU backend makes them, so that corral's logits
// agree with the peer's: d = amax / 127, levels x * (127 / amax) rounded half to even (the
// hardware default). With `sums` (weights with a block min: Q4_1, Q5_1) the nb blocks are
// followed by nb F16 block sums s = d * sum(levels), rounded to F16 like the s of llama.cpp's
// Q8_1; the kernels take the min term of a block as m * s (see activation_row_bytes).
inline void pack_q8_0(const float* x, int64_t k, void* out, bool sums) {
  auto* b = static_cast<BlockQ8_0*>(out);
  const int64_t nb = k / 32;
  uint16_t* s = reinterpret_cast<uint16_t*>(b + nb);
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    const float amax = amax_of(x, 32);
    const float d = amax / 127.0f;
    const __m256 vid = _mm256_set1_ps(amax == 0.0f ? 0.0f : 127.0f / amax);
    __m256i q[4];
    for (int t = 0; t < 4; ++t) q[t] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * t), vid));
    __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs), packed);
    b[i].d = corral::f32_to_fp16(d);
    if (sums) {
      int sum = 0;
      for (int e = 0; e < 32; ++e) sum += b[i].qs[e];
      s[i] = corral::f32_to_fp16(d * static_cast<float>(sum));
    }
  }
}

inline void pack_q8_k(const float* x, int64_t k, void* out) {
  auto* b = static_cast<BlockQ8_K*>(out);
  for (int64_t i = 0; i < k / 256; ++i, x += 256) {
    const float d = amax_of(x, 256) / 127.0f;
    const float id = d == 0.0f ? 0.0f : 1.0f / d;
    for (int t = 0; t < 8; ++t) quantize32(x + 32 * t, id, b[i].qs + 32 * t);
    for (int j = 0; j < 16; ++j) {
      const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + 16 * j)));
      const __m128i w = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + 16 * j + 8)));
      __m128i s = _mm_madd_epi16(_mm_add_epi16(v, w), _mm_set1_epi16(1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
      b[i].bsums[j] = static_cast<int16_t>(_mm_cvtsi128_si32(s));
    }
    b[i].d = d;
  }
}

inline void pack_activations_x86(DType weight, const float* x, int64_t k, void* out) {
  switch (weight) {
    case DType::kF32:
    case DType::kF16:
      std::memcpy(out, x, static_cast<size_t>(k) * 4);
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < k; ++i) static_cast<uint16_t*>(out)[i] = corral::f32_to_bf16(x[i]);
      break;
    case DType::kQ4_0: case DType::kQ5_0: case DType::kQ8_0:
      pack_q8_0(x, k, out, false);
      break;
    case DType::kQ4_1: case DType::kQ5_1:
      pack_q8_0(x, k, out, true);
      break;
    default:
      pack_q8_k(x, k, out);
      break;
  }
}
