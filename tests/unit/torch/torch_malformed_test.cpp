// torch.save-style archives built with libzip around hand-written pickles: missing entries,
// storages too small, out-of-bounds views, compression, byte order, cycles. Each fails with a
// specific error naming the tensor or entry.
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

#include "formats/torch.h"
#include "unit/torch/pickle_builder.h"
#include "util/file.h"

namespace corral {
namespace {

using testing::PickleBuilder;
using testing::make_torch_zip;

std::string scratch() { return "/tmp/corral_torch_test_" + std::to_string(::getpid()) + ".zip"; }

// {"w": tensor(type, key, numel, offset, size, stride)}
std::string one_tensor_pickle(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                              const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
  PickleBuilder b;
  b.proto(2).ordered_dict().str("w").tensor(type, key, numel, offset, size, stride).op('s').stop();
  return b.bytes();
}

Result<TorchCheckpoint> parse(const std::string& zip) {
  return TorchCheckpoint::parse({reinterpret_cast<const std::byte*>(zip.data()), zip.size()});
}

void expect_error(const Status& st, StatusCode code, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), code) << st.to_string();
  for (const char* p : parts) EXPECT_NE(st.message().find(p), std::string::npos) << st.message() << " lacks: " << p;
}

TEST(TorchArchive, HandBuiltArchiveReads) {
  std::string data(24, '\0');
  for (int i = 0; i < 24; ++i) data[static_cast<size_t>(i)] = static_cast<char>(i);
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "0", 6, 2, {2, 2}, {2, 1}), {{"0", data}}, scratch());
  ASSERT_FALSE(zip.empty());
  Result<TorchCheckpoint> r = parse(zip);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->tensors().size(), 1u);
  const HfTensor& t = r->tensors()[0];
  EXPECT_EQ(t.name, "w");
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  ASSERT_EQ(t.data.size(), 16u);
  EXPECT_EQ(std::to_integer<int>(t.data[0]), 8) << "storage offset 2 floats = 8 bytes";
}

TEST(TorchMalformed, StorageKeyMissingFromZip) {
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "7", 4, 0, {4}, {1}), {{"0", std::string(16, 'a')}}, scratch());
  expect_error(parse(zip).status(), StatusCode::kCorrupt, {"tensor 'w'", "storage '7' is missing", "archive/data/7"});
}

TEST(TorchMalformed, StorageLargerThanItsEntry) {
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "0", 100, 0, {4}, {1}), {{"0", std::string(16, 'a')}}, scratch());
  expect_error(parse(zip).status(), StatusCode::kCorrupt, {"tensor 'w'", "100 elements of F32", "16 bytes"});
}

TEST(TorchMalformed, TensorOutOfStorageBounds) {
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "0", 4, 3, {4}, {1}), {{"0", std::string(16, 'a')}}, scratch());
  expect_error(parse(zip).status(), StatusCode::kCorrupt, {"tensor 'w'", "out of bounds of storage '0'"});
  std::string huge = make_torch_zip(
      one_tensor_pickle("FloatStorage", "0", 4, 0, {2147483647, 2147483647, 2147483647}, {1, 1, 1}),
      {{"0", std::string(16, 'a')}}, scratch());
  expect_error(parse(huge).status(), StatusCode::kUnsupported, {"tensor 'w'", "not contiguous"});
}

TEST(TorchMalformed, NonContiguousStride) {
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "0", 6, 0, {2, 3}, {1, 2}), {{"0", std::string(24, 'a')}}, scratch());
  expect_error(parse(zip).status(), StatusCode::kUnsupported, {"tensor 'w'", "[2, 3]", "[1, 2]", "not contiguous"});
}

TEST(TorchMalformed, ZipWithoutDataPkl) {
  std::string zip = testing::make_zip({{"archive/byteorder", "little"}, {"archive/data/0", "xxxx"}}, scratch());
  expect_error(parse(zip).status(), StatusCode::kCorrupt, {"no '<archive>/data.pkl'"});
}

TEST(TorchMalformed, CompressedStorage) {
  std::vector<testing::ZipFileSpec> files = {
      {"archive/data.pkl", one_tensor_pickle("FloatStorage", "0", 4, 0, {4}, {1})},
      {"archive/data/0", std::string(16, 'a'), true}};
  expect_error(parse(testing::make_zip(files, scratch())).status(), StatusCode::kUnsupported,
               {"'archive/data/0'", "compressed"});
}

TEST(TorchMalformed, BigEndianArchive) {
  std::string zip = make_torch_zip(one_tensor_pickle("FloatStorage", "0", 4, 0, {4}, {1}), {{"0", std::string(16, 'a')}}, scratch(), "big");
  expect_error(parse(zip).status(), StatusCode::kUnsupported, {"byte order is 'big'"});
}

TEST(TorchMalformed, ForbiddenGlobalInsideArchive) {
  PickleBuilder b;
  b.proto(2).global("os", "system").mark().str("id").op('t').op('R').stop();
  expect_error(parse(make_torch_zip(b.bytes(), {}, scratch())).status(), StatusCode::kInvalidArgument,
               {"'os.system' is not allowed"});
}

TEST(TorchMalformed, DictThatContainsItself) {
  PickleBuilder b;  // d = {}; d["a"] = d
  b.proto(2).op('}').op('q').byte(0).str("a").op('h').byte(0).op('s').stop();
  expect_error(parse(make_torch_zip(b.bytes(), {}, scratch())).status(), StatusCode::kUnsupported,
               {"reached twice"});
}

TEST(TorchMalformed, SharedDictFanOutIsRefused) {
  // d0 = {}; d_i = {"k0": d_(i-1), ..., "k99": d_(i-1)} for i = 1..6: a naive walk of d6 would
  // visit 100^6 dicts within the depth limit.
  PickleBuilder b;
  b.proto(2).op('}').op('r').le(0, 4);
  for (uint32_t i = 1; i <= 6; ++i) {
    b.op('}').op('r').le(i, 4).mark();
    for (int k = 0; k < 100; ++k) b.str("k" + std::to_string(k)).op('j').le(i - 1, 4);
    b.op('u');
  }
  b.stop();
  expect_error(parse(make_torch_zip(b.bytes(), {}, scratch())).status(), StatusCode::kUnsupported,
               {"reached twice"});
}

TEST(TorchMalformed, DictsNestedTooDeep) {
  PickleBuilder b;  // {"k": {"k": {... 20 levels}}}
  b.proto(2);
  for (int i = 0; i < 20; ++i) b.op('}').str("k");
  b.op('}');
  for (int i = 0; i < 20; ++i) b.op('s');
  b.stop();
  expect_error(parse(make_torch_zip(b.bytes(), {}, scratch())).status(), StatusCode::kUnsupported,
               {"nested deeper"});
}

TEST(TorchMalformed, NotADictOfTensors) {
  PickleBuilder b;
  b.proto(2).op(']').stop();
  expect_error(parse(make_torch_zip(b.bytes(), {}, scratch())).status(), StatusCode::kUnsupported,
               {"not a dict"});
}

TEST(TorchMalformed, LegacyAndNonZipFiles) {
  expect_error(parse(std::string("\x80\x02\x8a\x0a", 4)).status(), StatusCode::kUnsupported, {"legacy"});
  expect_error(parse("hello world").status(), StatusCode::kCorrupt, {"not a torch.save zip"});
  expect_error(parse("PK\x03\x04 but nothing else").status(), StatusCode::kCorrupt, {"zip"});
}

TEST(TorchMalformed, TruncatedArchivesNeverCrash) {
  Result<std::string> bytes = read_file(std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf/mixed_p4.pt");
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    Result<TorchCheckpoint> r = parse(bytes->substr(0, n));
    EXPECT_FALSE(r.ok()) << "cut at " << n;
  }
}

}  // namespace
}  // namespace corral
