// Quantization: per-tensor type choices against what llama.cpp chose for the same tensors
// (quantize.json, recorded from llama_cpp.llama_model_quantize), and quantized conversions whose
// dequantized values stay within each type's expected error of the F32 conversion.
#include <gtest/gtest.h>

#include <cmath>

#include "convert/convert.h"
#include "convert/quant_types.h"
#include "formats/gguf.h"
#include "ml/quant.h"
#include "test_util.h"

namespace corral::convert {
namespace {

using testing::golden_dir;
using testing::TempDir;

TEST(QuantTypes, ParseNamesCaseInsensitively) {
  EXPECT_EQ(*parse_quant_type("q4_K_M"), QuantType::kQ4_K_M);
  EXPECT_EQ(*parse_quant_type("Q8_0"), QuantType::kQ8_0);
  EXPECT_EQ(*parse_quant_type("bf16"), QuantType::kBF16);
  auto bad = parse_quant_type("q3_K_XL");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("q3_K_XL"), std::string::npos);
}

TEST(QuantTypes, UseMoreBitsPattern) {
  // 8 layers: first and last eighth, and every third layer after the first eighth.
  std::vector<int64_t> more;
  for (int64_t i = 0; i < 8; ++i) if (use_more_bits(i, 8)) more.push_back(i);
  EXPECT_EQ(more, (std::vector<int64_t>{0, 3, 6, 7}));
}

TEST(QuantTypes, MixtureMatchesLlamaCppForEveryTensor) {
  const auto golden = testing::read_golden_json("quantize.json");
  ASSERT_FALSE(golden.is_null());
  int checked = 0;
  for (const auto& model : {"tiny", "wide"}) {
    const auto& g = golden[model];
    const int64_t n_layers = g["n_layers"];
    for (auto ft = g["types"].begin(); ft != g["types"].end(); ++ft) {
      auto qt = parse_quant_type(ft.key());
      ASSERT_TRUE(qt.ok()) << ft.key();
      for (auto t = ft->begin(); t != ft->end(); ++t) {
        const auto shape = (*t)["shape"].get<std::vector<int64_t>>();
        const DType got = choose_tensor_type(*qt, {t.key(), shape, n_layers, g["has_output"].get<bool>()});
        EXPECT_EQ(std::string(dtype_name(got)), (*t)["type"].get<std::string>())
            << model << " " << ft.key() << " " << t.key();
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(QuantTypes, TiedEmbeddingGetsTheOutputTreatment) {
  const std::vector<int64_t> shape{512, 256};
  EXPECT_EQ(choose_tensor_type(QuantType::kQ4_K_M, {"token_embd.weight", shape, 8, false}), DType::kQ6_K);
  EXPECT_EQ(choose_tensor_type(QuantType::kQ4_K_M, {"token_embd.weight", shape, 8, true}), DType::kQ4_K);
  EXPECT_EQ(choose_tensor_type(QuantType::kQ4_0, {"blk.0.attn_q.weight", std::vector<int64_t>{8, 30}, 8, true}),
            DType::kF16);  // row of 30: no block type fits
}

double nmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (ref[i] - got[i]) * double(ref[i] - got[i]);
    den += double(ref[i]) * ref[i];
  }
  return den == 0 ? num : num / den;
}

std::vector<float> floats_of(const GgufFile& f, const GgufTensorInfo& t) {
  std::vector<float> out(t.num_elements());
  const int64_t row = t.shape.back();
  const auto row_bytes = *dtype_row_bytes(t.dtype, static_cast<uint64_t>(row));
  const auto data = f.tensor_data(t);
  for (uint64_t r = 0; r < t.num_elements() / static_cast<uint64_t>(row); ++r) {
    dequantize_row(t.dtype, data.data() + r * row_bytes, out.data() + r * row, row);
  }
  return out;
}

double max_nmse(DType t) {
  switch (t) {
    case DType::kF32: return 0;
    case DType::kF16: case DType::kBF16: return 1e-4;
    case DType::kQ8_0: return 1e-4;
    case DType::kQ6_K: return 2e-3;
    case DType::kQ5_0: case DType::kQ5_1: case DType::kQ5_K: return 5e-3;
    default: return 2e-2;  // 4-bit types
  }
}

TEST(Quantize, ConvertWithEveryMixtureFollowsRulesAndStaysClose) {
  const auto golden = testing::read_golden_json("quantize.json");
  TempDir tmp;
  ConvertOptions f32;
  f32.type = QuantType::kF32;
  ASSERT_TRUE(convert_hf_directory(golden_dir() + "/llama_bpe", tmp.file("f32.gguf"), f32).ok());
  auto ref = GgufFile::open(tmp.file("f32.gguf"));
  ASSERT_TRUE(ref.ok());
  for (auto ft = golden["tiny"]["types"].begin(); ft != golden["tiny"]["types"].end(); ++ft) {
    ConvertOptions opts;
    opts.type = *parse_quant_type(ft.key());
    opts.threads = 3;
    auto r = convert_hf_directory(golden_dir() + "/llama_bpe", tmp.file("q.gguf"), opts);
    ASSERT_TRUE(r.ok()) << ft.key() << ": " << r.status().to_string();
    auto q = GgufFile::open(tmp.file("q.gguf"));
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(q->get_int("general.file_type"), static_cast<int64_t>(quant_file_type(*opts.type)));
    EXPECT_EQ(q->get_int("general.quantization_version"), 2);
    for (const auto& t : q->tensors()) {
      EXPECT_EQ(std::string(dtype_name(t.dtype)), (*ft)[t.name]["type"].get<std::string>()) << ft.key() << " " << t.name;
      const GgufTensorInfo* rt = ref->find_tensor(t.name);
      ASSERT_NE(rt, nullptr);
      const double e = nmse(floats_of(*ref, *rt), floats_of(*q, t));
      EXPECT_LE(e, max_nmse(t.dtype)) << ft.key() << " " << t.name << " " << dtype_name(t.dtype);
    }
    // The same mixture from the F32 GGUF gives the same file content.
    ASSERT_TRUE(quantize_gguf(tmp.file("f32.gguf"), tmp.file("q2.gguf"), *opts.type, 2).ok());
    auto q2 = GgufFile::open(tmp.file("q2.gguf"));
    ASSERT_TRUE(q2.ok());
    ASSERT_EQ(q2->tensors().size(), q->tensors().size());
    for (const auto& t : q->tensors()) {
      const GgufTensorInfo* t2 = q2->find_tensor(t.name);
      ASSERT_NE(t2, nullptr);
      EXPECT_EQ(t2->dtype, t.dtype) << t.name;
      EXPECT_EQ(testing::sha256_hex(q2->tensor_data(*t2)), testing::sha256_hex(q->tensor_data(t))) << t.name;
    }
  }
}

TEST(Quantize, RefusesQuantizedSource) {
  TempDir tmp;
  ConvertOptions opts;
  opts.type = QuantType::kQ8_0;
  ASSERT_TRUE(convert_hf_directory(golden_dir() + "/llama_bpe", tmp.file("q8.gguf"), opts).ok());
  Status st = quantize_gguf(tmp.file("q8.gguf"), tmp.file("q4.gguf"), QuantType::kQ4_0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("Q8_0"), std::string::npos) << st.message();
  EXPECT_FALSE(path_exists(tmp.file("q4.gguf")));
}

TEST(Quantize, MissingInputIsAnError) {
  TempDir tmp;
  EXPECT_FALSE(quantize_gguf(tmp.file("nope.gguf"), tmp.file("o.gguf"), QuantType::kQ4_0).ok());
}

}  // namespace
}  // namespace corral::convert
