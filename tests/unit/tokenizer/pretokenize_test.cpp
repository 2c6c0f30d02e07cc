// Pre-tokenizer splits against goldens computed by Python's `regex` package (and cross-checked
// with HF tokenizers) on the same published patterns: tools/make_tokenizer_goldens.py pretok.
#include <gtest/gtest.h>

#include <set>

#include "formats/gguf.h"
#include "tokenizer/pretokenize.h"
#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

TEST(PreTokenizerTest, EveryPresetMatchesTheRegexGoldens) {
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  const auto& texts = golden.at("texts");
  const auto& presets = golden.at("presets");
  ASSERT_GE(texts.size(), 10u);
  for (std::string_view name : pretokenizer_preset_names()) {
    SCOPED_TRACE(std::string(name));
    ASSERT_TRUE(presets.contains(std::string(name))) << "no golden for preset " << name;
    const PreTokenizerPreset* preset = find_pretokenizer_preset(name);
    ASSERT_NE(preset, nullptr);
    auto pre = PreTokenizer::create(*preset);
    ASSERT_TRUE(pre.ok()) << pre.status().to_string();
    const auto& expected = presets.at(std::string(name));
    ASSERT_EQ(expected.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::string text = texts[i].get<std::string>();
      std::vector<std::string> want = expected[i].get<std::vector<std::string>>();
      std::vector<std::string> got;
      for (std::string_view w : pre->split(text)) got.emplace_back(w);
      EXPECT_EQ(got, want) << "text #" << i;
    }
  }
}

TEST(PreTokenizerTest, RequiredPresetsAndAliasesExist) {
  for (const char* name : {"default", "gpt-2", "llama-bpe", "qwen2", "smollm", "deepseek-llm",
                           "deepseek-coder", "starcoder", "falcon", "mpt", "refact", "command-r",
                           "gpt-4o", "llama3", "deepseek-r1-qwen", "dbrx", "olmo"}) {
    EXPECT_NE(find_pretokenizer_preset(name), nullptr) << name;
  }
  EXPECT_EQ(find_pretokenizer_preset("refact"), find_pretokenizer_preset("smollm"));
  EXPECT_EQ(find_pretokenizer_preset("command-r"), find_pretokenizer_preset("smollm"));
  EXPECT_EQ(find_pretokenizer_preset("llama3"), find_pretokenizer_preset("llama-bpe"));
  EXPECT_EQ(find_pretokenizer_preset("no-such-pre"), nullptr);
  EXPECT_TRUE(find_pretokenizer_preset("llama-bpe")->ignore_merges);
  EXPECT_FALSE(find_pretokenizer_preset("qwen2")->ignore_merges);
}

TEST(PreTokenizerTest, SplitsConcatenateToTheInputEvenForInvalidUtf8) {
  auto pre = PreTokenizer::create(*find_pretokenizer_preset("llama-bpe"));
  ASSERT_TRUE(pre.ok());
  const std::string text = "ab\xFF\xFE cd \xE2\x82 \xF0\x9F\xA6\x99x \xC0\x80";
  std::string joined;
  for (std::string_view w : pre->split(text)) {
    EXPECT_FALSE(w.empty());
    joined += w;
  }
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(pre->split("").empty());
}

TEST(PreTokenizerTest, BadPatternIsAnErrorNamingIt) {
  auto pre = PreTokenizer::create(std::vector<std::string_view>{"(unclosed"});
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.status().message().find("(unclosed"), std::string::npos) << pre.status().message();
}

TEST(PreTokenizerTest, LongRunsDoNotBlowUp) {
  auto pre = PreTokenizer::create(*find_pretokenizer_preset("gpt-4o"));
  ASSERT_TRUE(pre.ok());
  // 1 MB of spaces then a letter: \s+(?!\S) backtracks once; the split must still be exact.
  std::string text(1 << 20, ' ');
  text += "a";
  const auto words = pre->split(text);
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].size(), (1u << 20) - 1);
  EXPECT_EQ(words[1], " a");
}

TEST(PreTokenizerTest, UnknownPreIsAnErrorNamingIt) {
  Vocabulary v = test::make_vocab(VocabModel::kBpe, {"a", "b"});
  v.pre = "my-new-model";
  auto tok = make_tokenizer(v);
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tok.status().message().find("my-new-model"), std::string::npos);
  // A missing pre falls back to the default pre-tokenizer (llama.cpp's choice).
  v.pre = "";
  EXPECT_TRUE(make_tokenizer(v).ok());
}

}  // namespace
}  // namespace corral
