// GGUF writer: exact bytes against a spec-built buffer, streaming producers, validation,
// atomic replacement, and read -> write -> read round trips (SmolLM2 byte for byte).
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf.h"
#include "unit/gguf/gguf_bytes.h"

namespace corral {
namespace {

using namespace gguf_test;

std::string temp_dir(const std::string& name) {
  std::string dir = testing::TempDir() + "corral_gguf_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

size_t count_entries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

std::vector<std::byte> pattern(size_t n, uint8_t seed) {
  GgufBytes b;
  b.fill(n, seed);
  return b.buf;
}

TEST(GgufWriter, WritesExactlyTheSpecifiedBytes) {
  std::vector<std::byte> a = pattern(24, 1);  // [2, 3] F32
  std::vector<std::byte> q = pattern(68, 2);  // [2, 32] Q8_0
  GgufWriter w;
  w.set("general.architecture", GgufValue::from_string("llama"));
  w.set("x.u16", GgufValue::from_u16(513));
  GgufArray inner1;
  inner1.element_type = GgufType::kI8;
  inner1.ints = {-1, 2};
  GgufArray inner2;
  inner2.element_type = GgufType::kI8;
  GgufArray outer;
  outer.element_type = GgufType::kArray;
  outer.values = {GgufValue::from_array(inner1), GgufValue::from_array(inner2)};
  w.set("x.nested", GgufValue::from_array(outer));
  w.set("x.f64", GgufValue::from_f64(0.5));
  w.set("x.u16", GgufValue::from_u16(7));  // replaces in place, keeps the first position
  ASSERT_TRUE(w.add_tensor("a", {2, 3}, DType::kF32, a).ok());
  ASSERT_TRUE(w.add_tensor("q", {2, 32}, DType::kQ8_0, [&](std::vector<std::byte>* out) {
                 *out = q;
                 return ok_status();
               }).ok());

  GgufBytes want;
  want.header(3, 2, 4);
  want.key("general.architecture", kTString), want.str("llama");
  want.key("x.u16", kTU16), want.put<uint16_t>(7);
  want.key("x.nested", kTArray), want.u32(kTArray), want.u64(2);
  want.u32(kTI8), want.u64(2), want.put<int8_t>(-1), want.put<int8_t>(2);
  want.u32(kTI8), want.u64(0);
  want.key("x.f64", kTF64), want.put<double>(0.5);
  want.tensor_info("a", {3, 2}, 0, 0);
  want.tensor_info("q", {32, 2}, 8, 32);
  want.pad(32);
  want.buf.insert(want.buf.end(), a.begin(), a.end());
  want.pad(32);
  want.buf.insert(want.buf.end(), q.begin(), q.end());
  want.pad(32);

  std::string dir = temp_dir("exact");
  std::string path = dir + "/out.gguf";
  Status st = w.write(path);
  ASSERT_TRUE(st.ok()) << st.to_string();
  Result<MappedFile> got = MappedFile::open(path);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), want.buf.size());
  EXPECT_EQ(std::memcmp(got->data(), want.buf.data(), want.buf.size()), 0);
  EXPECT_EQ(count_entries(dir), 1u);  // no temporary file left behind
}

TEST(GgufWriter, CustomAlignmentIsRecordedInMetadata) {
  GgufWriter w;
  w.set("general.architecture", GgufValue::from_string("x"));
  w.set_alignment(64);
  std::vector<std::byte> a = pattern(12, 0), b = pattern(8, 5);
  ASSERT_TRUE(w.add_tensor("a", {3}, DType::kF32, a).ok());
  ASSERT_TRUE(w.add_tensor("b", {2}, DType::kF32, b).ok());
  std::string path = temp_dir("align") + "/a.gguf";
  ASSERT_TRUE(w.write(path).ok());
  Result<GgufFile> f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->find("general.alignment")->type(), GgufType::kU32);
  EXPECT_EQ(*f->get_int("general.alignment"), 64);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->tensors()[1].offset, 64u);
  EXPECT_EQ(f->file_size() % 64, 0u);
  auto d = f->tensor_data(f->tensors()[1]);
  EXPECT_TRUE(std::equal(d.begin(), d.end(), b.begin(), b.end()));
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  std::vector<std::byte> four = pattern(4, 0);
  EXPECT_EQ(w.add_tensor("", {1}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("a", {}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("a", {1, 1, 1, 1, 1}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("a", {0}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("a", {-1}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.add_tensor("a", {2}, DType::kF32, four).code(), StatusCode::kInvalidArgument);  // 8 bytes needed
  Status st = w.add_tensor("a", {1, 33}, DType::kQ8_0, four);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("not a multiple of the Q8_0 block size 32"), std::string::npos) << st.message();
  EXPECT_EQ(w.add_tensor("a", {1 << 30, 1 << 30, 1 << 30}, DType::kF32, four).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.add_tensor("a", {1}, DType::kF32, four).ok());
  st = w.add_tensor("a", {1}, DType::kF32, four);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("duplicate tensor 'a'"), std::string::npos);
}

TEST(GgufWriter, RejectsArrayValuesThatDoNotFitTheirType) {
  GgufWriter w;
  GgufArray arr;
  arr.element_type = GgufType::kU8;
  arr.ints = {1, 256};
  w.set("bad", GgufValue::from_array(arr));
  std::string dir = temp_dir("badarr");
  Status st = w.write(dir + "/x.gguf");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("256 does not fit a u8"), std::string::npos) << st.message();
  EXPECT_EQ(count_entries(dir), 0u);
}

TEST(GgufWriter, ProducerSizeIsChecked) {
  std::string dir = temp_dir("producer");
  std::string path = dir + "/out.gguf";
  ASSERT_TRUE(write_file_atomic(path, std::string_view("old contents")).ok());
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("t", {4}, DType::kF16, [](std::vector<std::byte>* out) {
                 out->resize(7);  // 8 declared
                 return ok_status();
               }).ok());
  Status st = w.write(path);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("the producer gave 7 bytes"), std::string::npos) << st.message();
  // Nothing changed at the destination and the temporary file is gone.
  EXPECT_EQ(*read_file(path), "old contents");
  EXPECT_EQ(count_entries(dir), 1u);
}

TEST(GgufWriter, ProducerErrorsPropagate) {
  std::string dir = temp_dir("producer_err");
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("t", {4}, DType::kF16, [](std::vector<std::byte>*) {
                 return io_error("source.safetensors: read failed");
               }).ok());
  Status st = w.write(dir + "/out.gguf");
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find("tensor 't'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("read failed"), std::string::npos) << st.message();
  EXPECT_EQ(count_entries(dir), 0u);
}

TEST(GgufWriter, UnwritableFolderIsAnIoError) {
  GgufWriter w;
  Status st = w.write("/nonexistent-corral-dir/x.gguf");
  EXPECT_EQ(st.code(), StatusCode::kIo);
}

// Hand-built file with every value type -> reader -> writer -> reader: identical content.
TEST(GgufWriter, RoundTripKeepsTypesValuesAndTensors) {
  GgufBytes b;
  b.header(2, 2, 8);  // a v2 source; the copy is v3
  b.key("general.architecture", kTString), b.str("llama");
  b.key("u8", kTU8), b.u8(3);
  b.key("i64", kTI64), b.put<int64_t>(-5);
  b.key("u64", kTU64), b.u64(~0ull);
  b.key("f32", kTF32), b.put<float>(-0.0f);
  b.key("b", kTBool), b.u8(1);
  b.key("arr", kTArray), b.u32(kTF32), b.u64(2), b.put<float>(1.5f), b.put<float>(2.5f);
  b.key("nest", kTArray), b.u32(kTArray), b.u64(1), b.u32(kTString), b.u64(2), b.str("p"), b.str("q");
  b.tensor_info("w", {32, 3}, 2 /*Q4_0*/, 0);
  b.tensor_info("n", {5}, 30 /*BF16*/, 64);
  b.pad(32);
  b.fill(54, 4);
  b.pad(32);
  b.fill(10, 5);
  Result<GgufFile> src = GgufFile::parse(b.span());
  ASSERT_TRUE(src.ok()) << src.status().to_string();

  GgufWriter w;
  ASSERT_TRUE(gguf_copy_into(*src, &w).ok());
  std::string path = temp_dir("roundtrip") + "/copy.gguf";
  ASSERT_TRUE(w.write(path).ok());
  Result<GgufFile> copy = GgufFile::open(path);
  ASSERT_TRUE(copy.ok()) << copy.status().to_string();
  EXPECT_EQ(copy->version(), 3u);
  EXPECT_EQ(copy->metadata(), src->metadata());
  ASSERT_EQ(copy->tensors().size(), src->tensors().size());
  for (size_t i = 0; i < src->tensors().size(); ++i) {
    const GgufTensorInfo& s = src->tensors()[i];
    const GgufTensorInfo& c = copy->tensors()[i];
    EXPECT_EQ(c.name, s.name);
    EXPECT_EQ(c.shape, s.shape);
    EXPECT_EQ(c.dtype, s.dtype);
    EXPECT_EQ(c.offset, s.offset);
    EXPECT_EQ(c.bytes, s.bytes);
    auto sd = src->tensor_data(s), cd = copy->tensor_data(c);
    EXPECT_TRUE(std::equal(sd.begin(), sd.end(), cd.begin(), cd.end())) << s.name;
  }
  // The v2 source with this layout differs from the v3 copy only in the version field.
  Result<MappedFile> bytes = MappedFile::open(path);
  std::vector<std::byte> expected = b.buf;
  expected[4] = std::byte{3};
  expected.resize(bytes->size(), std::byte{0});  // the writer pads after the last tensor
  ASSERT_EQ(bytes->size() % 32, 0u);
  EXPECT_EQ(std::memcmp(bytes->data(), expected.data(), expected.size()), 0);
}

TEST(GgufWriter, OverwritingTheSourceFileIsSafe) {
  // The copy is written beside the source and renamed over it; the source mapping stays valid.
  std::string path = temp_dir("inplace") + "/m.gguf";
  {
    GgufWriter w;
    w.set("general.architecture", GgufValue::from_string("a"));
    std::vector<std::byte> d = pattern(64, 9);
    ASSERT_TRUE(w.add_tensor("t", {16}, DType::kF32, d).ok());
    ASSERT_TRUE(w.write(path).ok());
  }
  Result<GgufFile> src = GgufFile::open(path);
  ASSERT_TRUE(src.ok());
  GgufWriter w;
  ASSERT_TRUE(gguf_copy_into(*src, &w).ok());
  w.set("general.architecture", GgufValue::from_string("b"));
  ASSERT_TRUE(w.write(path).ok());
  Result<GgufFile> again = GgufFile::open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->architecture(), "b");
  auto d = again->tensor_data(again->tensors()[0]);
  std::vector<std::byte> want = pattern(64, 9);
  EXPECT_TRUE(std::equal(d.begin(), d.end(), want.begin(), want.end()));
}

// SmolLM2's GGUF was written by the gguf package with the default alignment: rewriting it
// must reproduce the file byte for byte.
TEST(GgufWriter, SmolLM2RewriteIsByteIdentical) {
  if (std::string(CORRAL_SMOLLM2_GGUF).empty()) GTEST_SKIP() << "CORRAL_SMOLLM2_GGUF is not set";
  Result<GgufFile> src = GgufFile::open(CORRAL_SMOLLM2_GGUF);
  ASSERT_TRUE(src.ok()) << src.status().to_string();
  GgufWriter w;
  ASSERT_TRUE(gguf_copy_into(*src, &w).ok());
  std::string dir = temp_dir("smollm2");
  std::string path = dir + "/copy.gguf";
  Status st = w.write(path);
  ASSERT_TRUE(st.ok()) << st.to_string();
  Result<MappedFile> a = MappedFile::open(CORRAL_SMOLLM2_GGUF);
  Result<MappedFile> b2 = MappedFile::open(path);
  ASSERT_TRUE(a.ok() && b2.ok());
  ASSERT_EQ(a->size(), b2->size());
  EXPECT_EQ(std::memcmp(a->data(), b2->data(), a->size()), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corral
