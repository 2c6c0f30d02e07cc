// Private, AVX-512 VNNI only: the prompt-processing GEMM for the K-quants (Q2_K..Q6_K) x Q8_K.
// Weight rows are repacked per tile into an interleaved panel of 16 rows: for each 4 consecutive
// k, 64 bytes holding 4 unsigned levels of each row (int32 lane = weight row), with sub-block
// scales, min terms and super-block scales pre-expanded to one int32/float lane per row. One
// vpdpbusd then advances 16 rows by 4 k against a broadcast 4 activation bytes; sub-block scales
// are applied once per sub-block (vpmulld), mins once per super-block (vpmaddwd with bsums), and
// the 16 outputs of a column are one vector store: no horizontal sums.
// Textually included INSIDE corral::cpu::avx512 after x86_decode_impl.h (decode_rowK, PanelK).
// Includes nothing itself.

namespace kgemm {

// GCC at -O2 keeps loops over the register tile rolled (accumulators then live in memory):
// every loop over tile columns and k steps is unrolled explicitly.
#define CORRAL_PRAGMA(x) _Pragma(#x)
#define CORRAL_UNROLL(n) CORRAL_PRAGMA(GCC unroll n)

constexpr int kG = 16;     // weight rows per panel: one 32-bit lane each
constexpr int kMaxC = 8;   // activation rows per register tile

// The interleaved panel of kG weight rows over k = 256 * nsb.
struct Panel {
  uint8_t* q;    // [k/4][kG][4] levels
  int32_t* sc;   // [nsb][16][kG] sub-block scales (kSub = 32 uses the first 8)
  int32_t* mp;   // [nsb][8][kG] int16 pairs (m16[2p], m16[2p+1]) of the min terms
  float* d;      // [nsb][kG]
  float* dmin;   // [nsb][kG]
};

// Dword t of each of 16 64-byte rows -> out[t] (lane r = row r): a 16 x 16 transpose of 32-bit.
__attribute__((target("avx512f"))) inline void transpose16x16(const __m512i* r, __m512i* out) {
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 4) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    t[i + 2] = _mm512_unpacklo_epi32(r[i + 2], r[i + 3]);
    t[i + 3] = _mm512_unpackhi_epi32(r[i + 2], r[i + 3]);
  }
  // u[4g + c], 128-bit lane L: rows 4g..4g+3 of dword 4L + c.
  for (int g = 0; g < 4; ++g) {
    u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512i x0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x88);       // lanes a0 a2 b0 b2
    const __m512i x1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xdd);       // a1 a3 b1 b3
    const __m512i y0 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x88);  // c0 c2 d0 d2
    const __m512i y1 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xdd);
    out[c] = _mm512_shuffle_i32x4(x0, y0, 0x88);       // dword c: a0 b0 c0 d0
    out[8 + c] = _mm512_shuffle_i32x4(x0, y0, 0xdd);   // dword 8 + c
    out[4 + c] = _mm512_shuffle_i32x4(x1, y1, 0x88);   // dword 4 + c
    out[12 + c] = _mm512_shuffle_i32x4(x1, y1, 0xdd);  // dword 12 + c
  }
}

// Builds the panel from kG canonical rows (decode_rowK output; rows past the tile are zeros).
template <int kSub>
inline void build_panel(const PanelK* rows, int64_t k, const Panel& p) {
  const int64_t nsb = k / 256;
  for (int64_t off = 0; off < k; off += 64) {
    __m512i in[16], out[16];
    for (int r = 0; r < kG; ++r) in[r] = _mm512_loadu_si512(rows[r].q + off);
    transpose16x16(in, out);
    for (int t = 0; t < 16; ++t) _mm512_storeu_si512(p.q + (off / 4 + t) * 64, out[t]);
  }
  for (int64_t sb = 0; sb < nsb; ++sb) {
    for (int r = 0; r < kG; ++r) {
      const int16_t* s16 = rows[r].sc16 + 16 * sb;
      const int16_t* m16 = rows[r].m16 + 16 * sb;
      for (int s = 0; s < 256 / kSub; ++s) p.sc[(sb * 16 + s) * kG + r] = s16[s * (kSub / 16)];
      for (int q = 0; q < 8; ++q) {
        p.mp[(sb * 8 + q) * kG + r] = static_cast<int32_t>(static_cast<uint16_t>(m16[2 * q]) |
                                                          (static_cast<uint32_t>(static_cast<uint16_t>(m16[2 * q + 1])) << 16));
      }
      p.d[sb * kG + r] = rows[r].d[sb];
      p.dmin[sb * kG + r] = rows[r].dmin[sb];
    }
  }
}

inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// c[j * ldc + r] = dot(weight row r, activation row j) for the panel's rows (mask) and C columns.
template <int kSub, int C>
__attribute__((target("avx512vnni"))) void micro(const Panel& p, int64_t nsb, const BlockQ8_K* const* x, float* c,
                                                  size_t ldc, __mmask16 mask) {
  constexpr int kNsub = 256 / kSub, kSteps = kSub / 4;
  __m512 acc[C];
  CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < nsb; ++sb) {
    const uint8_t* wq = p.q + sb * 256 * kG;
    const int32_t* sc = p.sc + sb * 16 * kG;
    __m512i isum[C];
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) isum[j] = _mm512_setzero_si512();
      for (int s = 0; s < kNsub; ++s) {
      __m512i iacc[C];
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) iacc[j] = _mm512_setzero_si512();
      CORRAL_UNROLL(8)
      for (int t = 0; t < kSteps; ++t) {
        const __m512i w = _mm512_loadu_si512(wq + (s * kSteps + t) * 64);
        CORRAL_UNROLL(8)
        for (int j = 0; j < C; ++j) {
          iacc[j] = _mm512_dpbusd_epi32(iacc[j], w, _mm512_set1_epi32(load_i32(x[j][sb].qs + s * kSub + 4 * t)));
        }
      }
      const __m512i scv = _mm512_loadu_si512(sc + s * kG);
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) isum[j] = _mm512_add_epi32(isum[j], _mm512_mullo_epi32(iacc[j], scv));
    }
    __m512i imin[C];
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) imin[j] = _mm512_setzero_si512();
    for (int q = 0; q < 8; ++q) {
      const __m512i mv = _mm512_loadu_si512(p.mp + (sb * 8 + q) * kG);
      CORRAL_UNROLL(8)
      for (int j = 0; j < C; ++j) {
        imin[j] = _mm512_add_epi32(imin[j], _mm512_madd_epi16(mv, _mm512_set1_epi32(load_i32(x[j][sb].bsums + 2 * q))));
      }
    }
    const __m512 dv = _mm512_loadu_ps(p.d + sb * kG), mn = _mm512_loadu_ps(p.dmin + sb * kG);
    CORRAL_UNROLL(8)
    for (int j = 0; j < C; ++j) {
      const __m512 da = _mm512_set1_ps(x[j][sb].d);
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[j]), _mm512_mul_ps(dv, da), acc[j]);
      acc[j] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(imin[j]), _mm512_mul_ps(mn, da), acc[j]);
    }
  }
  CORRAL_UNROLL(8)
  for (int j = 0; j < C; ++j) _mm512_mask_storeu_ps(c + j * ldc, mask, acc[j]);
}

template <int kSub>
inline void run_cols(int nc, const Panel& p, int64_t nsb, const BlockQ8_K* const* x, float* c, size_t ldc,
                     __mmask16 mask) {
  switch (nc) {
    case 8: return micro<kSub, 8>(p, nsb, x, c, ldc, mask);
    case 7: return micro<kSub, 7>(p, nsb, x, c, ldc, mask);
    case 6: return micro<kSub, 6>(p, nsb, x, c, ldc, mask);
    case 5: return micro<kSub, 5>(p, nsb, x, c, ldc, mask);
    case 4: return micro<kSub, 4>(p, nsb, x, c, ldc, mask);
    case 3: return micro<kSub, 3>(p, nsb, x, c, ldc, mask);
    case 2: return micro<kSub, 2>(p, nsb, x, c, ldc, mask);
    default: return micro<kSub, 1>(p, nsb, x, c, ldc, mask);
  }
}

// Per-thread scratch reused across calls (tiles of the long FFN rows would otherwise allocate
// and fault in fresh pages every call).
struct Scratch {
  std::vector<uint8_t> rq, pq;
  std::vector<int16_t> rs, rm;
  std::vector<float> rd, pd;
  std::vector<int32_t> psc, pmp;
};

template <int kSub>
void tile(DType t, const TileArgs& a) {
  thread_local Scratch s;
  const int64_t nsb = a.k / 256;
  const size_t k = static_cast<size_t>(a.k), ns = static_cast<size_t>(nsb);
  s.rq.resize(kG * k);
  s.rs.resize(kG * ns * 16);
  s.rm.resize(kG * ns * 16);
  s.rd.resize(kG * ns * 2);
  s.pq.resize(kG * k);
  s.psc.resize(ns * 16 * kG);
  s.pmp.resize(ns * 8 * kG);
  s.pd.resize(ns * 2 * kG);
  PanelK rows[kG];
  for (int r = 0; r < kG; ++r) {
    rows[r] = {s.rq.data() + r * k, s.rs.data() + r * ns * 16, s.rd.data() + 2 * r * ns, s.rd.data() + (2 * r + 1) * ns,
               s.rm.data() + r * ns * 16};
  }
  const Panel p{s.pq.data(), s.psc.data(), s.pmp.data(), s.pd.data(), s.pd.data() + ns * kG};
  for (int64_t i = a.i0; i < a.i1; i += kG) {
    const int nr = static_cast<int>(std::min<int64_t>(kG, a.i1 - i));
    for (int r = 0; r < nr; ++r) decode_rowK(t, a.w + (i + r) * a.w_row_bytes, nsb, rows[r]);
    for (int r = nr; r < kG; ++r) {
      std::memset(rows[r].q, 0, k);
      std::memset(rows[r].sc16, 0, ns * 16 * sizeof(int16_t));
      std::memset(rows[r].m16, 0, ns * 16 * sizeof(int16_t));
      std::fill(rows[r].d, rows[r].d + ns, 0.0f);
      std::fill(rows[r].dmin, rows[r].dmin + ns, 0.0f);
    }
    build_panel<kSub>(rows, a.k, p);
    const __mmask16 mask = static_cast<__mmask16>((1u << nr) - 1);
    for (int64_t j = a.j0; j < a.j1; j += kMaxC) {
      const int nc = static_cast<int>(std::min<int64_t>(kMaxC, a.j1 - j));
      const BlockQ8_K* x[kMaxC];
      for (int cc = 0; cc < nc; ++cc) x[cc] = reinterpret_cast<const BlockQ8_K*>(a.xq + (j + cc) * a.xq_row_bytes);
      run_cols<kSub>(nc, p, nsb, x, a.c + j * a.ldc + i, a.ldc, mask);
    }
  }
}

// The K-quant tile of weight dtype t (Q2_K..Q6_K).
inline void run(DType t, const TileArgs& a) {
  if (t == DType::kQ4_K || t == DType::kQ5_K) return tile<32>(t, a);
  return tile<16>(t, a);
}

}  // namespace kgemm

#undef CORRAL_UNROLL
#undef CORRAL_PRAGMA
