#include "util/dtype.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

TEST(DType, GgufIdsAndLayouts) {
  // ids and block layouts as ggml defines them
  EXPECT_EQ(static_cast<uint32_t>(DType::kQ4_K), 12u);
  EXPECT_EQ(static_cast<uint32_t>(DType::kBF16), 30u);
  EXPECT_EQ(dtype_traits(DType::kQ4_0).block_bytes, 18u);
  EXPECT_EQ(dtype_traits(DType::kQ6_K).block_bytes, 210u);
  EXPECT_EQ(dtype_traits(DType::kQ8_K).block_bytes, 292u);
  EXPECT_FALSE(dtype_traits_of(4).has_value());  // removed Q4_2
  EXPECT_FALSE(dtype_traits_of(1000).has_value());
  EXPECT_EQ(dtype_from_name("q4_k"), DType::kQ4_K);
  EXPECT_EQ(dtype_name(DType::kF16), "F16");
}

TEST(DType, RowBytes) {
  EXPECT_EQ(dtype_row_bytes(DType::kQ4_0, 64), 36u);
  EXPECT_FALSE(dtype_row_bytes(DType::kQ4_0, 33).has_value());
  EXPECT_EQ(dtype_row_bytes(DType::kF32, 3), 12u);
  EXPECT_FALSE(dtype_row_bytes(DType::kF64, UINT64_MAX / 2).has_value());
}

}  // namespace
}  // namespace corral
