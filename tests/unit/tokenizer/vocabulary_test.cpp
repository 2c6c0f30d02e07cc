// Vocabulary from GGUF metadata: what the shared vocab files hold, and malformed metadata giving
// clear errors that name the key (GGUFs written with GgufWriter into a temporary directory).
#include <gtest/gtest.h>

#include <filesystem>

#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

TEST(VocabularyTest, ReadsTheSharedVocabFiles) {
  auto file = GgufFile::open(test::vocab_path("llama-spm"));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto vocab = Vocabulary::from_gguf(*file);
  ASSERT_TRUE(vocab.ok()) << vocab.status().to_string();
  EXPECT_EQ(vocab->model, VocabModel::kSpm);
  EXPECT_EQ(vocab->size(), 32000);
  EXPECT_EQ(vocab->tokens[1], "<s>");
  EXPECT_EQ(vocab->type(3), TokenType::kByte);
  EXPECT_EQ(vocab->scores.size(), 32000u);
  EXPECT_EQ(vocab->bos, 1);
  EXPECT_EQ(vocab->eos, 2);
  EXPECT_EQ(vocab->unk, 0);
  EXPECT_TRUE(vocab->add_bos);
  EXPECT_FALSE(vocab->add_eos);
  EXPECT_TRUE(vocab->add_space_prefix);

  auto bert = GgufFile::open(test::vocab_path("bert-bge"));
  ASSERT_TRUE(bert.ok());
  auto bv = Vocabulary::from_gguf(*bert);
  ASSERT_TRUE(bv.ok()) << bv.status().to_string();
  EXPECT_EQ(bv->model, VocabModel::kWordPiece);
  EXPECT_EQ(bv->sep, 102);  // the key is spelled "seperator_token_id" in GGUF
  EXPECT_EQ(bv->cls, 101);
  EXPECT_EQ(bv->mask, 103);

  auto qwen = GgufFile::open(test::vocab_path("qwen2"));
  ASSERT_TRUE(qwen.ok());
  auto qv = Vocabulary::from_gguf(*qwen);
  ASSERT_TRUE(qv.ok());
  EXPECT_EQ(qv->model, VocabModel::kBpe);
  EXPECT_EQ(qv->pre, "qwen2");
  EXPECT_EQ(qv->merges.size(), 151387u);
  EXPECT_FALSE(qv->add_bos);
}

class MalformedVocabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("corral_vocab_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    GgufArray tokens;
    tokens.element_type = GgufType::kString;
    tokens.strings = {"<unk>", "<s>", "</s>", "a", "b"};
    writer_.set("general.architecture", GgufValue::from_string("llama"));
    writer_.set("tokenizer.ggml.model", GgufValue::from_string("llama"));
    writer_.set("tokenizer.ggml.tokens", GgufValue::from_array(tokens));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the GGUF and tries to build a tokenizer from it.
  Status build() {
    const std::string path = (dir_ / "vocab.gguf").string();
    Status s = writer_.write(path);
    if (!s.ok()) return s;
    auto file = GgufFile::open(path);
    if (!file.ok()) return file.status();
    auto tok = make_tokenizer(*file);
    return tok.ok() ? ok_status() : tok.status();
  }

  static GgufArray ints(std::vector<int64_t> values, GgufType type = GgufType::kI32) {
    GgufArray a;
    a.element_type = type;
    a.ints = std::move(values);
    return a;
  }

  void expect_error(const std::string& key_or_text) {
    const Status s = build();
    ASSERT_FALSE(s.ok()) << "expected an error mentioning " << key_or_text;
    EXPECT_NE(s.message().find(key_or_text), std::string::npos) << s.to_string();
  }

  std::filesystem::path dir_;
  GgufWriter writer_;
};

TEST_F(MalformedVocabTest, TheBaseFileIsFine) { EXPECT_TRUE(build().ok()); }

TEST_F(MalformedVocabTest, MissingModel) {
  GgufWriter w;
  writer_ = std::move(w);
  writer_.set("general.architecture", GgufValue::from_string("llama"));
  expect_error("tokenizer.ggml.model");
}

TEST_F(MalformedVocabTest, UnsupportedModel) {
  writer_.set("tokenizer.ggml.model", GgufValue::from_string("t5"));
  expect_error("'t5'");
}

TEST_F(MalformedVocabTest, TokensOfTheWrongType) {
  writer_.set("tokenizer.ggml.tokens", GgufValue::from_array(ints({1, 2, 3})));
  expect_error("tokenizer.ggml.tokens");
  writer_.set("tokenizer.ggml.tokens", GgufValue::from_u32(3));
  expect_error("tokenizer.ggml.tokens");
}

TEST_F(MalformedVocabTest, TokenTypesOfAnotherLength) {
  writer_.set("tokenizer.ggml.token_type", GgufValue::from_array(ints({1, 1, 1})));
  expect_error("tokenizer.ggml.token_type");
}

TEST_F(MalformedVocabTest, UnknownTokenType) {
  writer_.set("tokenizer.ggml.token_type", GgufValue::from_array(ints({2, 3, 3, 1, 9})));
  expect_error("tokenizer.ggml.token_type[4]");
}

TEST_F(MalformedVocabTest, ScoresOfAnotherLength) {
  GgufArray scores;
  scores.element_type = GgufType::kF32;
  scores.floats = {0.0, 0.0};
  writer_.set("tokenizer.ggml.scores", GgufValue::from_array(scores));
  expect_error("tokenizer.ggml.scores");
}

TEST_F(MalformedVocabTest, SpecialIdOutOfRange) {
  writer_.set("tokenizer.ggml.eos_token_id", GgufValue::from_u32(5));
  expect_error("tokenizer.ggml.eos_token_id");
}

TEST_F(MalformedVocabTest, SpecialIdOfTheWrongType) {
  writer_.set("tokenizer.ggml.bos_token_id", GgufValue::from_string("1"));
  expect_error("tokenizer.ggml.bos_token_id");
}

TEST_F(MalformedVocabTest, FlagOfTheWrongType) {
  writer_.set("tokenizer.ggml.add_bos_token", GgufValue::from_u32(1));
  expect_error("tokenizer.ggml.add_bos_token");
}

TEST_F(MalformedVocabTest, AddBosWithoutABosToken) {
  writer_.set("tokenizer.ggml.model", GgufValue::from_string("gpt2"));
  writer_.set("tokenizer.ggml.pre", GgufValue::from_string("gpt-2"));
  writer_.set("tokenizer.ggml.add_bos_token", GgufValue::from_bool(true));
  expect_error("tokenizer.ggml.bos_token_id");
}

TEST_F(MalformedVocabTest, UnknownPreTokenizer) {
  writer_.set("tokenizer.ggml.model", GgufValue::from_string("gpt2"));
  writer_.set("tokenizer.ggml.pre", GgufValue::from_string("brand-new-pre"));
  expect_error("brand-new-pre");
}

TEST_F(MalformedVocabTest, MergesThatAreNotStrings) {
  writer_.set("tokenizer.ggml.model", GgufValue::from_string("gpt2"));
  writer_.set("tokenizer.ggml.merges", GgufValue::from_array(ints({0, 1})));
  expect_error("tokenizer.ggml.merges");
}

TEST_F(MalformedVocabTest, EmptyVocabulary) {
  GgufArray none;
  none.element_type = GgufType::kString;
  writer_.set("tokenizer.ggml.tokens", GgufValue::from_array(none));
  expect_error("tokenizer.ggml.tokens");
}

TEST_F(MalformedVocabTest, MalformedMergesAreSkippedNotFatal) {
  writer_.set("tokenizer.ggml.model", GgufValue::from_string("gpt2"));
  writer_.set("tokenizer.ggml.pre", GgufValue::from_string("gpt-2"));
  GgufArray merges;
  merges.element_type = GgufType::kString;
  merges.strings = {"a b", "nospace", "", " ", "x y"};
  writer_.set("tokenizer.ggml.merges", GgufValue::from_array(merges));
  EXPECT_TRUE(build().ok());
}

}  // namespace
}  // namespace corral
