// Malformed safetensors files and sharded indexes, generated here: each must fail with a
// specific error that names the tensor (or file) and the reason, and never crash.
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "formats/hf_checkpoint.h"
#include "formats/safetensors.h"
#include "util/file.h"

namespace corral {
namespace {

// 8-byte little-endian header length, the header text, then `data_bytes` bytes of data.
std::vector<std::byte> make_file(const std::string& header, size_t data_bytes, uint64_t len_override = 0) {
  uint64_t len = len_override ? len_override : header.size();
  std::vector<std::byte> out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = std::byte((len >> (8 * i)) & 0xff);
  for (char c : header) out.push_back(std::byte(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(std::byte(i & 0xff));
  return out;
}

Status parse_status(const std::string& header, size_t data_bytes, uint64_t len_override = 0) {
  std::vector<std::byte> bytes = make_file(header, data_bytes, len_override);
  Result<SafetensorsFile> r = SafetensorsFile::parse(bytes);
  return r.ok() ? ok_status() : r.status();
}

void expect_error(const Status& st, StatusCode code, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), code) << st.to_string();
  for (const char* p : parts) EXPECT_NE(st.message().find(p), std::string::npos) << st.message() << " lacks: " << p;
}

TEST(SafetensorsValid, ParsesTensorsAndMetadata) {
  std::vector<std::byte> bytes = make_file(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"z":{"dtype":"BOOL","shape":[0],"data_offsets":[20,20]}})",
      20);
  Result<SafetensorsFile> f = SafetensorsFile::parse(bytes);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->tensors()[0].name, "a");
  EXPECT_EQ(f->tensors()[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(f->tensors()[1].dtype, HfDType::kF16);
  EXPECT_EQ(f->tensors()[1].data.data(), bytes.data() + f->header().data_offset + 16);
  EXPECT_EQ(f->tensors()[2].data.size(), 0u);
  ASSERT_EQ(f->header().metadata.size(), 1u);
  EXPECT_EQ(f->header().metadata[0].second, "pt");
  EXPECT_TRUE(SafetensorsFile::parse(make_file("{}", 0)).ok());
}

TEST(SafetensorsMalformed, HeaderLengthOverLimit) {
  expect_error(parse_status("{}", 0, 100'000'001), StatusCode::kCorrupt, {"over the limit"});
}

TEST(SafetensorsMalformed, HeaderLengthPastEndOfFile) {
  expect_error(parse_status("{}", 10, 1000), StatusCode::kCorrupt, {"past the end of the file"});
  std::vector<std::byte> tiny(5);
  Result<SafetensorsFile> r = SafetensorsFile::parse(tiny);
  expect_error(r.status(), StatusCode::kCorrupt, {"too short"});
}

TEST(SafetensorsMalformed, BadJson) {
  expect_error(parse_status(R"({"a": {"dtype": )", 0), StatusCode::kCorrupt, {"not valid JSON"});
}

TEST(SafetensorsMalformed, NonObjectJson) {
  expect_error(parse_status("[1, 2, 3]", 0), StatusCode::kCorrupt, {"array", "not an object"});
}

TEST(SafetensorsMalformed, DeeplyNestedJsonDoesNotOverflowTheStack) {
  const size_t depth = 200'000;  // far deeper than a recursive parser's stack allows
  expect_error(parse_status(std::string(depth, '[') + std::string(depth, ']'), 0), StatusCode::kCorrupt,
               {"not an object"});
  expect_error(parse_status(R"({"w":)" + std::string(depth, '[') + std::string(depth, ']') + "}", 0),
               StatusCode::kCorrupt, {"tensor 'w'", "not a JSON object"});
}

TEST(SafetensorsMalformed, UnknownDtype) {
  expect_error(parse_status(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "unknown dtype 'F128'"});
}

TEST(SafetensorsMalformed, ShapeAndByteRangeMismatch) {
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "hold 8 bytes", "needs 16"});
}

TEST(SafetensorsMalformed, OffsetsPastData) {
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
               StatusCode::kCorrupt, {"tensor 'w'", "past the data section"});
}

TEST(SafetensorsMalformed, OverlappingRanges) {
  expect_error(parse_status(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", 24),
               StatusCode::kCorrupt, {"tensor 'b'", "overlap tensor 'a'"});
}

TEST(SafetensorsMalformed, NegativeDimension) {
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "negative dimension -1"});
}

TEST(SafetensorsMalformed, ElementCountOverflow) {
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "overflows"});
  // The element count fits in 64 bits but the byte count does not.
  expect_error(parse_status(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,16]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "overflows"});
}

TEST(SafetensorsMalformed, EndBeforeBegin) {
  expect_error(parse_status(R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}})", 16),
               StatusCode::kCorrupt, {"tensor 'w'", "end before begin"});
}

TEST(SafetensorsMalformed, MissingOrMistypedFields) {
  expect_error(parse_status(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4), StatusCode::kCorrupt,
               {"tensor 'w'", "'dtype'"});
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
               StatusCode::kCorrupt, {"tensor 'w'", "not a dimension"});
  expect_error(parse_status(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
               StatusCode::kCorrupt, {"tensor 'w'", "data_offsets"});
  expect_error(parse_status(R"({"w":[1,2]})", 4), StatusCode::kCorrupt, {"tensor 'w'", "not a JSON object"});
  expect_error(parse_status(R"({"__metadata__":{"k":1}})", 0), StatusCode::kCorrupt, {"'k'", "not a string"});
}

// A temporary folder with files written by the test; removed at the end.
class ShardDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("corral_st_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(write_file_atomic((dir_ / name).string(), text).ok());
  }
  // A shard holding F32 tensors of shape [2] named `tensors`.
  void write_shard(const std::string& name, std::initializer_list<std::string> tensors) {
    std::string header = "{";
    size_t at = 0;
    for (const std::string& t : tensors) {
      if (at) header += ",";
      header += "\"" + t + R"(":{"dtype":"F32","shape":[2],"data_offsets":[)" + std::to_string(at) +
                "," + std::to_string(at + 8) + "]}";
      at += 8;
    }
    std::vector<std::byte> b = make_file(header + "}", at);
    ASSERT_TRUE(write_file_atomic((dir_ / name).string(), b).ok());
  }
  Status open_status() {
    Result<HfCheckpoint> r = HfCheckpoint::open_directory(dir_.string());
    return r.ok() ? ok_status() : r.status();
  }
  std::filesystem::path dir_;
};

TEST_F(ShardDir, ValidIndexJoinsShards) {
  write_shard("model-1.safetensors", {"a"});
  write_shard("model-2.safetensors", {"b"});
  write("model.safetensors.index.json",
        R"({"metadata":{},"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}})");
  Result<HfCheckpoint> r = HfCheckpoint::open_directory(dir_.string());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->tensors().size(), 2u);
  EXPECT_EQ(r->tensors()[0].name, "a");
  EXPECT_EQ(r->tensors()[1].name, "b");
}

TEST_F(ShardDir, IndexNamingParentPathIsRefused) {
  write_shard("x.safetensors", {"a"});
  write("model.safetensors.index.json", R"({"weight_map":{"a":"../x.safetensors"}})");
  expect_error(open_status(), StatusCode::kCorrupt, {"tensor 'a'", "'../x.safetensors'", "not a plain file name"});
  write("model.safetensors.index.json", R"({"weight_map":{"a":"/etc/passwd"}})");
  expect_error(open_status(), StatusCode::kCorrupt, {"not a plain file name"});
}

TEST_F(ShardDir, MissingShard) {
  write("model.safetensors.index.json", R"({"weight_map":{"a":"model-1.safetensors"}})");
  expect_error(open_status(), StatusCode::kNotFound, {"'model-1.safetensors'", "does not exist"});
}

TEST_F(ShardDir, IndexPutsTensorInWrongShard) {
  write_shard("model-1.safetensors", {"a"});
  write("model.safetensors.index.json", R"({"weight_map":{"b":"model-1.safetensors"}})");
  expect_error(open_status(), StatusCode::kCorrupt, {"tensor 'b'", "does not hold it"});
}

TEST_F(ShardDir, TensorInTwoShards) {
  write_shard("model-1.safetensors", {"a"});
  write_shard("model-2.safetensors", {"a", "b"});
  write("model.safetensors.index.json",
        R"({"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}})");
  expect_error(open_status(), StatusCode::kCorrupt, {"tensor 'a'", "appears in both"});
}

TEST_F(ShardDir, IndexWithoutWeightMapOrBadJson) {
  write("model.safetensors.index.json", R"({"metadata":{}})");
  expect_error(open_status(), StatusCode::kCorrupt, {"no 'weight_map'"});
  write("model.safetensors.index.json", R"({"weight_map":)");
  expect_error(open_status(), StatusCode::kCorrupt, {"not valid JSON"});
}

TEST_F(ShardDir, NoWeightsAtAll) {
  write("config.json", "{}");
  expect_error(open_status(), StatusCode::kNotFound, {"no model weights"});
}

TEST_F(ShardDir, CorruptShardNamesTheFile) {
  write("model.safetensors", "garbage that is not a safetensors file");
  Status st = open_status();
  expect_error(st, StatusCode::kCorrupt, {"model.safetensors", "header length"});
}

}  // namespace
}  // namespace corral
