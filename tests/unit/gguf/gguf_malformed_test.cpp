// Malformed GGUF suite: each case mutates one field of a valid hand-built file (gguf_bytes.h)
// and expects a specific status code and a message naming the field and its byte offset.
#include <gtest/gtest.h>

#include <cinttypes>

#include "formats/gguf.h"
#include "unit/gguf/gguf_bytes.h"

namespace corral {
namespace {

using namespace gguf_test;

constexpr uint64_t kHuge = 1ull << 63;

// 7 KV pairs and 3 tensors ('w.a' F32 [2,4] at 0, 'w.b' Q8_0 [2,32] at 32, 'w.c' F16 [3] at 128).
GgufBytes make_valid() {
  GgufBytes b;
  b.header(3, 3, 7);
  b.mark("kv0.key"), b.str("general.architecture"), b.mark("kv0.type"), b.u32(kTString);
  b.mark("kv0.value"), b.str("llama");
  b.mark("kv1.key"), b.str("general.alignment"), b.mark("kv1.type"), b.u32(kTU32), b.mark("kv1.value"), b.u32(32);
  b.mark("kv2.key"), b.str("test.flag"), b.mark("kv2.type"), b.u32(kTBool), b.mark("kv2.value"), b.u8(1);
  b.mark("kv3.key"), b.str("test.list"), b.mark("kv3.type"), b.u32(kTArray);
  b.mark("kv3.value"), b.u32(kTI32), b.mark("kv3.count"), b.u64(3), b.mark("kv3.elems");
  b.put<int32_t>(1), b.put<int32_t>(2), b.put<int32_t>(3);
  b.mark("kv4.key"), b.str("test.nested"), b.u32(kTArray);
  b.mark("kv4.value"), b.u32(kTArray), b.u64(2);
  b.mark("kv4.inner0"), b.u32(kTU16), b.mark("kv4.inner0.count"), b.u64(2), b.put<uint16_t>(1), b.put<uint16_t>(2);
  b.u32(kTU16), b.u64(1), b.put<uint16_t>(3);
  b.mark("kv5.key"), b.str("test.keyA"), b.mark("kv5.type"), b.u32(kTU8), b.mark("kv5.value"), b.u8(7);
  b.mark("kv6.key"), b.str("test.keyB"), b.mark("kv6.type"), b.u32(kTString), b.mark("kv6.value"), b.str("zz");
  b.tensor_info("w.a", {4, 2}, 0, 0, "t0");
  b.tensor_info("w.b", {32, 2}, 8, 32, "t1");
  b.tensor_info("w.c", {3}, 1, 128, "t2");
  b.mark("infos_end");
  b.pad(32);
  b.mark("data");
  b.fill(32, 1);
  b.fill(68, 2);
  b.pad(32);
  b.fill(6, 3);
  b.mark("data_end");
  b.pad(32);
  return b;
}

std::string at(const GgufBytes& b, const std::string& mark) { return "at byte " + std::to_string(b.at(mark)); }

void expect_error(std::span<const std::byte> bytes, StatusCode code, const std::vector<std::string>& parts) {
  Result<GgufFile> f = GgufFile::parse(bytes);
  ASSERT_FALSE(f.ok()) << "parsed a malformed file";
  EXPECT_EQ(f.status().code(), code) << f.status().to_string();
  for (const std::string& p : parts) {
    EXPECT_NE(f.status().message().find(p), std::string::npos)
        << "message lacks '" << p << "': " << f.status().message();
  }
  EXPECT_EQ(f.status().message().rfind("gguf: ", 0), 0u) << f.status().message();
}

std::span<const std::byte> prefix(const GgufBytes& b, size_t n) { return std::span(b.buf).first(n); }

TEST(GgufMalformed, TheReferenceFileIsValid) {
  GgufBytes b = make_valid();
  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->metadata().size(), 7u);
  EXPECT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->data_offset(), b.at("data"));
}

TEST(GgufMalformed, BadMagic) {
  GgufBytes b = make_valid();
  std::memcpy(b.buf.data(), "GGML", 4);
  expect_error(b.span(), StatusCode::kCorrupt, {"magic at byte 0", "'GGML' is not 'GGUF'"});
}

TEST(GgufMalformed, VersionOneIsRejected) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(4, 1);
  expect_error(b.span(), StatusCode::kUnsupported, {"version at byte 4", "GGUF v1"});
}

TEST(GgufMalformed, UnknownVersion) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(4, 4);
  expect_error(b.span(), StatusCode::kUnsupported, {"version at byte 4", "version 4 is not supported"});
  b.patch<uint32_t>(4, 0);
  expect_error(b.span(), StatusCode::kUnsupported, {"version 0 is not supported"});
}

TEST(GgufMalformed, BigEndianFile) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(4, 0x03000000u);
  expect_error(b.span(), StatusCode::kUnsupported, {"version at byte 4", "big-endian"});
}

TEST(GgufMalformed, TruncatedHeader) {
  GgufBytes b = make_valid();
  expect_error(prefix(b, 0), StatusCode::kCorrupt, {"magic at byte 0", "truncated"});
  expect_error(prefix(b, 3), StatusCode::kCorrupt, {"magic at byte 0", "truncated"});
  expect_error(prefix(b, 6), StatusCode::kCorrupt, {"version at byte 4", "truncated: needs 4 bytes, the file has 2"});
  expect_error(prefix(b, 15), StatusCode::kCorrupt, {"tensor_count at byte 8", "truncated"});
  expect_error(prefix(b, 23), StatusCode::kCorrupt, {"kv_count at byte 16", "truncated"});
}

TEST(GgufMalformed, HugeKvCount) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(16, kHuge);
  expect_error(b.span(), StatusCode::kCorrupt, {"kv_count at byte 16", "9223372036854775808 key-value pairs cannot fit"});
}

TEST(GgufMalformed, HugeTensorCount) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(8, kHuge);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor_count at byte 8", "tensor infos cannot fit"});
  b.patch<uint64_t>(8, ~0ull);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor_count at byte 8"});
}

TEST(GgufMalformed, HugeKeyLength) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("kv0.key"), kHuge);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 0 name " + at(b, "kv0.key"), "string length 9223372036854775808 exceeds"});
}

TEST(GgufMalformed, HugeStringValueLength) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("kv0.value"), ~0ull);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 0 ('general.architecture') value " + at(b, "kv0.value"), "string length 18446744073709551615"});
}

TEST(GgufMalformed, StringLengthOneMoreThanTheFile) {
  GgufBytes b = make_valid();
  uint64_t left = b.buf.size() - b.at("kv6.key") - 8;
  b.patch<uint64_t>(b.at("kv6.key"), left + 1);
  expect_error(b.span(), StatusCode::kCorrupt, {"key 6 name " + at(b, "kv6.key"), "exceeds the"});
  b.patch<uint64_t>(b.at("kv6.key"), left);  // fits, then the file ends before the type
  expect_error(b.span(), StatusCode::kCorrupt, {"type at byte " + std::to_string(b.buf.size()), "truncated"});
}

TEST(GgufMalformed, HugeArrayCount) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("kv3.count"), kHuge);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 3 ('test.list') array count " + at(b, "kv3.count"), "9223372036854775808 elements of type i32"});
}

TEST(GgufMalformed, ArrayCountJustPastTheEnd) {
  GgufBytes b = make_valid();
  uint64_t fits = (b.buf.size() - b.at("kv3.elems")) / 4;
  b.patch<uint64_t>(b.at("kv3.count"), fits + 1);
  expect_error(b.span(), StatusCode::kCorrupt, {"array count " + at(b, "kv3.count"), "need at least 4 bytes each"});
}

TEST(GgufMalformed, HugeNestedArrayCount) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("kv4.inner0.count"), kHuge + 5);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 4 ('test.nested') array count " + at(b, "kv4.inner0.count"), "elements of type u16"});
}

TEST(GgufMalformed, UnknownValueType) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("kv2.type"), 13);
  expect_error(b.span(), StatusCode::kUnsupported,
               {"key 2 ('test.flag') type " + at(b, "kv2.type"), "unknown value type 13"});
  b.patch<uint32_t>(b.at("kv2.type"), 0xffffffffu);
  expect_error(b.span(), StatusCode::kUnsupported, {"unknown value type 4294967295"});
}

TEST(GgufMalformed, ArrayOfUnknownType) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("kv3.value"), 13);
  expect_error(b.span(), StatusCode::kUnsupported,
               {"key 3 ('test.list') array element type " + at(b, "kv3.value"), "unknown value type 13"});
}

TEST(GgufMalformed, NestedArrayOfUnknownType) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("kv4.inner0"), 99);
  expect_error(b.span(), StatusCode::kUnsupported,
               {"key 4 ('test.nested') array element type " + at(b, "kv4.inner0"), "unknown value type 99"});
}

TEST(GgufMalformed, ArraysNestedTooDeep) {
  // The valid depth-limit file of the reader test plus one more level of nesting.
  GgufBytes b;
  b.header(3, 0, 1);
  b.key("deep", kTArray);
  for (int d = 1; d <= kGgufMaxArrayDepth; ++d) b.u32(kTArray), b.u64(1);
  b.mark("innermost");
  b.u32(kTI8), b.u64(1), b.put<int8_t>(42);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 0 ('deep') array " + at(b, "innermost"), "nested deeper than 8 levels"});
}

TEST(GgufMalformed, EndlesslyNestedArraysDoNotRecurseForever) {
  GgufBytes b;
  b.header(3, 0, 1);
  b.key("deep", kTArray);
  for (int d = 0; d < 100000; ++d) b.u32(kTArray), b.u64(1);
  expect_error(b.span(), StatusCode::kCorrupt, {"nested deeper than 8 levels"});
}

TEST(GgufMalformed, BoolNeitherZeroNorOne) {
  GgufBytes b = make_valid();
  b.patch<uint8_t>(b.at("kv2.value"), 2);
  expect_error(b.span(), StatusCode::kCorrupt, {"key 2 ('test.flag') value " + at(b, "kv2.value"), "bool value 2"});
}

TEST(GgufMalformed, DuplicateKey) {
  GgufBytes b = make_valid();
  std::memcpy(b.buf.data() + b.at("kv6.key") + 8, "test.keyA", 9);
  expect_error(b.span(), StatusCode::kCorrupt, {"key 6 ('test.keyA') name " + at(b, "kv6.key"), "duplicate key"});
}

TEST(GgufMalformed, AlignmentNotAPowerOfTwo) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("kv1.value"), 48);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"key 1 ('general.alignment') value " + at(b, "kv1.value"), "alignment 48 is not a non-zero power of two"});
  b.patch<uint32_t>(b.at("kv1.value"), 0);
  expect_error(b.span(), StatusCode::kCorrupt, {"alignment 0 is not"});
}

TEST(GgufMalformed, AlignmentOfTheWrongType) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("kv1.type"), kTI32);  // same size, so the file stays well-formed otherwise
  expect_error(b.span(), StatusCode::kCorrupt, {"general.alignment') value " + at(b, "kv1.value"), "must be a u32, not i32"});
}

TEST(GgufMalformed, TooManyDims) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("t0.ndims"), 5);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 0 ('w.a') n_dims " + at(b, "t0.ndims"), "5 dimensions (must be 1 to 4)"});
}

TEST(GgufMalformed, ZeroNDims) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("t2.ndims"), 0);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 2 ('w.c') n_dims " + at(b, "t2.ndims"), "0 dimensions"});
}

TEST(GgufMalformed, ZeroDim) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t1.dim1"), 0);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 1 ('w.b') dim 1 " + at(b, "t1.dim1"), "dimension is 0"});
}

TEST(GgufMalformed, ElementCountOverflow) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t0.dim0"), 1ull << 40);
  b.patch<uint64_t>(b.at("t0.dim1"), 1ull << 40);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 0 ('w.a') dim 1 " + at(b, "t0.dim1"), "element count overflow"});
}

TEST(GgufMalformed, DimensionAboveInt64) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t2.dim0"), kHuge);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 2 ('w.c') dim 0 " + at(b, "t2.dim0"), "overflow"});
}

TEST(GgufMalformed, ByteSizeOverflow) {
  // 2^62 F32 elements fit the element count but not a 64-bit byte size.
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t0.dim0"), 1ull << 31);
  b.patch<uint64_t>(b.at("t0.dim1"), 1ull << 31);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 0 ('w.a') dims " + at(b, "t0.dim0"), "byte size overflows"});
}

TEST(GgufMalformed, DimNotAMultipleOfTheBlockSize) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t1.dim0"), 33);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"tensor 1 ('w.b') dim 0 " + at(b, "t1.dim0"), "innermost dimension 33 is not a multiple of the Q8_0 block size 32"});
}

TEST(GgufMalformed, UnknownTensorType) {
  GgufBytes b = make_valid();
  b.patch<uint32_t>(b.at("t2.type"), 4);  // Q4_2, removed from the format long ago
  expect_error(b.span(), StatusCode::kUnsupported, {"tensor 2 ('w.c') type " + at(b, "t2.type"), "unknown tensor type 4"});
  b.patch<uint32_t>(b.at("t2.type"), 1000);
  expect_error(b.span(), StatusCode::kUnsupported, {"unknown tensor type 1000"});
}

TEST(GgufMalformed, DuplicateTensorName) {
  GgufBytes b = make_valid();
  std::memcpy(b.buf.data() + b.at("t2.name") + 8, "w.a", 3);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 2 ('w.a') name " + at(b, "t2.name"), "duplicate tensor name"});
}

TEST(GgufMalformed, MisalignedTensorOffset) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t1.offset"), 33);
  expect_error(b.span(), StatusCode::kCorrupt,
               {"tensor 1 ('w.b') offset " + at(b, "t1.offset"), "offset 33 is not a multiple of the alignment 32"});
}

TEST(GgufMalformed, TensorOffsetPastTheEnd) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t2.offset"), 1ull << 40);
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 2 ('w.c') offset " + at(b, "t2.offset"), "runs past the end"});
  b.patch<uint64_t>(b.at("t2.offset"), 0xffffffffffffffe0ull);  // aligned, and offset + bytes would wrap
  expect_error(b.span(), StatusCode::kCorrupt, {"runs past the end"});
}

TEST(GgufMalformed, TensorDataRunsPastTheEnd) {
  GgufBytes b = make_valid();
  size_t cut = b.at("data_end") - 1;  // last tensor loses its last byte
  expect_error(prefix(b, cut), StatusCode::kCorrupt,
               {"tensor 2 ('w.c') offset " + at(b, "t2.offset"), "data [128, +6) runs past the end of the data section (133 bytes)"});
}

TEST(GgufMalformed, OverlappingTensors) {
  GgufBytes b = make_valid();
  b.patch<uint64_t>(b.at("t2.offset"), 96);  // 'w.b' covers [32, 100)
  expect_error(b.span(), StatusCode::kCorrupt, {"tensor 2 ('w.c') offset " + at(b, "t2.offset"), "overlaps tensor 'w.b'"});
  b.patch<uint64_t>(b.at("t2.offset"), 128);
  b.patch<uint64_t>(b.at("t1.offset"), 0);  // same start as 'w.a'
  expect_error(b.span(), StatusCode::kCorrupt, {"overlaps tensor"});
}

TEST(GgufMalformed, TruncatedInEachSection) {
  GgufBytes b = make_valid();
  struct Cut {
    std::string mark;
    size_t plus;
    std::string field;
  };
  const std::vector<Cut> cuts = {
      // Cuts in the first KV pairs fail the up-front kv_count check (13 bytes per pair at
      // least); later cuts reach the field itself.
      {"kv0.key", 4, "kv_count at byte 16"},
      {"kv0.value", 9, "kv_count at byte 16"},
      {"kv5.key", 4, "key 5 name"},
      {"kv5.key", 10, "key 5 name"},  // inside the key bytes: the length runs past the end
      {"kv5.type", 2, "key 5 ('test.keyA') type"},
      {"kv5.value", 0, "key 5 ('test.keyA') value"},
      {"kv6.value", 9, "key 6 ('test.keyB') value"},
      {"kv3.value", 2, "key 3 ('test.list') array element type"},
      {"kv3.count", 7, "key 3 ('test.list') array count"},
      {"kv3.elems", 5, "key 3 ('test.list') array count"},  // elements cut: the count no longer fits
      {"kv4.inner0.count", 8, "key 4 ('test.nested') array count"},
      // Cuts early in the tensor table fail the up-front tensor_count check (32 bytes per
      // tensor at least); cuts in the last tensor info reach its fields.
      {"t0.name", 5, "tensor_count at byte 8"},
      {"t2.ndims", 1, "tensor 2 ('w.c') n_dims"},
      {"t2.dim0", 4, "tensor 2 ('w.c') dim 0"},
      {"t2.type", 3, "tensor 2 ('w.c') type"},
      {"t2.offset", 7, "tensor 2 ('w.c') offset"},
  };
  for (const Cut& c : cuts) {
    SCOPED_TRACE(c.mark + "+" + std::to_string(c.plus));
    size_t n = b.at(c.mark) + c.plus;
    Result<GgufFile> f = GgufFile::parse(prefix(b, n));
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), StatusCode::kCorrupt) << f.status().to_string();
    EXPECT_NE(f.status().message().find(c.field), std::string::npos) << f.status().message();
    EXPECT_TRUE(f.status().message().find("truncated") != std::string::npos ||
                f.status().message().find("exceeds") != std::string::npos ||
                f.status().message().find("need at least") != std::string::npos ||
                f.status().message().find("cannot fit") != std::string::npos)
        << f.status().message();
  }
  // The data section must start inside the file when there are tensors.
  expect_error(prefix(b, b.at("infos_end") + 1), StatusCode::kCorrupt, {"data section", "past the end"});
  expect_error(prefix(b, b.at("data") + 10), StatusCode::kCorrupt, {"tensor 0 ('w.a') offset", "runs past the end"});
}

// Every prefix of the file that cuts into its header or tensor data is an error (never a
// crash); prefixes that only drop trailing padding after the last tensor are still valid.
TEST(GgufMalformed, TruncatedAtEveryByte) {
  GgufBytes b = make_valid();
  for (size_t n = 0; n < b.buf.size(); ++n) {
    Result<GgufFile> f = GgufFile::parse(prefix(b, n));
    if (n < b.at("data_end")) {
      ASSERT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
      ASSERT_EQ(f.status().code(), StatusCode::kCorrupt) << n << ": " << f.status().to_string();
    } else {
      ASSERT_TRUE(f.ok()) << n << ": " << f.status().to_string();
    }
  }
}

// Every single-byte change of the header and tensor table either parses or fails cleanly.
TEST(GgufMalformed, EveryByteFlipped) {
  GgufBytes b = make_valid();
  for (size_t i = 0; i < b.at("data"); ++i) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      GgufBytes m = b;
      m.buf[i] ^= std::byte{x};
      Result<GgufFile> f = GgufFile::parse(m.span());
      if (!f.ok()) {
        ASSERT_TRUE(f.status().code() == StatusCode::kCorrupt || f.status().code() == StatusCode::kUnsupported)
            << f.status().to_string();
      }
    }
  }
}

}  // namespace
}  // namespace corral
