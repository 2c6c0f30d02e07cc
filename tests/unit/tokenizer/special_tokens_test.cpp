// Special tokens: parse_special matching (longest first), BOS/EOS from metadata, and
// end-of-generation ids, on the Qwen2 and Llama 3 vocabularies (ids are those models' published
// special-token ids) and tiny vocabularies.
#include <gtest/gtest.h>

#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

TEST(SpecialTokensTest, ChatMarkersAreSingleTokensOnlyWhenParsingSpecials) {
  auto tok = test::load_tokenizer("qwen2");
  ASSERT_NE(tok, nullptr);
  const std::string prompt = "<|im_start|>user\nhi<|im_end|>\n";
  const auto ids = tok->encode(prompt, false, true);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids.front(), 151644);  // <|im_start|>
  EXPECT_EQ(ids[ids.size() - 2], 151645);  // <|im_end|>
  EXPECT_EQ(tok->decode(ids, /*render_special=*/true), prompt);
  EXPECT_EQ(tok->decode(ids), "user\nhi\n");
  // Without parse_special the markers are ordinary text.
  const auto plain = tok->encode(prompt, false, false);
  for (int32_t id : plain) {
    EXPECT_NE(id, 151644);
    EXPECT_NE(id, 151645);
  }
  EXPECT_EQ(tok->decode(plain), prompt);
  // The text around a special token is encoded as if it stood alone.
  EXPECT_EQ(tok->encode("hi<|im_end|>", false, true),
            (std::vector<int32_t>{tok->encode("hi", false, false)[0], 151645}));
}

TEST(SpecialTokensTest, LongestSpecialTokenWins) {
  Vocabulary v = test::make_vocab(VocabModel::kBpe, {"<", "|", ">", "a", "<|end|>", "<|end|>x"});
  v.pre = "gpt-2";
  v.types[4] = TokenType::kControl;
  v.types[5] = TokenType::kControl;
  auto tok = make_tokenizer(std::move(v));
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ((*tok)->encode("a<|end|>xa<|end|>", false, true), (std::vector<int32_t>{3, 5, 3, 4}));
}

TEST(SpecialTokensTest, UserDefinedTokensAreAlwaysMatched) {
  Vocabulary v = test::make_vocab(VocabModel::kBpe, {"a", "b", "ab", "<ctl>", "<user>"});
  v.pre = "gpt-2";
  v.types[3] = TokenType::kControl;
  v.types[4] = TokenType::kUserDefined;
  auto tok = make_tokenizer(std::move(v));
  ASSERT_TRUE(tok.ok());
  const auto ids = (*tok)->encode("a<user>b", false, false);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 4, 1}));
  EXPECT_EQ((*tok)->decode(ids), "a<user>b");  // user-defined tokens render as their text
}

TEST(SpecialTokensTest, BosAndEosFollowTheMetadata) {
  auto llama3 = test::load_tokenizer("llama-bpe");
  ASSERT_NE(llama3, nullptr);
  auto ids = llama3->encode("Hello", true, false);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], 128000);  // add_bos_token = true
  EXPECT_EQ(llama3->encode("Hello", false, false).size(), 1u);

  auto qwen = test::load_tokenizer("qwen2");
  ASSERT_NE(qwen, nullptr);
  EXPECT_EQ(qwen->encode("Hello", true, false), qwen->encode("Hello", false, false));  // no BOS

  auto bert = test::load_tokenizer("bert-bge");
  ASSERT_NE(bert, nullptr);
  ids = bert->encode("hello", true, false);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 101);  // [CLS]
  EXPECT_EQ(ids.back(), 102);   // [SEP]
  EXPECT_EQ(bert->decode(ids), "hello");
}

TEST(SpecialTokensTest, EndOfGeneration) {
  auto llama3 = test::load_tokenizer("llama-bpe");
  ASSERT_NE(llama3, nullptr);
  EXPECT_TRUE(llama3->is_eog(128001));   // <|end_of_text|>, eos
  EXPECT_TRUE(llama3->is_eog(128009));   // <|eot_id|>, eot
  EXPECT_FALSE(llama3->is_eog(128000));  // <|begin_of_text|>
  EXPECT_FALSE(llama3->is_eog(128006));  // <|start_header_id|>
  EXPECT_FALSE(llama3->is_eog(9906));
  EXPECT_FALSE(llama3->is_eog(-1));
  EXPECT_FALSE(llama3->is_eog(1 << 30));

  auto qwen = test::load_tokenizer("qwen2");
  ASSERT_NE(qwen, nullptr);
  EXPECT_TRUE(qwen->is_eog(151643));   // <|endoftext|>
  EXPECT_TRUE(qwen->is_eog(151645));   // <|im_end|>
  EXPECT_FALSE(qwen->is_eog(151644));  // <|im_start|>

  // Tokens are end-of-generation by their text too, whatever ids the metadata names.
  Vocabulary v = test::make_vocab(VocabModel::kBpe, {"a", "<|eom_id|>", "<end_of_turn>", "<start>"});
  v.pre = "gpt-2";
  for (int i = 1; i < 4; ++i) v.types[static_cast<size_t>(i)] = TokenType::kControl;
  auto tiny = make_tokenizer(std::move(v));
  ASSERT_TRUE(tiny.ok());
  EXPECT_FALSE((*tiny)->is_eog(0));
  EXPECT_TRUE((*tiny)->is_eog(1));
  EXPECT_TRUE((*tiny)->is_eog(2));
  EXPECT_FALSE((*tiny)->is_eog(3));

  auto phi3 = test::load_tokenizer("phi-3");
  ASSERT_NE(phi3, nullptr);
  EXPECT_TRUE(phi3->is_eog(phi3->find_token("<|end|>")));
  EXPECT_TRUE(phi3->is_eog(phi3->eos()));
}

TEST(SpecialTokensTest, IdsOutsideTheVocabularyAreHarmless) {
  auto tok = test::load_tokenizer("gpt-2");
  ASSERT_NE(tok, nullptr);
  const std::vector<int32_t> ids = {-5, 31373, 1 << 30, 995};
  EXPECT_EQ(tok->decode(ids), "hello world");
  EXPECT_EQ(tok->token_piece(-1), "");
  EXPECT_EQ(tok->token_text(50257), "");
}

}  // namespace
}  // namespace corral
