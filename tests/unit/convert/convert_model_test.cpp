// The converted tiny models run through corral's own model code (models/ loader, CPU backend)
// give the logits transformers computed for the same checkpoint (hf_logits.json): this checks
// names, hyper-parameter keys, the Q/K rope permutation and llama3 rope_freqs end to end.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/cpu/cpu_backend.h"
#include "convert/convert.h"
#include "models/evaluate.h"
#include "models/loader.h"
#include "test_util.h"

namespace corral::convert {
namespace {

using testing::golden_dir;
using testing::TempDir;

void expect_logits_match_hf(const std::string& fixture, std::optional<QuantType> type, double tol) {
  const auto golden = testing::read_golden_json("hf_logits.json");
  ASSERT_TRUE(golden.contains(fixture));
  TempDir tmp;
  ConvertOptions opts;
  opts.type = type;
  auto r = convert_hf_directory(golden_dir() + "/" + fixture, tmp.file("m.gguf"), opts);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto model = open_model(tmp.file("m.gguf"));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  BackendOptions bo;
  bo.num_threads = 2;
  auto backend = cpu::CpuBackend::create(bo);
  ASSERT_TRUE(backend.ok());
  const auto tokens = golden[fixture]["tokens"].get<std::vector<int32_t>>();
  auto kv = make_kv_cache((*model)->cache_spec(), static_cast<int64_t>(tokens.size()) + 8, 1, DType::kF32);
  ASSERT_TRUE(kv.ok()) << kv.status().to_string();
  Batch batch;
  batch.add_sequence(tokens, 0, 0, true);
  GraphAllocator alloc;
  auto logits = evaluate(**model, **backend, alloc, batch, *kv);
  ASSERT_TRUE(logits.ok()) << logits.status().to_string();
  const auto& want = golden[fixture]["logits"];
  ASSERT_EQ(logits->n_rows, static_cast<int64_t>(want.size()));
  double max_err = 0;
  for (int64_t i = 0; i < logits->n_rows; ++i) {
    const auto row = logits->row(i);
    ASSERT_EQ(row.size(), want[i].size());
    for (size_t j = 0; j < row.size(); ++j) max_err = std::max(max_err, std::fabs(row[j] - want[i][j].get<double>()));
  }
  EXPECT_LT(max_err, tol) << fixture;
}

TEST(ConvertedModelRuns, LlamaBpeF32MatchesTransformers) { expect_logits_match_hf("llama_bpe", std::nullopt, 1e-3); }
TEST(ConvertedModelRuns, Qwen2Bf16MatchesTransformers) { expect_logits_match_hf("qwen2_bpe", std::nullopt, 1e-2); }
TEST(ConvertedModelRuns, LlamaSpmF16Llama3RopeMatchesTransformers) {
  expect_logits_match_hf("llama_spm", std::nullopt, 1e-2);
}
// F32 output for every fixture, safetensors and pytorch_model.bin: within 1e-3 of transformers.
class ConvertedF32 : public ::testing::TestWithParam<const char*> {};
TEST_P(ConvertedF32, MatchesTransformersWithin1e3) { expect_logits_match_hf(GetParam(), QuantType::kF32, 1e-3); }
INSTANTIATE_TEST_SUITE_P(AllFixtures, ConvertedF32,
                         ::testing::Values("llama_bpe", "qwen2_bpe", "llama_spm", "mistral_spm", "llama_bpe_bin",
                                           "qwen2_bpe_bin", "mistral_spm_bin"));

TEST(ConvertedModelRuns, LlamaQ8_0StaysClose) { expect_logits_match_hf("llama_bpe", QuantType::kQ8_0, 2e-2); }

}  // namespace
}  // namespace corral::convert
