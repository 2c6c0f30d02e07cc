// SentencePiece BPE: score-ordered merges, byte fallback, space prefix and ▁ escaping on tiny
// vocabularies (expected results follow from the algorithm's definition), and round trips on
// the real Llama 2 / Phi-3 vocabularies.
#include <gtest/gtest.h>

#include "tokenizer/sentencepiece.h"
#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

const std::string kMark = "\xE2\x96\x81";  // ▁

struct Piece {
  std::string text;
  float score;
  TokenType type = TokenType::kNormal;
};

std::unique_ptr<Tokenizer> tiny_spm(const std::vector<Piece>& pieces, bool space_prefix,
                                    bool with_bytes) {
  Vocabulary v;
  v.model = VocabModel::kSpm;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  v.add_space_prefix = space_prefix;
  if (with_bytes) {
    char name[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      add(name, 0, TokenType::kByte);
    }
  }
  for (const Piece& p : pieces) add(p.text, p.score, p.type);
  auto tok = make_tokenizer(std::move(v));
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  return std::move(tok).value();
}

std::vector<std::string> texts(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  for (int32_t id : ids) out.emplace_back(tok.token_text(id));
  return out;
}

TEST(SentencePieceTest, HighestScoreMergesFirst) {
  auto ab_wins = tiny_spm({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2}, {"bc", -3}}, false, false);
  EXPECT_EQ(texts(*ab_wins, ab_wins->encode("abc", false, false)),
            (std::vector<std::string>{"ab", "c"}));
  auto bc_wins = tiny_spm({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -3}, {"bc", -2}}, false, false);
  EXPECT_EQ(texts(*bc_wins, bc_wins->encode("abc", false, false)),
            (std::vector<std::string>{"a", "bc"}));
  // Equal scores: the leftmost pair merges first.
  auto tie = tiny_spm({{"a", -1}, {"aa", -2}}, false, false);
  EXPECT_EQ(texts(*tie, tie->encode("aaa", false, false)), (std::vector<std::string>{"aa", "a"}));
}

TEST(SentencePieceTest, SpacesBecomeMarksWithOnePrefixed) {
  auto tok = tiny_spm({{kMark, -1}, {"a", -1}, {"b", -1}, {kMark + "a", -2}, {kMark + "b", -2}},
                      true, false);
  EXPECT_EQ(texts(*tok, tok->encode("a b", false, false)),
            (std::vector<std::string>{kMark + "a", kMark + "b"}));
  EXPECT_EQ(texts(*tok, tok->encode(" a", false, false)),
            (std::vector<std::string>{kMark, kMark + "a"}));
  EXPECT_TRUE(tok->encode("", false, false).empty());
  EXPECT_EQ(tok->encode("", true, false), std::vector<int32_t>{1});  // just BOS
  EXPECT_EQ(tok->decode(tok->encode("a b", true, false)), "a b");
  EXPECT_EQ(tok->decode(tok->encode(" a", true, false)), " a");
}

TEST(SentencePieceTest, UncoveredCharactersFallBackToBytesOrUnknown) {
  // "é" is C3 A9 in UTF-8; "€" is E2 82 AC.
  auto bytes = tiny_spm({{"a", -1}}, false, true);
  EXPECT_EQ(texts(*bytes, bytes->encode("a\xC3\xA9", false, false)),
            (std::vector<std::string>{"a", "<0xC3>", "<0xA9>"}));
  EXPECT_EQ(bytes->decode(bytes->encode("\xE2\x82\xAC" "a", false, false)), "\xE2\x82\xAC" "a");
  auto unk = tiny_spm({{"a", -1}}, false, false);
  EXPECT_EQ(unk->encode("a\xC3\xA9" "a", false, false), (std::vector<int32_t>{3, 0, 3}));
}

TEST(SentencePieceTest, TextAfterASpecialTokenGetsTheSpacePrefix) {
  auto tok = tiny_spm({{kMark, -1}, {"a", -1}, {kMark + "a", -2}, {"<|x|>", 0, TokenType::kControl}},
                      true, false);
  const int32_t x = tok->find_token("<|x|>");
  const int32_t space_a = tok->find_token(kMark + "a");
  EXPECT_EQ(tok->encode("a<|x|>a", false, true), (std::vector<int32_t>{space_a, x, space_a}));
}

TEST(SentencePieceTest, RealVocabsRoundTrip) {
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  std::vector<std::string> inputs = golden.at("texts").get<std::vector<std::string>>();
  for (const auto& c : test::load_conformance("llama-spm")) inputs.push_back(c.input);
  for (const char* name : {"llama-spm", "phi-3"}) {
    SCOPED_TRACE(name);
    auto tok = test::load_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    EXPECT_EQ(tok->bos(), 1);
    for (const std::string& text : inputs) {
      const auto ids = tok->encode(text, true, false);
      ASSERT_FALSE(ids.empty());
      EXPECT_EQ(ids[0], 1);  // add_bos_token
      EXPECT_EQ(tok->decode(ids), text);
    }
  }
}

TEST(SentencePieceTest, LongTextsEncodedInChunksGiveTheSameIds) {
  auto whole = test::load_tokenizer("llama-spm");
  auto chunked = test::load_tokenizer("llama-spm");
  ASSERT_NE(whole, nullptr);
  ASSERT_NE(chunked, nullptr);
  static_cast<SpmTokenizer&>(*chunked).set_chunk_bytes(64);
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  std::string text;
  for (const auto& t : golden.at("texts")) text += t.get<std::string>() + " ";
  ASSERT_GT(text.size(), 1000u);
  EXPECT_EQ(chunked->encode(text, false, false), whole->encode(text, false, false));
  EXPECT_EQ(chunked->decode(chunked->encode(text, false, false)), text);
}

TEST(SentencePieceTest, LlamaByteFallbackForAnEmoji) {
  auto tok = test::load_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  // U+1F999 (🦙) is F0 9F A6 99 and has no piece in Llama 2's vocabulary: byte tokens
  // <0xXX> have id 3 + byte. "▁" is 29871.
  EXPECT_EQ(tok->encode("\xF0\x9F\xA6\x99", false, false),
            (std::vector<int32_t>{29871, 3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99}));
}

}  // namespace
}  // namespace corral
