// Every conformance case of the shared vocab GGUFs (llama.cpp's public test data, ids produced
// by the models' Hugging Face tokenizers) must encode to exactly the expected ids.
#include <gtest/gtest.h>

#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

std::string show(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += std::to_string(id) + " ";
  return s;
}

std::string escape(const std::string& text) {
  std::string s;
  for (char c : text) {
    if (c == '\n') {
      s += "\\n";
    } else if (c == '\t') {
      s += "\\t";
    } else {
      s += c;
    }
  }
  return s;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, EncodesEveryCaseExactly) {
  const std::string name = GetParam();
  auto tok = test::load_tokenizer(name);
  ASSERT_NE(tok, nullptr);
  const auto cases = test::load_conformance(name);
  ASSERT_GE(cases.size(), 40u) << "conformance data of " << name << " looks truncated";
  int failures = 0;
  for (const auto& c : cases) {
    const std::vector<int32_t> got = tok->encode(c.input, /*add_special=*/false, /*parse_special=*/false);
    if (got != c.expected) {
      ++failures;
      ADD_FAILURE() << name << ": '" << escape(c.input) << "'\n  expected " << show(c.expected)
                    << "\n  got      " << show(got);
    }
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, ConformanceTest,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "falcon", "mpt",
                                           "deepseek-llm", "starcoder", "bert-bge", "llama-bpe",
                                           "qwen2"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace corral
