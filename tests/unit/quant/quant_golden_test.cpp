// quantize_row / dequantize_row against goldens made by the gguf Python package
// (tools/make_quant_goldens.py): bit-identical blocks for F16, BF16 and Q4_0..Q8_0, exact
// dequantization for every format, and K-quant quantizer error no worse than llama.cpp's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ml/quant.h"

namespace corral {
namespace {

std::string golden_path(const std::string& name) {
  return std::string(CORRAL_REPO_DIR) + "/tests/golden/quant/" + name;
}

std::vector<uint8_t> read_bytes(const std::string& name) {
  std::ifstream f(golden_path(name), std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing golden " << name << " (run tools/make_quant_goldens.py)";
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<float> read_floats(const std::string& name) {
  const std::vector<uint8_t> bytes = read_bytes(name);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

struct Case {
  const char* file;
  DType type;
};

class QuantizeGolden : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizeGolden, BlocksBitIdenticalToGguf) {
  const Case c = GetParam();
  const std::vector<float> x = read_floats("input.f32");
  ASSERT_EQ(x.size(), 4096u);
  const std::vector<uint8_t> want = read_bytes(std::string(c.file) + ".blocks");
  std::vector<uint8_t> got(*dtype_row_bytes(c.type, x.size()));
  ASSERT_EQ(got.size(), want.size());
  ASSERT_TRUE(quantize_row(c.type, x.data(), got.data(), static_cast<int64_t>(x.size())).ok());
  const size_t bb = dtype_traits(c.type).block_bytes;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << c.file << ": first difference in block " << i / bb << " byte " << i % bb;
  }
}

TEST_P(QuantizeGolden, DequantizeExactlyAsGguf) {
  const Case c = GetParam();
  const std::vector<uint8_t> blocks = read_bytes(std::string(c.file) + ".blocks");
  const std::vector<float> want = read_floats(std::string(c.file) + ".dequant.f32");
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(*dtype_row_bytes(c.type, want.size()), blocks.size());
  std::vector<float> got(want.size());
  dequantize_row(c.type, blocks.data(), got.data(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::memcmp(&got[i], &want[i], 4), 0) << c.file << " element " << i << ": " << got[i] << " vs " << want[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Plain, QuantizeGolden,
                         ::testing::Values(Case{"f16", DType::kF16}, Case{"bf16", DType::kBF16},
                                           Case{"q4_0", DType::kQ4_0}, Case{"q4_1", DType::kQ4_1},
                                           Case{"q5_0", DType::kQ5_0}, Case{"q5_1", DType::kQ5_1},
                                           Case{"q8_0", DType::kQ8_0}),
                         [](const auto& info) { return std::string(info.param.file); });

class DequantizeKGolden : public ::testing::TestWithParam<Case> {};

TEST_P(DequantizeKGolden, ExactlyAsGguf) {
  const Case c = GetParam();
  const std::vector<uint8_t> blocks = read_bytes(std::string(c.file) + ".blocks");
  const std::vector<float> want = read_floats(std::string(c.file) + ".dequant.f32");
  ASSERT_EQ(want.size(), 16u * 256u);
  ASSERT_EQ(*dtype_row_bytes(c.type, want.size()), blocks.size());
  std::vector<float> got(want.size());
  dequantize_row(c.type, blocks.data(), got.data(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::memcmp(&got[i], &want[i], 4), 0) << c.file << " element " << i << ": " << got[i] << " vs " << want[i];
  }
}

INSTANTIATE_TEST_SUITE_P(K, DequantizeKGolden,
                         ::testing::Values(Case{"q2_k", DType::kQ2_K}, Case{"q3_k", DType::kQ3_K},
                                           Case{"q4_k", DType::kQ4_K}, Case{"q5_k", DType::kQ5_K},
                                           Case{"q6_k", DType::kQ6_K}),
                         [](const auto& info) { return std::string(info.param.file); });

double roundtrip_rmse(DType type, const std::vector<float>& x) {
  std::vector<uint8_t> q(*dtype_row_bytes(type, x.size()));
  EXPECT_TRUE(quantize_row(type, x.data(), q.data(), static_cast<int64_t>(x.size())).ok());
  std::vector<float> y(x.size());
  dequantize_row(type, q.data(), y.data(), static_cast<int64_t>(x.size()));
  double se = 0;
  for (size_t i = 0; i < x.size(); ++i) se += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
  return std::sqrt(se / static_cast<double>(x.size()));
}

// The quantizers must be at least as accurate as llama.cpp's reference quantizers (no importance
// matrix) on the same N(0,1) data; kquant_rmse.txt holds llama.cpp's figures.
TEST(QuantQuality, NoWorseThanLlamaCpp) {
  const std::vector<float> x = read_floats("kquant_input.f32");
  ASSERT_EQ(x.size(), 64u * 256u);
  std::ifstream f(golden_path("kquant_rmse.txt"));
  std::map<std::string, double> ref;
  std::string name;
  double v;
  while (f >> name >> v) ref[name] = v;
  const std::map<std::string, DType> types = {{"q2_k", DType::kQ2_K}, {"q3_k", DType::kQ3_K},
                                              {"q4_k", DType::kQ4_K}, {"q5_k", DType::kQ5_K},
                                              {"q6_k", DType::kQ6_K}, {"q4_0", DType::kQ4_0},
                                              {"q8_0", DType::kQ8_0}};
  ASSERT_EQ(ref.size(), types.size());
  for (const auto& [n, t] : types) {
    const double rmse = roundtrip_rmse(t, x);
    std::printf("%-5s rmse %.5f  llama.cpp %.5f  ratio %.3f\n", n.c_str(), rmse, ref[n], rmse / ref[n]);
    // Q4_0 and Q8_0 are the gguf package's (= llama.cpp's) quantizers: equal up to float noise.
    EXPECT_LE(rmse, ref[n] * 1.001) << n;
  }
}

TEST(QuantErrors, RejectsBadRowsAndValues) {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> out(1024);
  EXPECT_EQ(quantize_row(DType::kQ4_0, x.data(), out.data(), 33).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(quantize_row(DType::kQ4_K, x.data(), out.data(), 64).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(quantize_row(DType::kIQ2_XS, x.data(), out.data(), 256).code(), StatusCode::kUnsupported);
  x[5] = std::nanf("");
  EXPECT_EQ(quantize_row(DType::kQ8_0, x.data(), out.data(), 64).code(), StatusCode::kInvalidArgument);
  x[5] = INFINITY;
  EXPECT_EQ(quantize_row(DType::kQ4_1, x.data(), out.data(), 32).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(quantize_row(DType::kF32, x.data(), out.data(), 32).ok());  // plain types keep inf
}

}  // namespace
}  // namespace corral
