// matmul_tile for every weight dtype on every ISA this machine runs, against a double-precision
// reference computed from the dequantized weights and dequantized packed activations; packing is
// checked to give the same bytes on every ISA. Odd shapes, partial tiles at odd offsets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/repack.h"
#include "ml/quant.h"
#include "util/half.h"

namespace corral::cpu {
namespace {

struct Shape {
  int64_t m, n, k;
};

struct Problem {
  DType type;
  Shape s;
  std::vector<uint8_t> w;  // m rows of weights
  size_t w_row;
  std::vector<float> x;  // n rows of k floats
};

Problem make_problem(DType type, Shape s, uint32_t seed) {
  Problem p{type, s, {}, *dtype_row_bytes(type, s.k), {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> row(s.k);
  p.w.resize(p.w_row * s.m);
  for (int64_t i = 0; i < s.m; ++i) {
    const float scale = 0.05f + 0.01f * static_cast<float>(i % 7);
    for (auto& v : row) v = nd(rng) * scale;
    EXPECT_TRUE(quantize_row(type, row.data(), p.w.data() + i * p.w_row, s.k).ok());
  }
  p.x.resize(s.n * s.k);
  for (auto& v : p.x) v = nd(rng);
  for (int64_t e = 0; e < s.k; e += 97) p.x[e] *= 8.0f;  // a few outliers
  return p;
}

std::vector<uint8_t> pack_all(Isa isa, const Problem& p) {
  const size_t xr = activation_row_bytes(p.type, p.s.k);
  std::vector<uint8_t> out(xr * p.s.n);
  for (int64_t j = 0; j < p.s.n; ++j)
    pack_activations(isa, p.type, p.x.data() + j * p.s.k, p.s.k, out.data() + j * xr);
  return out;
}

// Weights with a block min (Q4_1, Q5_1) take a block's min term as m * s, s the F16 block sum the
// packed row carries after its Q8_0 blocks (llama.cpp's Q8_1 sum), where the dequantized product
// gives m * d * sum(levels): the difference for weight row i and packed activation row xq.
double min_term_correction(const Problem& p, int64_t i, const uint8_t* xq) {
  if (p.type != DType::kQ4_1 && p.type != DType::kQ5_1) return 0.0;
  const int64_t nb = p.s.k / 32;
  const size_t wb = *dtype_row_bytes(p.type, 32);
  const uint8_t* row = p.w.data() + i * p.w_row;
  const uint8_t* s = xq + nb * 34;
  double c = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = xq + b * 34;  // d (F16), 32 levels
    uint16_t d, m, sb;
    std::memcpy(&d, blk, 2);
    std::memcpy(&m, row + b * wb + 2, 2);
    std::memcpy(&sb, s + 2 * b, 2);
    int sum = 0;
    for (int e = 0; e < 32; ++e) sum += static_cast<int8_t>(blk[2 + e]);
    c += static_cast<double>(fp16_to_f32(m)) *
         (static_cast<double>(fp16_to_f32(sb)) - static_cast<double>(fp16_to_f32(d)) * sum);
  }
  return c;
}

// Double-precision C[j][i] from the dequantized operands.
std::vector<double> reference(const Problem& p, const std::vector<uint8_t>& xq) {
  const size_t xr = activation_row_bytes(p.type, p.s.k);
  std::vector<float> w(p.s.m * p.s.k), x(p.s.n * p.s.k);
  for (int64_t i = 0; i < p.s.m; ++i)
    dequantize_row(p.type, p.w.data() + i * p.w_row, w.data() + i * p.s.k, p.s.k);
  for (int64_t j = 0; j < p.s.n; ++j)
    dequantize_row(activation_dtype(p.type), xq.data() + j * xr, x.data() + j * p.s.k, p.s.k);
  std::vector<double> c(p.s.n * p.s.m);
  for (int64_t j = 0; j < p.s.n; ++j)
    for (int64_t i = 0; i < p.s.m; ++i) {
      double sum = 0;
      for (int64_t e = 0; e < p.s.k; ++e) sum += static_cast<double>(w[i * p.s.k + e]) * x[j * p.s.k + e];
      c[j * p.s.m + i] = sum + min_term_correction(p, i, xq.data() + j * xr);
    }
  return c;
}

struct Param {
  DType type;
  Isa isa;
};

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return std::string(dtype_name(info.param.type)) + "_" + std::string(isa_name(info.param.isa));
}

class MatmulTile : public ::testing::TestWithParam<Param> {};

TEST_P(MatmulTile, MatchesDoubleReference) {
  const auto [type, isa] = GetParam();
  const int64_t bs = dtype_traits(type).block_size;
  const bool plain = bs == 1;
  // k: several blocks, an odd number of 32-blocks, and a non-multiple of the SIMD width for floats.
  const std::vector<int64_t> ks = plain      ? std::vector<int64_t>{67, 256}
                                  : bs == 32 ? std::vector<int64_t>{224, 512}
                                             : std::vector<int64_t>{256, 768};
  uint32_t seed = 1;
  for (int64_t k : ks) {
    const Problem p = make_problem(type, {37, 11, k}, seed++);
    const std::vector<uint8_t> xq = pack_all(isa, p);
    ASSERT_EQ(xq, pack_all(Isa::kGeneric, p))
        << "packed activations differ from the generic packing, k=" << k;
    const std::vector<double> ref = reference(p, xq);
    const size_t xr = activation_row_bytes(type, k);

    // Full problem in one call, and a partial tile at odd offsets into a sentinel-filled output.
    const size_t ldc = 41;
    for (int part = 0; part < 2; ++part) {
      const int64_t i0 = part ? 3 : 0, i1 = part ? 30 : p.s.m, j0 = part ? 1 : 0, j1 = part ? 10 : p.s.n;
      std::vector<float> c(ldc * p.s.n, -12345.0f);
      matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, c.data(), ldc, i0, i1, j0, j1);
      double err = 0, norm = 0;
      for (int64_t j = 0; j < p.s.n; ++j) {
        for (size_t i = 0; i < ldc; ++i) {
          const float got = c[j * ldc + i];
          const bool inside =
              j >= j0 && j < j1 && static_cast<int64_t>(i) >= i0 && static_cast<int64_t>(i) < i1;
          if (!inside) {
            ASSERT_EQ(got, -12345.0f) << "wrote outside the tile at j=" << j << " i=" << i;
            continue;
          }
          const double want = ref[j * p.s.m + i];
          err += (got - want) * (got - want);
          norm += want * want;
        }
      }
      const double nmse = err / norm;
      EXPECT_LT(nmse, 1e-10) << "k=" << k << " part=" << part;
    }
  }
}

TEST_P(MatmulTile, AgreesWithGeneric) {
  const auto [type, isa] = GetParam();
  const int64_t k = dtype_traits(type).block_size == 1 ? 100 : 512;
  const Problem p = make_problem(type, {9, 5, k}, 77);
  const std::vector<uint8_t> xq = pack_all(Isa::kGeneric, p);
  const size_t xr = activation_row_bytes(type, k);
  std::vector<float> a(9 * 5), b(9 * 5);
  matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, a.data(), 9, 0, 9, 0, 5);
  matmul_tile(Isa::kGeneric, type, k, p.w.data(), p.w_row, xq.data(), xr, b.data(), 9, 0, 9, 0, 5);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * (1 + std::fabs(b[i]))) << i;
}

// sum_e |W[i,e] * X[j,e]| from the dequantized operands: the scale of float rounding in C[j][i].
std::vector<double> abs_reference(const Problem& p, const std::vector<uint8_t>& xq) {
  const size_t xr = activation_row_bytes(p.type, p.s.k);
  std::vector<float> w(p.s.k), x(p.s.n * p.s.k);
  for (int64_t j = 0; j < p.s.n; ++j)
    dequantize_row(activation_dtype(p.type), xq.data() + j * xr, x.data() + j * p.s.k, p.s.k);
  std::vector<double> c(p.s.n * p.s.m);
  for (int64_t i = 0; i < p.s.m; ++i) {
    dequantize_row(p.type, p.w.data() + i * p.w_row, w.data(), p.s.k);
    for (int64_t j = 0; j < p.s.n; ++j) {
      double sum = 0;
      for (int64_t e = 0; e < p.s.k; ++e) sum += std::fabs(static_cast<double>(w[e]) * x[j * p.s.k + e]);
      c[j * p.s.m + i] = sum;
    }
  }
  return c;
}

// Checks a tile's output c (n activation rows, ldc apart, pre-filled with -12345) against the double
// reference of an m-row problem: rows [i0, i1) within 1e-6 * sum |w * x| (float32 accumulation of a
// few hundred terms stays near 1e-7; a wrong scale, level or offset is off by whole terms), the
// rest untouched.
void expect_tile_near(const std::vector<float>& c, size_t ldc, int64_t m, int64_t n, int64_t i0, int64_t i1,
                      const std::vector<double>& ref, const std::vector<double>& mag,
                      const std::string& what) {
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < static_cast<int64_t>(ldc); ++i) {
      const float got = c[j * ldc + i];
      if (i < i0 || i >= i1) {
        ASSERT_EQ(got, -12345.0f) << what << ": wrote outside the tile at j=" << j << " i=" << i;
        continue;
      }
      EXPECT_LE(std::fabs(got - ref[j * m + i]), 1e-6 * mag[j * m + i])
          << what << " n=" << n << " j=" << j << " i=" << i << " tile rows " << i0 << ".." << i1;
    }
  }
}

// The decode shape: one to eight activation rows (a few sequences decoding together) take the fused
// matrix-vector kernels (up to three for float weights). Odd weight row counts (passes of 4 or 2
// with remainders), activation rows in passes of 4 with remainders, k of one block and of many
// blocks, tiles at offsets.
// Every output is checked on its own (expect_tile_near).
TEST_P(MatmulTile, FewActivationRowsMatchDoubleReference) {
  const auto [type, isa] = GetParam();
  const int64_t bs = dtype_traits(type).block_size;
  const std::vector<int64_t> ks =
      bs == 1 ? std::vector<int64_t>{8, 16, 77, 1040} : std::vector<int64_t>{bs, 11 * bs};
  uint32_t seed = 100;
  for (int64_t k : ks) {
    for (int64_t n : {1, 2, 3, 4, 5, 8}) {
      const Problem p = make_problem(type, {23, n, k}, seed++);
      const std::vector<uint8_t> xq = pack_all(isa, p);
      const std::vector<double> ref = reference(p, xq), mag = abs_reference(p, xq);
      const size_t xr = activation_row_bytes(type, k);
      for (const auto& [i0, i1] : {std::pair<int64_t, int64_t>{0, 23}, {1, 2}, {5, 12}, {18, 23}}) {
        const size_t ldc = 25;
        std::vector<float> c(ldc * n, -12345.0f);
        matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, c.data(), ldc, i0, i1, 0, n);
        expect_tile_near(c, ldc, p.s.m, n, i0, i1, ref, mag, "k=" + std::to_string(k));
      }
    }
  }
}

// Sequences decoding in one batch get the bits each gets alone: where the fused matrix-vector path
// takes n activation rows, every output column equals that row's own single-row tile exactly.
TEST_P(MatmulTile, BatchedRowsEqualSingleRows) {
  const auto [type, isa] = GetParam();
  const int64_t bs = dtype_traits(type).block_size;
  const int64_t k = bs == 1 ? 77 : 7 * bs;
  for (int64_t n : {2, 3, 4, 6, 8}) {
    if (!matmul_is_gemv(isa, type, n)) continue;
    const Problem p = make_problem(type, {21, n, k}, 300 + static_cast<uint32_t>(n));
    const std::vector<uint8_t> xq = pack_all(isa, p);
    const size_t xr = activation_row_bytes(type, k);
    std::vector<float> batch(21 * n), one(21 * n);
    matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, batch.data(), 21, 0, 21, 0, n);
    for (int64_t j = 0; j < n; ++j) {
      matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, one.data(), 21, 0, 21, j, j + 1);
    }
    for (size_t i = 0; i < batch.size(); ++i)
      ASSERT_EQ(batch[i], one[i]) << "n=" << n << " column " << i / 21 << " row " << i % 21;
  }
}

// Output bits do not depend on how the weight rows are split into tiles (threads, work items):
// the fused path groups a tile's rows into sequential streams whose grouping changes with the
// tile, and every row must still get the bits of the whole-matrix tile.
TEST_P(MatmulTile, RowSplitDoesNotChangeBits) {
  const auto [type, isa] = GetParam();
  const int64_t bs = dtype_traits(type).block_size;
  const int64_t k = bs == 1 ? 77 : 5 * bs;
  constexpr int64_t m = 53;
  for (int64_t n : {1, 2, 3}) {
    const Problem p = make_problem(type, {m, n, k}, 500 + static_cast<uint32_t>(n));
    const std::vector<uint8_t> xq = pack_all(isa, p);
    const size_t xr = activation_row_bytes(type, k);
    std::vector<float> whole(m * n), split(m * n, -1.0f);
    matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, whole.data(), m, 0, m, 0, n);
    const int64_t cuts[] = {0, 1, 4, 11, 12, 29, 40, 53};
    for (size_t c = 0; c + 1 < std::size(cuts); ++c) {
      matmul_tile(isa, type, k, p.w.data(), p.w_row, xq.data(), xr, split.data(), m, cuts[c], cuts[c + 1], 0,
                  n);
    }
    for (size_t i = 0; i < whole.size(); ++i)
      ASSERT_EQ(whole[i], split[i]) << "n=" << n << " column " << i / m << " row " << i % m;
  }
}
// ---- Q4_0x8: Q4_0 weights rearranged in groups of 8 rows (repack.h) ----

Problem repacked(Problem p) {
  repack_q4_0x8(p.w.data(), p.s.m, p.s.k);
  return p;
}

TEST(Q4_0x8, RepackThenUnpackGivesTheRows) {
  const Problem p = make_problem(DType::kQ4_0, {24, 1, 96}, 700);
  ASSERT_TRUE(q4_0x8_fits(24, 96));
  EXPECT_FALSE(q4_0x8_fits(20, 96));
  EXPECT_FALSE(q4_0x8_fits(24, 100));
  const Problem r = repacked(p);
  EXPECT_NE(r.w, p.w) << "the layout moved no byte";
  std::vector<uint8_t> rows(p.w.size());
  unpack_q4_0x8_rows(r.w.data(), 96, 0, 24, rows.data());
  EXPECT_EQ(rows, p.w);
  // A range that starts and ends inside groups.
  std::vector<uint8_t> some(13 * p.w_row);
  unpack_q4_0x8_rows(r.w.data(), 96, 5, 18, some.data());
  EXPECT_EQ(0, std::memcmp(some.data(), p.w.data() + 5 * p.w_row, some.size()));
}

// Every output of decode tiles (1 to 8 activation rows, whole groups: the group kernel where the ISA
// has it), of tiles that cut groups and of GEMM tiles (unpacked rows) against the double reference
// of the plain matrix, with matmul_tile_test's per-output bound.
TEST(Q4_0x8, MatchesDoubleReference) {
  uint32_t seed = 710;
  for (Isa isa : available_isas()) {
    for (int64_t k : {32, 352}) {
      for (int64_t n : {1, 2, 3, 4, 5, 8, 11}) {
        const Problem p = make_problem(DType::kQ4_0, {32, n, k}, seed++);
        const Problem r = repacked(p);
        const std::vector<uint8_t> xq = pack_all(isa, p);
        const std::vector<double> ref = reference(p, xq), mag = abs_reference(p, xq);
        const size_t xr = activation_row_bytes(DType::kQ4_0, k);
        for (const auto& [i0, i1] : {std::pair<int64_t, int64_t>{0, 32}, {8, 24}, {3, 13}, {16, 17}}) {
          const size_t ldc = 33;
          std::vector<float> c(ldc * n, -12345.0f);
          matmul_tile_q4_0x8(isa, k, r.w.data(), xq.data(), xr, c.data(), ldc, i0, i1, 0, n);
          expect_tile_near(c, ldc, p.s.m, n, i0, i1, ref, mag,
                           std::string(isa_name(isa)) + " k=" + std::to_string(k));
        }
      }
    }
  }
}

// Batched decode gets each sequence's bits; tiles that the group kernel does not take (rows cutting
// groups, more than kGemvMaxCols activation rows) get exactly the plain Q4_0 matrix's bits.
TEST(Q4_0x8, BatchesAndFallbackTilesKeepTheirBits) {
  for (Isa isa : available_isas()) {
    for (int64_t n : {2, 3, 4, 6, 8, 12}) {
      constexpr int64_t m = 24, k = 224;
      const Problem p = make_problem(DType::kQ4_0, {m, n, k}, 800 + static_cast<uint32_t>(n));
      const Problem r = repacked(p);
      const std::vector<uint8_t> xq = pack_all(isa, p);
      const size_t xr = activation_row_bytes(DType::kQ4_0, k);
      std::vector<float> batch(m * n), one(m * n), plain(m * n), cut(m * n);
      matmul_tile_q4_0x8(isa, k, r.w.data(), xq.data(), xr, batch.data(), m, 0, m, 0, n);
      for (int64_t j = 0; j < n; ++j)
        matmul_tile_q4_0x8(isa, k, r.w.data(), xq.data(), xr, one.data(), m, 0, m, j, j + 1);
      matmul_tile(isa, DType::kQ4_0, k, p.w.data(), p.w_row, xq.data(), xr, plain.data(), m, 0, m, 0, n);
      for (const int64_t i0 : {0, 5, 19}) {  // tiles 0..5, 5..19, 19..24: every one cuts a group
        const int64_t i1 = i0 == 0 ? 5 : i0 == 5 ? 19 : m;
        matmul_tile_q4_0x8(isa, k, r.w.data(), xq.data(), xr, cut.data(), m, i0, i1, 0, n);
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (q4_0x8_direct(isa) && matmul_is_gemv(isa, DType::kQ4_0, n)) {
          ASSERT_EQ(batch[i], one[i])
              << isa_name(isa) << " n=" << n << " column " << i / m << " row " << i % m;
        } else {
          ASSERT_EQ(batch[i], plain[i])
              << isa_name(isa) << " n=" << n << " column " << i / m << " row " << i % m;
        }
        ASSERT_EQ(cut[i], plain[i]) << isa_name(isa) << " n=" << n << " column " << i / m << " row " << i % m;
      }
    }
  }
}

std::vector<Param> all_params() {
  std::vector<Param> out;
  for (DType t :
       {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
        DType::kQ8_0, DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    for (Isa isa : available_isas()) out.push_back({t, isa});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulTile, ::testing::ValuesIn(all_params()), param_name);

TEST(CpuFeatures, ParseIsa) {
  EXPECT_EQ(*parse_isa("generic"), Isa::kGeneric);
  EXPECT_EQ(*parse_isa("GENERIC"), Isa::kGeneric);
  EXPECT_EQ(parse_isa("neon-ish").status().code(), StatusCode::kInvalidArgument);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    const Result<Isa> r = parse_isa(isa_name(isa));
    EXPECT_EQ(r.ok(), isa_supported(isa)) << isa_name(isa);
  }
  EXPECT_EQ(available_isas().front(), Isa::kGeneric);
  EXPECT_EQ(available_isas().back(), best_isa());
}

TEST(Gemm, ActivationFormats) {
  EXPECT_EQ(activation_dtype(DType::kQ4_0), DType::kQ8_0);
  EXPECT_EQ(activation_dtype(DType::kQ6_K), DType::kQ8_K);
  EXPECT_EQ(activation_dtype(DType::kF16), DType::kF32);
  EXPECT_EQ(activation_row_bytes(DType::kQ4_K, 512), 2u * 292u);
  EXPECT_FALSE(matmul_supported(DType::kIQ2_XS));
}

}  // namespace
}  // namespace corral::cpu
