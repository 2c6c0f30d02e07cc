// SentencePiece model parsing: the golden tokenizer.model (pieces checked through the
// conversion golden) and malformed inputs, which must fail cleanly.
#include <gtest/gtest.h>

#include "convert/spm_model.h"
#include "test_util.h"

namespace corral::convert {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(SpmModel, ParsesGoldenModel) {
  auto file = MappedFile::open(testing::golden_dir() + "/llama_spm/tokenizer.model");
  ASSERT_TRUE(file.ok());
  auto m = parse_spm_model(file->bytes());
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_GT(m->pieces.size(), 259u);
  EXPECT_EQ(m->pieces[0].piece, "<unk>");
  EXPECT_EQ(m->pieces[0].type, SpmPieceType::kUnknown);
  EXPECT_EQ(m->pieces[1].type, SpmPieceType::kControl);
  EXPECT_EQ(m->pieces[3].piece, "<0x00>");
  EXPECT_EQ(m->pieces[3].type, SpmPieceType::kByte);
  EXPECT_EQ(m->model_type, 2);  // bpe
  EXPECT_TRUE(m->byte_fallback);
  EXPECT_EQ(m->bos_id, 1);
  EXPECT_EQ(m->eos_id, 2);
}

TEST(SpmModel, MalformedInputsFailCleanly) {
  const std::vector<std::vector<std::byte>> cases = {
      {},                                              // no pieces
      bytes_of({0x0a}),                                // truncated length
      bytes_of({0x0a, 0x05, 0x0a, 0x01}),              // message past the end
      bytes_of({0x0a, 0x02, 0x0a, 0x09}),              // piece string past the end
      bytes_of({0x0a, 0x03, 0x18, 0x09, 0x00}),        // piece type out of range
      bytes_of({0x0b}),                                // wire type 3 (groups) unsupported
      bytes_of({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),  // varint too long
      bytes_of({0x0a, 0x02, 0x15, 0x00}),              // truncated float score
      bytes_of({0x00, 0x00}),                          // field number 0
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto m = parse_spm_model(cases[i]);
    ASSERT_FALSE(m.ok()) << "case " << i;
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << "case " << i;
  }
}

TEST(SpmModel, TruncationsOfGoldenNeverCrash) {
  auto file = MappedFile::open(testing::golden_dir() + "/llama_spm/tokenizer.model");
  ASSERT_TRUE(file.ok());
  const auto b = file->bytes();
  for (size_t n = 0; n < b.size(); n += 97) {
    auto m = parse_spm_model(b.subspan(0, n));
    (void)m;  // success or a clean error; ASan/UBSan catch the rest
  }
}

}  // namespace
}  // namespace corral::convert
