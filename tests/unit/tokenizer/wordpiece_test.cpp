// WordPiece: BERT basic tokenization rules (from the BERT paper's reference tokenizer) and
// greedy longest-match-first on tiny vocabularies in both conventions.
#include <gtest/gtest.h>

#include "tokenizer/wordpiece.h"
#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

const std::string kMark = "\xE2\x96\x81";  // ▁

std::unique_ptr<WordPieceTokenizer> tiny_wordpiece(std::vector<std::string> tokens) {
  Vocabulary v = test::make_vocab(VocabModel::kWordPiece, std::move(tokens));
  v.types[0] = TokenType::kUnknown;
  v.unk = 0;
  return WordPieceTokenizer::create(std::move(v));
}

using Words = std::vector<std::string>;

TEST(WordPieceTest, BasicTokenizationOfAnUncasedVocab) {
  auto tok = tiny_wordpiece({"[UNK]", kMark + "hello"});
  ASSERT_TRUE(tok->lowercases());
  EXPECT_EQ(tok->basic_tokenize("Hello, World!"), (Words{"hello", ",", "world", "!"}));
  EXPECT_EQ(tok->basic_tokenize("  Caf\xC3\xA9  na\xC3\xAFve\tSTRA\xC3\x9F" "E "),
            (Words{"cafe", "naive", "stra\xC3\x9F" "e"}));  // ß has no decomposition
  EXPECT_EQ(tok->basic_tokenize("\xE6\x88\x91\xE6\x83\xB3" "apple"),  // 我想apple
            (Words{"\xE6\x88\x91", "\xE6\x83\xB3", "apple"}));
  EXPECT_EQ(tok->basic_tokenize("a\x01" "b\xE2\x80\x8B" "c"), (Words{"abc"}));  // Cc, Cf dropped
  EXPECT_EQ(tok->basic_tokenize("x$y"), (Words{"x", "$", "y"}));  // ASCII symbols split too
  EXPECT_EQ(tok->basic_tokenize("\xC3\x85ngstr\xC3\xB6m"), (Words{"angstrom"}));
  EXPECT_EQ(tok->basic_tokenize("\xE2\x80\x9Cq\xE2\x80\x9D"), (Words{"\xE2\x80\x9C", "q", "\xE2\x80\x9D"}));
}

TEST(WordPieceTest, CasedVocabKeepsCaseAndAccents) {
  auto tok = tiny_wordpiece({"[UNK]", kMark + "Hello"});
  EXPECT_FALSE(tok->lowercases());
  EXPECT_EQ(tok->basic_tokenize("Hello Caf\xC3\xA9"), (Words{"Hello", "Caf\xC3\xA9"}));
}

TEST(WordPieceTest, GreedyLongestMatchFirstWithWordMarks) {
  // GGUF convention: word starts carry ▁, continuations are bare.
  auto tok = tiny_wordpiece({"[UNK]", kMark + "un", kMark + "unaff", "aff", "able", "ab", "le",
                             kMark + "a"});
  auto ids = tok->encode("unaffable", false, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{2, 4}));  // ▁unaff + able (longest first)
  EXPECT_EQ(tok->decode(ids), "unaffable");
  // A word with an uncovered remainder becomes a single [UNK].
  EXPECT_EQ(tok->encode("unaffxyz a", false, false), (std::vector<int32_t>{0, 7}));
  // Continuation pieces never match at a word start.
  EXPECT_EQ(tok->encode("able", false, false), (std::vector<int32_t>{0}));
}

TEST(WordPieceTest, HashContinuationConvention) {
  auto tok = tiny_wordpiece({"[UNK]", "un", "##aff", "##able", "unaff", "a"});
  EXPECT_EQ(tok->encode("unaffable", false, false), (std::vector<int32_t>{4, 3}));
  EXPECT_EQ(tok->decode(tok->encode("unaffable a", false, false)), "unaffable a");
  EXPECT_EQ(tok->encode("affable", false, false), (std::vector<int32_t>{0}));
}

TEST(WordPieceTest, OverlongWordsAreUnknown) {
  auto tok = tiny_wordpiece({"[UNK]", kMark + "a", "a"});
  EXPECT_EQ(tok->encode(std::string(100, 'a'), false, false).size(), 100u);
  EXPECT_EQ(tok->encode(std::string(101, 'a'), false, false), (std::vector<int32_t>{0}));
}

}  // namespace
}  // namespace corral

namespace corral {
namespace {

// BGE (uncased BERT) on the varied multilingual texts: ids from HF's BertNormalizer +
// BertPreTokenizer + WordPiece (tools/make_tokenizer_goldens.py wordpiece), which exercises
// lowercasing, accent stripping (NFD) and punctuation/CJK splitting across many scripts.
TEST(WordPieceTest, MultilingualTextsMatchHuggingFaceIds) {
  const nlohmann::json golden = test::load_json(test::golden_path("wordpiece_ids.json"));
  const auto texts = golden.at("texts").get<std::vector<std::string>>();
  const auto& expected = golden.at("vocabs").at("bert-bge");
  auto tok = test::load_tokenizer("bert-bge");
  ASSERT_NE(tok, nullptr);
  ASSERT_EQ(expected.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(tok->encode(texts[i], false, false), expected[i].get<std::vector<int32_t>>())
        << "text #" << i;
  }
}

}  // namespace
}  // namespace corral
