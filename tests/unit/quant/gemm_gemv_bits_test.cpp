// The prefill GEMM and the decode GEMV give the same bits for Q4_1 / Q5_1 weights (the SmolLM2
// formats): a sequence's logits must not depend on whether its rows share a step with a prompt
// (GEMM, more than kGemvMaxCols rows) or decode alone (GEMV). Every output of a wide tile is
// compared with the single-row tile of the same column, on every ISA, at odd shapes and offsets.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/gemm.h"
#include "ml/quant.h"

namespace corral::cpu {
namespace {

TEST(GemmGemvBits, MinFormatsWideTilesEqualSingleRows) {
  for (DType t : {DType::kQ4_1, DType::kQ5_1}) {
    for (Isa isa : available_isas()) {
      for (int64_t k : {32 * 7, 576, 1536}) {
        const int64_t m = 37, n = 21;
        const size_t wr = *dtype_row_bytes(t, k);
        std::vector<uint8_t> w(wr * m);
        std::mt19937 rng(static_cast<uint32_t>(k));
        std::normal_distribution<float> nd(0.0f, 1.0f);
        std::vector<float> row(static_cast<size_t>(k));
        for (int64_t i = 0; i < m; ++i) {
          for (auto& v : row) v = nd(rng) * 0.05f + 0.01f * static_cast<float>(i % 5);
          ASSERT_TRUE(quantize_row(t, row.data(), w.data() + i * wr, k).ok());
        }
        const size_t xr = activation_row_bytes(t, k);
        std::vector<uint8_t> xq(xr * n);
        for (int64_t j = 0; j < n; ++j) {
          for (auto& v : row) v = nd(rng);
          pack_activations(isa, t, row.data(), k, xq.data() + j * xr);
        }
        // Weight rows [3, 34): panels of 16 with a partial one; all n columns in one tile.
        const int64_t i0 = 3, i1 = 34;
        std::vector<float> wide(m * n, -1.0f), one(m * n, -2.0f);
        matmul_tile(isa, t, k, w.data(), wr, xq.data(), xr, wide.data(), m, i0, i1, 0, n);
        for (int64_t j = 0; j < n; ++j)
          matmul_tile(isa, t, k, w.data(), wr, xq.data(), xr, one.data(), m, i0, i1, j, j + 1);
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t i = i0; i < i1; ++i) {
            ASSERT_EQ(wide[j * m + i], one[j * m + i])
                << dtype_name(t) << " " << isa_name(isa) << " k=" << k << " row " << i << " column " << j;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace corral::cpu
