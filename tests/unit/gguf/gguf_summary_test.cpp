// `corral show FILE.gguf` summary and the --tensors listing of a GGUF.
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf.h"
#include "formats/tensor_listing.h"
#include "unit/gguf/gguf_bytes.h"

namespace corral {
namespace {

using namespace gguf_test;

GgufBytes small_model() {
  GgufBytes b;
  b.header(3, 3, 7);
  b.key("general.architecture", kTString), b.str("qwen2");
  b.key("qwen2.context_length", kTU32), b.u32(32768);
  b.key("qwen2.embedding_length", kTU32), b.u32(64);
  b.key("general.file_type", kTU32), b.u32(15);
  b.key("tokenizer.ggml.tokens", kTArray), b.u32(kTString), b.u64(10);
  for (int i = 0; i < 10; ++i) b.str("tok" + std::to_string(i));
  b.key("short", kTArray), b.u32(kTI32), b.u64(3), b.put<int32_t>(1), b.put<int32_t>(-2), b.put<int32_t>(3);
  b.key("tmpl", kTString), b.str("line1\n\"q\"\n" + std::string(300, 'x'));
  b.tensor_info("tok_embd", {256, 4}, 12 /*Q4_K*/, 0);    // [4, 256]: 4 blocks, 576 bytes
  b.tensor_info("norm", {64}, 0 /*F32*/, 576);            // 256 bytes
  b.tensor_info("small", {32, 2}, 8 /*Q8_0*/, 832);         // [2, 32]: 68 bytes
  b.pad(32);
  b.fill(576 + 256 + 68, 0);
  return b;
}

TEST(GgufSummary, ShowsTheModelFactsAndMetadata) {
  GgufBytes b = small_model();
  Result<GgufFile> f = GgufFile::parse(b.span());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  std::string s = gguf_summary(*f);
  auto has = [&](const std::string& part) {
    EXPECT_NE(s.find(part), std::string::npos) << "missing '" << part << "' in:\n" << s;
  };
  has("architecture        qwen2\n");
  has("parameters          1.15K (1152)\n");  // 1024 + 64 + 64
  has("context length      32768\n");
  has("embedding length    64\n");
  has("quantization        Q4_K_M (file type 15), weights mostly Q4_K\n");
  has("tensors             3\n");
  has("  general.architecture = \"qwen2\"\n");
  has("  tokenizer.ggml.tokens = [... 10 items]\n");
  has("  short = [1, -2, 3]\n");
  has("  tmpl = \"line1\\n\\\"q\\\"\\n" + std::string(150, 'x') + "\"... (310 bytes)\n");
}

TEST(GgufSummary, FileTypeNames) {
  EXPECT_EQ(gguf_file_type_name(0), "F32");
  EXPECT_EQ(gguf_file_type_name(1), "F16");
  EXPECT_EQ(gguf_file_type_name(3), "Q4_1");
  EXPECT_EQ(gguf_file_type_name(15), "Q4_K_M");
  EXPECT_EQ(gguf_file_type_name(32), "BF16");
  EXPECT_EQ(gguf_file_type_name(4), "");
}

TEST(GgufListing, ListsTensorsOuterFirstWithGgufDtypeNames) {
  GgufBytes b = small_model();
  std::string path = testing::TempDir() + "gguf_listing_test.gguf";
  ASSERT_TRUE(write_file_atomic(path, b.span()).ok());
  for (auto lister : {&list_gguf_tensors, &list_checkpoint_tensors}) {
    Result<CheckpointListing> l = lister(path);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    EXPECT_EQ(l->format, "gguf");
    ASSERT_EQ(l->tensors.size(), 3u);
    EXPECT_EQ(l->tensors[0].name, "tok_embd");
    EXPECT_EQ(l->tensors[0].shape, (std::vector<int64_t>{4, 256}));
    EXPECT_EQ(l->tensors[0].dtype, "Q4_K");
    EXPECT_EQ(l->tensors[0].bytes, 576u);
    EXPECT_EQ(l->tensors[2].dtype, "Q8_0");
    EXPECT_EQ(l->tensors[2].shape, (std::vector<int64_t>{2, 32}));
    EXPECT_EQ(l->parameters(), 1152u);
  }
  std::filesystem::remove(path);
  EXPECT_EQ(list_gguf_tensors(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corral
