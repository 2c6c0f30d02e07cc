// Agreement with llama.cpp on the real SmolLM2-135M-Instruct Q4_1 GGUF (label models), from the
// goldens of tools/make_llamacpp_goldens.py (tests/golden/llamacpp/smollm2_greedy.json):
//  - corral's tokenization of each raw prompt equals llama.cpp's ids;
//  - corral's greedy 64-token continuation of llama.cpp's prompt ids equals llama.cpp's token for
//    token on at least 4 of the 5 prompts (issue 4's check);
//  - corral's perplexity over the committed text, computed the same way (non-overlapping
//    512-token chunks from an empty cache, NLL of the second half of each chunk), is within 1%.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/cpu/builtin_backends.h"
#include "models/debug_dump.h"
#include "runner/runner.h"

namespace corral {
namespace {

const std::string kGoldenDir = std::string(CORRAL_REPO_DIR) + "/tests/golden/llamacpp";

class LlamaCppAgreement : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(kGoldenDir + "/smollm2_greedy.json");
    ASSERT_TRUE(in.good()) << "missing golden " << kGoldenDir;
    golden_ = new nlohmann::json(nlohmann::json::parse(in));
    registry_ = new BackendRegistry();
    ASSERT_TRUE(register_builtin_backends(*registry_).ok());
    const std::string model = CORRAL_SMOLLM2_GGUF;
    if (model.empty()) return;
    RunnerOptions o;
    o.num_ctx = (*golden_)["perplexity"]["n_ctx"].get<int>();
    o.batch_size = o.num_ctx;
    o.dump = dump_options_from_env(load_env_config());  // CORRAL_DEBUG_DUMP: intermediates per step
    Result<std::unique_ptr<Runner>> r = Runner::load(model, o, *registry_);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    runner_ = std::move(r).value().release();
  }
  static void TearDownTestSuite() {
    delete runner_;
    delete registry_;
    delete golden_;
    runner_ = nullptr;
  }
  void SetUp() override {
    if (std::string(CORRAL_SMOLLM2_GGUF).empty()) GTEST_SKIP() << "SmolLM2 GGUF not installed in .venv";
    ASSERT_NE(runner_, nullptr);
  }

  static nlohmann::json* golden_;
  static BackendRegistry* registry_;
  static Runner* runner_;
};
nlohmann::json* LlamaCppAgreement::golden_ = nullptr;
BackendRegistry* LlamaCppAgreement::registry_ = nullptr;
Runner* LlamaCppAgreement::runner_ = nullptr;

int32_t argmax(std::span<const float> row) {
  return static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

TEST_F(LlamaCppAgreement, TokenizationEqualsLlamaCpp) {
  const bool add_special = (*golden_)["add_bos"].get<bool>() == (runner_->tokenizer().vocab().add_bos);
  ASSERT_TRUE(add_special) << "the vocabulary's add_bos differs from llama.cpp's";
  for (const auto& p : (*golden_)["prompts"]) {
    const std::string text = p["text"].get<std::string>();
    const auto want = p["prompt_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(runner_->tokenizer().encode(text, true, false), want) << text;
  }
  const auto& ppl = (*golden_)["perplexity"];
  std::ifstream in(kGoldenDir + "/" + ppl["text_file"].get<std::string>(), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(runner_->tokenizer().encode(text, true, false), ppl["text_ids"].get<std::vector<int32_t>>());
}

// Issue 4's check: greedy continuations of the 5 fixed prompts equal llama.cpp's token for token on
// at least 4 of 5. corral matches the peer's arithmetic where it is a choice (activations
// quantized as llama.cpp quantizes them, F16 block sums for Q4_1's min term, q rounded to F16 and
// an F16 running output in attention over the F16 cache), so the remaining differences are float
// summation orders (~1e-6 relative), not the ~1e-3 of differing rounding rules.
TEST_F(LlamaCppAgreement, GreedyContinuationsEqualLlamaCpp) {
  int matching = 0, index = 0;
  for (const auto& p : (*golden_)["prompts"]) {
    const auto prompt = p["prompt_ids"].get<std::vector<int32_t>>();
    const auto want = p["greedy_ids"].get<std::vector<int32_t>>();
    const auto margin = p["top1_margin"].get<std::vector<double>>();
    ASSERT_TRUE(runner_->clear_cache().ok());
    std::vector<int32_t> got;
    Result<Logits> l = runner_->decode(prompt, 0, 0, false);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    for (size_t i = 0; i < want.size(); ++i) {
      got.push_back(argmax(l->row(0)));
      if (i + 1 == want.size()) break;
      l = runner_->decode(std::span<const int32_t>(&got.back(), 1), 0, static_cast<int32_t>(prompt.size() + i), false);
      ASSERT_TRUE(l.ok()) << l.status().to_string();
    }
    size_t first_diff = 0;
    while (first_diff < want.size() && got[first_diff] == want[first_diff]) ++first_diff;
    if (first_diff == want.size()) {
      ++matching;
      std::printf("prompt %d: all %zu greedy tokens equal llama.cpp's\n", index, want.size());
    } else {
      std::printf("prompt %d: equal for %zu tokens, then corral %d, llama.cpp %d (llama.cpp top-1 margin %.4f)\n",
                  index, first_diff, got[first_diff], want[first_diff], margin[first_diff]);
    }
    ++index;
  }
  std::printf("greedy agreement: %d of %d prompts\n", matching, index);
  RecordProperty("greedy_prompts_matching", matching);
  EXPECT_EQ(index, 5);
  EXPECT_GE(matching, 4) << "greedy continuations equal to llama.cpp's on fewer than 4 of 5 prompts";
}

TEST_F(LlamaCppAgreement, PerplexityWithinOnePercent) {
  const auto& ppl = (*golden_)["perplexity"];
  const auto ids = ppl["text_ids"].get<std::vector<int32_t>>();
  const size_t n_ctx = ppl["n_ctx"].get<size_t>();
  const size_t first = n_ctx / 2;
  const size_t n_chunks = ids.size() / n_ctx;
  ASSERT_EQ(n_chunks, ppl["n_chunks"].get<size_t>());
  double total = 0;
  size_t count = 0;
  for (size_t c = 0; c < n_chunks; ++c) {
    std::span<const int32_t> chunk(ids.data() + c * n_ctx, n_ctx);
    ASSERT_TRUE(runner_->clear_cache().ok());
    Result<Logits> l = runner_->decode(chunk, 0, 0, true);
    ASSERT_TRUE(l.ok()) << l.status().to_string();
    double chunk_nll = 0;
    for (size_t j = first; j + 1 < n_ctx; ++j) {
      std::span<const float> row = l->row(static_cast<int64_t>(j));
      const double m = *std::max_element(row.begin(), row.end());
      double sum = 0;
      for (float x : row) sum += std::exp(static_cast<double>(x) - m);
      chunk_nll += m + std::log(sum) - row[static_cast<size_t>(chunk[j + 1])];
    }
    std::printf("chunk %zu: mean NLL corral %.5f llama.cpp %.5f\n", c, chunk_nll / double(n_ctx - 1 - first),
                ppl["chunk_mean_nll"][c].get<double>());
    total += chunk_nll;
    count += n_ctx - 1 - first;
  }
  ASSERT_EQ(count, ppl["n_scored"].get<size_t>());
  const double corral_ppl = std::exp(total / static_cast<double>(count));
  const double want = ppl["ppl"].get<double>();
  std::printf("perplexity: corral %.4f llama.cpp %.4f (%+.3f%%)\n", corral_ppl, want, 100.0 * (corral_ppl / want - 1));
  RecordProperty("corral_ppl", std::to_string(corral_ppl));
  EXPECT_NEAR(corral_ppl / want, 1.0, 0.01);
}

}  // namespace
}  // namespace corral
