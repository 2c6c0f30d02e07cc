// CpuBackend::prepare_weights: Q4_0 weights rearranged into the Q4_0x8 layout at load give mul_mat
// and get_rows the results of the file layout (get_rows bit for bit; mul_mat within float
// rounding of the plain kernels, and at most kGemvMaxCols activation rows with each row's own
// bits), other weights stay as they are, and a graph that would read a repacked weight any other
// way is refused before anything runs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/gemm.h"
#include "ml/allocator.h"
#include "ml/dump.h"
#include "ml/ops.h"
#include "ml/quant.h"

namespace corral {
namespace {

std::unique_ptr<cpu::CpuBackend> make_cpu(bool repack) {
  BackendOptions o;
  o.num_threads = 2;
  o.repack_weights = repack;
  auto b = cpu::CpuBackend::create(o);
  EXPECT_TRUE(b.ok());
  return std::move(b).value();
}

std::vector<uint8_t> quantized(DType t, int64_t rows, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  std::vector<float> x(static_cast<size_t>(rows * k));
  for (float& v : x) v = nd(rng);
  std::vector<uint8_t> out(*dtype_row_bytes(t, static_cast<uint64_t>(k)) * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_TRUE(quantize_row(t, x.data() + r * k, out.data() + r * (out.size() / rows), k).ok());
  }
  return out;
}

struct Outputs {
  std::vector<float> mm;    // mul_mat(w, x) for x of n rows
  std::vector<float> rows;  // get_rows(w, ids)
};

// Binds the weight to `bytes` (prepare_weights may rearrange them), then computes both ops.
Outputs run(cpu::CpuBackend& backend, std::vector<uint8_t>& bytes, int64_t m, int64_t k, int64_t n,
            uint32_t* flags) {
  Context weights;
  Tensor w = weights.external(DType::kQ4_0, {m, k}, bytes.data(), "w");
  EXPECT_TRUE(backend.prepare_weights(weights).ok());
  *flags = w.node()->flags;
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {n, k});
  Tensor ids = ctx.input(DType::kI32, {5});
  Tensor mm = mul_mat(ctx, w, x);
  Tensor rows = get_rows(ctx, w, ids);
  Graph g = ctx.build({mm, rows});
  GraphAllocator alloc;
  EXPECT_TRUE(alloc.allocate(g).ok());
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int64_t i = 0; i < n * k; ++i) x.data<float>()[i] = nd(rng);
  const int32_t pick[5] = {0, static_cast<int32_t>(m - 1), 7, 9, 3};
  for (int i = 0; i < 5; ++i) ids.data<int32_t>()[i] = pick[i];
  const Status s = backend.compute(g);
  EXPECT_TRUE(s.ok()) << s.message();
  return {read_f32(mm), read_f32(rows)};
}

TEST(CpuRepack, Q4_0WeightsKeepTheirResults) {
  constexpr int64_t m = 40, k = 256;
  auto plain = make_cpu(false), packing = make_cpu(true);
  const bool direct = cpu::q4_0x8_direct(packing->isa());
  for (int64_t n : {1, 3, 8, 12}) {  // decode, a batch of sequences, the GEMM
    std::vector<uint8_t> a = quantized(DType::kQ4_0, m, k, 21), b = a;
    uint32_t fa = 0, fb = 0;
    const Outputs want = run(*plain, a, m, k, n, &fa);
    const Outputs got = run(*packing, b, m, k, n, &fb);
    EXPECT_EQ(fa & kTensorRepacked, 0u);
    EXPECT_EQ(a, quantized(DType::kQ4_0, m, k, 21)) << "repack_weights=false changed the bytes";
    EXPECT_EQ((fb & kTensorRepacked) != 0, direct);
    EXPECT_EQ(b != a, direct);
    EXPECT_EQ(got.rows, want.rows) << "get_rows must dequantize the same rows";
    ASSERT_EQ(got.mm.size(), want.mm.size());
    for (size_t i = 0; i < got.mm.size(); ++i) {
      EXPECT_NEAR(got.mm[i], want.mm[i], 1e-4f * (1.0f + std::fabs(want.mm[i]))) << "n=" << n << " i=" << i;
    }
  }
}

TEST(CpuRepack, LeavesOtherWeightsAlone) {
  auto packing = make_cpu(true);
  // Rows not in groups of 8, another dtype, and a 3-D Q4_0 tensor keep the file layout.
  std::vector<uint8_t> odd = quantized(DType::kQ4_0, 12, 64, 1), q8 = quantized(DType::kQ8_0, 16, 64, 2),
                       cube = quantized(DType::kQ4_0, 16, 64, 3);
  const std::vector<uint8_t> odd0 = odd, q80 = q8, cube0 = cube;
  Context weights;
  Tensor a = weights.external(DType::kQ4_0, {12, 64}, odd.data(), "odd");
  Tensor b = weights.external(DType::kQ8_0, {16, 64}, q8.data(), "q8");
  Tensor c = weights.external(DType::kQ4_0, {2, 8, 64}, cube.data(), "cube");
  ASSERT_TRUE(packing->prepare_weights(weights).ok());
  for (Tensor t : {a, b, c}) EXPECT_EQ(t.node()->flags & kTensorRepacked, 0u) << t.name();
  EXPECT_EQ(odd, odd0);
  EXPECT_EQ(q8, q80);
  EXPECT_EQ(cube, cube0);
}

TEST(CpuRepack, RefusesOtherReadersOfARepackedWeight) {
  auto packing = make_cpu(true);
  if (!cpu::q4_0x8_direct(packing->isa())) GTEST_SKIP() << "this CPU keeps Q4_0 in the file layout";
  std::vector<uint8_t> bytes = quantized(DType::kQ4_0, 16, 64, 5);
  Context weights;
  Tensor w = weights.external(DType::kQ4_0, {16, 64}, bytes.data(), "w");
  ASSERT_TRUE(packing->prepare_weights(weights).ok());
  ASSERT_NE(w.node()->flags & kTensorRepacked, 0u);
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {2, 64});
  // A copy reads the bytes as plain Q4_0; a mul_mat through a view of half the rows would too.
  for (Tensor out : {copy(ctx, w, DType::kF32), mul_mat(ctx, slice(ctx, w, 0, 0, 8), x)}) {
    Graph g = ctx.build({out});
    GraphAllocator alloc;
    ASSERT_TRUE(alloc.allocate(g).ok());
    const Status s = packing->compute(g);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.message();
  }
}

}  // namespace
}  // namespace corral
