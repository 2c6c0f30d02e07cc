// Logits of corral's llama / qwen2 against Hugging Face transformers on tiny random-weight
// models (goldens from tools/make_model_goldens.py): one-shot prefill, chunked prefill through
// the cache, two sequences in one batch, prefix reuse across sequences.
#include "models/model_test_util.h"

namespace corral::testing {
namespace {

constexpr double kTol = 1e-3;

class ParityTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string dir = golden_dir(GetParam());
    auto file = GgufFile::open(dir + "/model.gguf");
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    file_ = std::make_unique<GgufFile>(std::move(file).value());
    auto model = load_model(*file_);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::move(model).value();
    tokens_ = load_npy(dir + "/tokens.npy").i32();
    logits_ = load_npy(dir + "/logits.npy");
    tokens2_ = load_npy(dir + "/tokens2.npy").i32();
    logits2_ = load_npy(dir + "/logits2.npy");
    backend_ = make_cpu_backend();
  }

  KvCache cache(int max_sequences = 1, DType dtype = DType::kF32) {
    auto c = make_kv_cache(model_->cache_spec(), 128, max_sequences, dtype);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }

  Logits run(const Batch& batch, KvCache& kv) {
    auto l = evaluate(*model_, *backend_, alloc_, batch, kv);
    EXPECT_TRUE(l.ok()) << l.status().to_string();
    return l.ok() ? std::move(l).value() : Logits{};
  }

  std::span<const int32_t> prompt(size_t begin, size_t end) const {
    return std::span<const int32_t>(tokens_).subspan(begin, end - begin);
  }

  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Backend> backend_;
  GraphAllocator alloc_;
  std::vector<int32_t> tokens_, tokens2_;
  NpyArray logits_, logits2_;
};

TEST_P(ParityTest, OneShotPrefillMatchesTransformers) {
  KvCache kv = cache();
  Batch b;
  b.add_sequence(tokens_, 0, 0, /*all_outputs=*/true);
  const Logits l = run(b, kv);
  ASSERT_EQ(l.n_rows, 64);
  expect_logits_match(l, logits_, 0, kTol, std::string(GetParam()) + "_one_shot");
}

TEST_P(ParityTest, TwoChunksThroughTheCacheMatch) {
  KvCache kv = cache();
  Batch b1, b2;
  b1.add_sequence(prompt(0, 40), 0, 0, true);
  b2.add_sequence(prompt(40, 64), 40, 0, true);
  const Logits l1 = run(b1, kv);
  const Logits l2 = run(b2, kv);
  expect_logits_match(l1, logits_, 0, kTol, std::string(GetParam()) + "_chunk1");
  expect_logits_match(l2, logits_, 40, kTol, std::string(GetParam()) + "_chunk2");
  EXPECT_EQ(kv.seq_pos_max(0), 63);
}

TEST_P(ParityTest, TokenByTokenDecodeMatches) {
  KvCache kv = cache();
  Batch prefill;
  prefill.add_sequence(prompt(0, 56), 0, 0, false);  // logits of the last row only
  const Logits l = run(prefill, kv);
  ASSERT_EQ(l.n_rows, 1);
  expect_logits_match(l, logits_, 55, kTol, std::string(GetParam()) + "_prefill_last");
  for (int32_t p = 56; p < 64; ++p) {
    Batch step;
    step.add(tokens_[static_cast<size_t>(p)], p, 0, true);
    expect_logits_match(run(step, kv), logits_, p, kTol, std::string(GetParam()) + "_decode");
  }
}

TEST_P(ParityTest, TwoSequencesInOneBatchMatch) {
  KvCache kv = cache(2);
  Batch b;  // interleave the 64-token prompt (seq 0) with the 24-token prompt (seq 1)
  std::vector<int> row_of_seq0, row_of_seq1;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    b.add(tokens_[i], static_cast<int32_t>(i), 0, true);
    if (i < tokens2_.size()) b.add(tokens2_[i], static_cast<int32_t>(i), 1, true);
  }
  const Logits l = run(b, kv);
  ASSERT_EQ(l.n_rows, 88);
  Logits s0{64, l.n_vocab, {}}, s1{24, l.n_vocab, {}};
  for (int64_t r = 0; r < l.n_rows; ++r) {
    Logits& dst = b.seq_ids()[static_cast<size_t>(r)] == 0 ? s0 : s1;
    dst.values.insert(dst.values.end(), l.row(r).begin(), l.row(r).end());
  }
  expect_logits_match(s0, logits_, 0, kTol, std::string(GetParam()) + "_batch_seq0");
  expect_logits_match(s1, logits2_, 0, kTol, std::string(GetParam()) + "_batch_seq1");
}

TEST_P(ParityTest, PrefixSharedWithAnotherSequenceMatches) {
  KvCache kv = cache(2);
  Batch b1;
  b1.add_sequence(prompt(0, 40), 0, 0, false);
  run(b1, kv);
  const int64_t used = kv.cells().used();
  ASSERT_TRUE(kv.copy_prefix(0, 1, 32).ok());
  EXPECT_EQ(kv.cells().used(), used) << "a shared prefix must not take new cells";
  // seq 1 continues from position 32 with the prompt's own tokens: same logits as transformers.
  Batch b2;
  b2.add_sequence(prompt(32, 64), 32, 1, true);
  expect_logits_match(run(b2, kv), logits_, 32, kTol, std::string(GetParam()) + "_prefix_reuse");
  // seq 0 is untouched by seq 1's cells.
  Batch b3;
  b3.add_sequence(prompt(40, 48), 40, 0, true);
  expect_logits_match(run(b3, kv), logits_, 40, kTol, std::string(GetParam()) + "_prefix_owner");
}

TEST_P(ParityTest, F16CacheKeepsTheArgmax) {
  KvCache kv = cache(1, DType::kF16);
  Batch b;
  b.add_sequence(tokens_, 0, 0, true);
  const Logits l = run(b, kv);
  // F16 K/V round to 11 bits: the logits stay within 1e-2 and every argmax is kept.
  expect_logits_match(l, logits_, 0, 1e-2, std::string(GetParam()) + "_f16_cache");
}

INSTANTIATE_TEST_SUITE_P(Tiny, ParityTest, ::testing::Values("llama", "llama3_rope", "qwen2"));

}  // namespace
}  // namespace corral::testing
