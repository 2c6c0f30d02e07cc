// Encoding speed (label "slow"): 1 MB of varied multilingual text with the Llama 3 and Qwen2
// vocabularies. Prints MB/s; the bound is deliberately generous (the target is well under a
// second), so only a gross regression fails.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "unit/tokenizer/tokenizer_test_util.h"

namespace corral {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kBoundSeconds = 60.0;
#else
constexpr double kBoundSeconds = 5.0;
#endif

std::string one_megabyte_of_text() {
  const nlohmann::json golden = test::load_json(test::golden_path("pretokenize.json"));
  std::vector<std::string> texts = golden.at("texts").get<std::vector<std::string>>();
  for (const auto& c : test::load_conformance("llama-bpe")) texts.push_back(c.input);
  std::string text;
  for (size_t i = 0; text.size() < (1u << 20); ++i) {
    // Vary the text between rounds so the word cache does not see only repeats.
    text += texts[i % texts.size()];
    text += " item " + std::to_string(i * 7919 % 100003) + " w" + std::to_string(i) + "x\n";
  }
  return text;
}

TEST(TokenizerSpeedTest, EncodesOneMegabyteQuickly) {
  const std::string text = one_megabyte_of_text();
  for (const char* name : {"llama-bpe", "qwen2"}) {
    const auto load_start = std::chrono::steady_clock::now();
    auto tok = test::load_tokenizer(name);
    ASSERT_NE(tok, nullptr);
    const auto start = std::chrono::steady_clock::now();
    const auto ids = tok->encode(text, false, false);
    const auto end = std::chrono::steady_clock::now();
    const double load_s = std::chrono::duration<double>(start - load_start).count();
    const double s = std::chrono::duration<double>(end - start).count();
    std::printf("[tokenizer speed] %-10s load %.3f s; encode %.2f MB -> %zu tokens in %.3f s (%.1f MB/s)\n",
                name, load_s, text.size() / 1048576.0, ids.size(), s, text.size() / 1048576.0 / s);
    EXPECT_LT(s, kBoundSeconds);
    EXPECT_EQ(tok->decode(ids), text);
  }
}

}  // namespace
}  // namespace corral
