// GGUF reader on hand-built buffers (see gguf_bytes.h): every value type, nested arrays,
// alignment, tensor infos and zero-copy data, v2 and v3.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>

#include "formats/gguf.h"
#include "unit/gguf/gguf_bytes.h"

namespace corral {
namespace {

using namespace gguf_test;

class GgufVersions : public testing::TestWithParam<uint32_t> {};

TEST_P(GgufVersions, EveryScalarType) {
  GgufBytes b;
  b.header(GetParam(), 0, 14);
  b.key("u8", kTU8), b.u8(250);
  b.key("i8", kTI8), b.put<int8_t>(-7);
  b.key("u16", kTU16), b.put<uint16_t>(65535);
  b.key("i16", kTI16), b.put<int16_t>(-32768);
  b.key("u32", kTU32), b.u32(4000000000u);
  b.key("i32", kTI32), b.put<int32_t>(-2000000000);
  b.key("f32", kTF32), b.put<float>(1.5f);
  b.key("bool", kTBool), b.u8(1);
  b.key("string", kTString), b.str(std::string_view("h\0llo \xc3\xa9", 8));
  b.key("u64", kTU64), b.u64(18446744073709551615ull);
  b.key("i64", kTI64), b.put<int64_t>(std::numeric_limits<int64_t>::min());
  b.key("f64", kTF64), b.put<double>(-0.1);
  b.key("empty", kTString), b.str("");
  b.key("bool0", kTBool), b.u8(0);

  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->version(), GetParam());
  ASSERT_EQ(f->metadata().size(), 14u);
  const char* keys[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "u64", "i64", "f64"};
  GgufType types[] = {GgufType::kU8, GgufType::kI8, GgufType::kU16, GgufType::kI16, GgufType::kU32, GgufType::kI32,
                      GgufType::kF32, GgufType::kBool, GgufType::kString, GgufType::kU64, GgufType::kI64,
                      GgufType::kF64};
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(f->metadata()[i].first, keys[i]);
    EXPECT_EQ(f->metadata()[i].second.type(), types[i]) << keys[i];
  }
  EXPECT_EQ(*f->get_int("u8"), 250);
  EXPECT_EQ(*f->get_int("i8"), -7);
  EXPECT_EQ(*f->get_int("u16"), 65535);
  EXPECT_EQ(*f->get_int("i16"), -32768);
  EXPECT_EQ(*f->get_int("u32"), 4000000000ll);
  EXPECT_EQ(*f->get_int("i32"), -2000000000);
  EXPECT_EQ(*f->get_float("f32"), 1.5);
  EXPECT_EQ(*f->get_bool("bool"), true);
  EXPECT_EQ(*f->get_bool("bool0"), false);
  EXPECT_EQ(*f->get_string("string"), std::string("h\0llo \xc3\xa9", 8));
  EXPECT_EQ(*f->get_string("empty"), "");
  EXPECT_FALSE(f->get_int("u64").has_value());  // 2^64-1 does not fit int64
  EXPECT_EQ(*f->find("u64")->as_uint(), 18446744073709551615ull);
  EXPECT_EQ(*f->get_int("i64"), std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(f->find("i64")->as_uint().has_value());
  EXPECT_EQ(*f->get_float("f64"), -0.1);
  EXPECT_EQ(*f->get_float("u8"), 250.0);
  // Wrong-kind accessors answer "absent" instead of converting.
  EXPECT_FALSE(f->get_string("u8").has_value());
  EXPECT_FALSE(f->get_int("string").has_value());
  EXPECT_FALSE(f->get_int("f32").has_value());
  EXPECT_FALSE(f->get_bool("u8").has_value());
  EXPECT_EQ(f->get_array("u8"), nullptr);
  EXPECT_EQ(f->find("missing"), nullptr);
  EXPECT_EQ(f->architecture(), "");
  EXPECT_TRUE(f->tensors().empty());
}

INSTANTIATE_TEST_SUITE_P(V2V3, GgufVersions, testing::Values(2u, 3u));

TEST(GgufReader, ArraysOfEveryElementType) {
  GgufBytes b;
  b.header(3, 0, 15);
  auto arr = [&](const char* k, uint32_t et, uint64_t n) {
    b.key(k, kTArray);
    b.u32(et);
    b.u64(n);
  };
  arr("u8", kTU8, 3), b.u8(0), b.u8(128), b.u8(255);
  arr("i8", kTI8, 2), b.put<int8_t>(-128), b.put<int8_t>(127);
  arr("u16", kTU16, 1), b.put<uint16_t>(40000);
  arr("i16", kTI16, 2), b.put<int16_t>(-1), b.put<int16_t>(2);
  arr("u32", kTU32, 1), b.u32(0xffffffffu);
  arr("i32", kTI32, 3), b.put<int32_t>(-5), b.put<int32_t>(0), b.put<int32_t>(5);
  arr("f32", kTF32, 2), b.put<float>(0.25f), b.put<float>(-3.0f);
  arr("bool", kTBool, 3), b.u8(1), b.u8(0), b.u8(1);
  arr("str", kTString, 3), b.str("a"), b.str(""), b.str("ccc");
  arr("u64", kTU64, 2), b.u64(1), b.u64(0x8000000000000000ull);
  arr("i64", kTI64, 1), b.put<int64_t>(-9);
  arr("f64", kTF64, 1), b.put<double>(2.5);
  arr("empty", kTI32, 0);
  // [[1, 2], [], [3]] of u16
  arr("nested", kTArray, 3);
  b.u32(kTU16), b.u64(2), b.put<uint16_t>(1), b.put<uint16_t>(2);
  b.u32(kTU16), b.u64(0);
  b.u32(kTU16), b.u64(1), b.put<uint16_t>(3);
  // [[["x"]], [["y", "z"]]]: three levels
  arr("nested3", kTArray, 2);
  b.u32(kTArray), b.u64(1), b.u32(kTString), b.u64(1), b.str("x");
  b.u32(kTArray), b.u64(1), b.u32(kTString), b.u64(2), b.str("y"), b.str("z");

  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  auto ints = [&](const char* k) { return f->get_array(k)->ints; };
  EXPECT_EQ(f->get_array("u8")->element_type, GgufType::kU8);
  EXPECT_EQ(ints("u8"), (std::vector<int64_t>{0, 128, 255}));
  EXPECT_EQ(ints("i8"), (std::vector<int64_t>{-128, 127}));
  EXPECT_EQ(ints("u16"), (std::vector<int64_t>{40000}));
  EXPECT_EQ(ints("i16"), (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(ints("u32"), (std::vector<int64_t>{4294967295ll}));
  EXPECT_EQ(ints("i32"), (std::vector<int64_t>{-5, 0, 5}));
  EXPECT_EQ(f->get_array("f32")->floats, (std::vector<double>{0.25, -3.0}));
  EXPECT_EQ(f->get_array("bool")->element_type, GgufType::kBool);
  EXPECT_EQ(ints("bool"), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(f->get_array("str")->strings, (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(static_cast<uint64_t>(ints("u64")[1]), 0x8000000000000000ull);
  EXPECT_EQ(ints("i64"), (std::vector<int64_t>{-9}));
  EXPECT_EQ(f->get_array("f64")->floats, (std::vector<double>{2.5}));
  EXPECT_EQ(f->get_array("empty")->size(), 0u);
  EXPECT_EQ(f->get_array("empty")->element_type, GgufType::kI32);

  const GgufArray* nested = f->get_array("nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->element_type, GgufType::kArray);
  ASSERT_EQ(nested->size(), 3u);
  EXPECT_EQ(nested->values[0].as_array()->element_type, GgufType::kU16);
  EXPECT_EQ(nested->values[0].as_array()->ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(nested->values[1].as_array()->size(), 0u);
  EXPECT_EQ(nested->values[2].as_array()->ints, (std::vector<int64_t>{3}));

  const GgufArray* n3 = f->get_array("nested3");
  ASSERT_EQ(n3->size(), 2u);
  EXPECT_EQ(n3->values[1].as_array()->values[0].as_array()->strings, (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(n3->values[0].as_array()->values[0].as_array()->strings, (std::vector<std::string>{"x"}));
}

// Nesting up to the limit is accepted (one more level is in the malformed suite).
TEST(GgufReader, NestingAtTheDepthLimit) {
  GgufBytes b;
  b.header(3, 0, 1);
  b.key("deep", kTArray);
  for (int d = 1; d < kGgufMaxArrayDepth; ++d) b.u32(kTArray), b.u64(1);
  b.u32(kTI8), b.u64(1), b.put<int8_t>(42);
  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const GgufArray* a = f->get_array("deep");
  for (int d = 1; d < kGgufMaxArrayDepth; ++d) a = a->values.at(0).as_array();
  EXPECT_EQ(a->ints, (std::vector<int64_t>{42}));
}

// Two tensors: dims are stored innermost-first and come back outermost-first; data is a view
// into the caller's bytes at data_offset + offset.
TEST(GgufReader, TensorInfosAndZeroCopyData) {
  GgufBytes b;
  b.header(3, 3, 1);
  b.key("general.architecture", kTString), b.str("llama");
  b.tensor_info("tok", {8, 3}, 0 /*F32*/, 0);              // [3, 8] F32: 96 bytes
  b.tensor_info("q", {64, 2, 3}, 8 /*Q8_0*/, 96);          // [3, 2, 64] Q8_0: 12 blocks * 34 = 408
  b.tensor_info("bias", {5, 1, 1, 2}, 1 /*F16*/, 96 + 416);  // [2,1,1,5] F16: 20 bytes
  b.pad(32);
  size_t data = b.buf.size();
  b.fill(96, 1);
  b.fill(408, 2);
  b.pad(32);
  b.fill(20, 3);

  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->data_offset(), data);
  ASSERT_EQ(f->tensors().size(), 3u);
  const GgufTensorInfo& tok = f->tensors()[0];
  EXPECT_EQ(tok.name, "tok");
  EXPECT_EQ(tok.shape, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(tok.dtype, DType::kF32);
  EXPECT_EQ(tok.bytes, 96u);
  EXPECT_EQ(tok.num_elements(), 24u);
  const GgufTensorInfo* q = f->find_tensor("q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{3, 2, 64}));
  EXPECT_EQ(q->dtype, DType::kQ8_0);
  EXPECT_EQ(q->bytes, 408u);
  EXPECT_EQ(q->offset, 96u);
  const GgufTensorInfo* bias = f->find_tensor("bias");
  EXPECT_EQ(bias->shape, (std::vector<int64_t>{2, 1, 1, 5}));
  EXPECT_EQ(bias->bytes, 20u);
  EXPECT_EQ(f->find_tensor("nope"), nullptr);

  std::span<const std::byte> qd = f->tensor_data(*q);
  EXPECT_EQ(qd.data(), b.buf.data() + data + 96);  // a view, not a copy
  EXPECT_EQ(qd.size(), 408u);
  EXPECT_EQ(qd[0], std::byte{2});
  std::span<const std::byte> bd = f->tensor_data(*bias);
  EXPECT_EQ(bd.data(), b.buf.data() + data + 512);
  EXPECT_EQ(bd[19], static_cast<std::byte>((3 + 19 * 7) & 0xff));
}

TEST(GgufReader, CustomAlignment) {
  GgufBytes b;
  b.header(3, 2, 1);
  b.key("general.alignment", kTU32), b.u32(64);
  b.tensor_info("a", {3}, 0, 0);
  b.tensor_info("b", {2}, 0, 64);
  b.pad(64);
  size_t data = b.buf.size();
  b.fill(12, 0);
  b.pad(64);
  b.fill(8, 9);
  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset(), data);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->tensor_data(f->tensors()[1]).data(), b.buf.data() + data + 64);
}

// A metadata-only file (a vocab file) may end right after its KV pairs.
TEST(GgufReader, MetadataOnlyFileWithoutPadding) {
  GgufBytes b;
  b.header(3, 0, 1);
  b.key("general.architecture", kTString), b.str("x");
  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufReader, OpenMapsTheFileAndSurvivesMoves) {
  GgufBytes b;
  b.header(3, 1, 0);
  b.tensor_info("w", {4}, 0, 0);
  b.pad(32);
  b.put<float>(1), b.put<float>(2), b.put<float>(3), b.put<float>(4);
  std::string path = testing::TempDir() + "gguf_open_test.gguf";
  ASSERT_TRUE(write_file_atomic(path, b.span()).ok());
  Result<GgufFile> f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  GgufFile moved = std::move(f).value();
  EXPECT_EQ(moved.file_size(), b.buf.size());
  std::span<const std::byte> d = moved.tensor_data(moved.tensors()[0]);
  float v[4];
  std::memcpy(v, d.data(), 16);
  EXPECT_EQ(v[3], 4.0f);
  std::filesystem::remove(path);

  Result<GgufFile> missing = GgufFile::open(path);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(GgufReader, ErrorsFromOpenNameThePath) {
  std::string path = testing::TempDir() + "gguf_not_gguf.gguf";
  ASSERT_TRUE(write_file_atomic(path, std::string_view("PK\x03\x04 not a gguf")).ok());
  Result<GgufFile> f = GgufFile::open(path);
  EXPECT_EQ(f.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
  EXPECT_NE(f.status().message().find("not a GGUF file"), std::string::npos) << f.status().message();
  std::filesystem::remove(path);
}

TEST(GgufValue, EqualityIsExact) {
  EXPECT_EQ(GgufValue::from_u32(3), GgufValue::from_u32(3));
  EXPECT_FALSE(GgufValue::from_u32(3) == GgufValue::from_i32(3));  // same number, other type
  EXPECT_FALSE(GgufValue::from_f64(0.0) == GgufValue::from_f64(-0.0));
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(GgufValue::from_f64(nan), GgufValue::from_f64(nan));
  GgufArray a;
  a.element_type = GgufType::kString;
  a.strings = {"x", "y"};
  GgufArray b = a;
  EXPECT_EQ(GgufValue::from_array(a), GgufValue::from_array(b));
  b.strings[1] = "z";
  EXPECT_FALSE(GgufValue::from_array(a) == GgufValue::from_array(b));
  GgufArray c = a;
  c.element_type = GgufType::kArray;  // same strings, different element type
  EXPECT_FALSE(a == c);
}

}  // namespace
}  // namespace corral
