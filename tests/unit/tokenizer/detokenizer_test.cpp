// Streaming detokenizer: multi-byte characters split across tokens are held until complete;
// ill-formed bytes become U+FFFD (Unicode's maximal-subpart rule); the stream equals decode().
#include <gtest/gtest.h>

#include "tokenizer/detokenizer.h"
#include "tokenizer/unicode.h"
#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

bool valid_utf8(const std::string& s) {
  size_t pos = 0;
  while (pos < s.size()) {
    uint32_t cp = 0;
    const size_t n = unicode::decode_utf8(s, pos, &cp);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

TEST(DetokenizerTest, HoldsAnEmojiSplitIntoByteTokens) {
  auto tok = test::load_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  // Llama 2: ▁ (29871) then the four byte tokens of U+1F999 (F0 9F A6 99), ids 3 + byte.
  Detokenizer detok(*tok);
  EXPECT_EQ(detok.push(29871), "");  // the leading space of the first piece is dropped
  EXPECT_EQ(detok.push(3 + 0xF0), "");
  EXPECT_EQ(detok.push(3 + 0x9F), "");
  EXPECT_EQ(detok.push(3 + 0xA6), "");
  EXPECT_EQ(detok.pending_bytes(), 3u);
  EXPECT_EQ(detok.push(3 + 0x99), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(detok.flush(), "");
}

TEST(DetokenizerTest, StreamsCjkAndEmojiThroughByteLevelTokens) {
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  const auto texts = golden.at("texts").get<std::vector<std::string>>();
  for (const char* name : {"llama-bpe", "qwen2", "gpt-2", "llama-spm", "phi-3"}) {
    SCOPED_TRACE(name);
    auto tok = test::load_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    int held = 0;
    for (const std::string& text : texts) {
      const auto ids = tok->encode(text, true, false);
      Detokenizer detok(*tok);
      std::string streamed;
      for (int32_t id : ids) {
        const std::string chunk = detok.push(id);
        EXPECT_TRUE(valid_utf8(chunk));
        if (detok.pending_bytes() > 0) ++held;
        streamed += chunk;
      }
      streamed += detok.flush();
      EXPECT_EQ(streamed, text);
      EXPECT_EQ(streamed, tok->decode(ids));
    }
    // The texts hold CJK and emoji that some token splits mid-character.
    EXPECT_GT(held, 0);
  }
}

TEST(DetokenizerTest, IllFormedBytesBecomeReplacementCharacters) {
  auto tok = test::load_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  const int32_t a = tok->find_token("a");
  ASSERT_GE(a, 0);
  const std::string fffd = "\xEF\xBF\xBD";
  {
    Detokenizer detok(*tok);
    EXPECT_EQ(detok.push(3 + 0xE2), "");  // could start "€"
    EXPECT_EQ(detok.push(3 + 0x82), "");
    EXPECT_EQ(detok.push(a), fffd + "a");  // E2 82 then 'a': one U+FFFD for the maximal subpart
  }
  {
    Detokenizer detok(*tok);
    EXPECT_EQ(detok.push(3 + 0xFF), fffd);  // never valid: replaced at once
    EXPECT_EQ(detok.push(3 + 0xC0), fffd);  // C0 (overlong lead) is never valid either
    EXPECT_EQ(detok.push(3 + 0xF0), "");
    EXPECT_EQ(detok.flush(), fffd);  // a truncated character at the end
    EXPECT_EQ(detok.push(a), "a");   // flush started over
  }
}

TEST(DetokenizerTest, LeadingSpaceRuleCanBeTurnedOff) {
  auto tok = test::load_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  const auto ids = tok->encode("Hello world", false, false);
  Detokenizer::Options continuing;
  continuing.strip_leading_space = false;
  Detokenizer keep(*tok, continuing);
  std::string text;
  for (int32_t id : ids) text += keep.push(id);
  EXPECT_EQ(text, " Hello world");
  // Byte-level BPE has no such rule: a leading space is real text.
  auto bpe = test::load_tokenizer("gpt-2");
  Detokenizer plain(*bpe);
  std::string out;
  for (int32_t id : bpe->encode(" Hello", false, false)) out += plain.push(id);
  EXPECT_EQ(out, " Hello");
}

}  // namespace
}  // namespace corral
