// Runner on a tiny random-weight llama with a real (GPT-2) tokenizer: the batching loop must give
// exactly what driving the model directly (models/evaluate.h, greedy argmax) gives — alone, with
// prefill chunks, with several sequences in one batch and with a reused cached prefix — and the
// finish reasons, stats, errors, cancellation, plan reuse and debug dumps must behave.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "backends/cpu/builtin_backends.h"
#include "models/evaluate.h"
#include "runner/runner.h"
#include "runner_test_util.h"

namespace corral {
namespace {

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(register_builtin_backends(backends_).ok()); }

  std::unique_ptr<Runner> load(RunnerOptions o = {}) {
    o.backend_options.num_threads = 2;
    if (o.num_ctx == 4096) o.num_ctx = 256;
    return testing::load_tiny_runner(o, backends_);
  }
  static GenerateRequest greedy(std::vector<int32_t> prompt, int n) {
    return testing::greedy_request(std::move(prompt), n);
  }
  // The reference: the model driven directly, one sequence, argmax at every step.
  std::vector<int32_t> reference_greedy(const Runner& r, const std::vector<int32_t>& prompt, int n) {
    Result<std::unique_ptr<Backend>> backend = backends_.create("cpu", BackendOptions{.num_threads = 1});
    EXPECT_TRUE(backend.ok());
    Result<KvCache> cache = make_kv_cache(r.model().cache_spec(), 256);
    EXPECT_TRUE(cache.ok());
    GraphAllocator alloc;
    std::vector<int32_t> out;
    Batch b;
    b.add_sequence(prompt, 0, 0, false);
    for (int i = 0; i < n; ++i) {
      Result<Logits> l = evaluate(r.model(), **backend, alloc, b, *cache);
      EXPECT_TRUE(l.ok()) << l.status().to_string();
      if (!l.ok()) return out;
      std::span<const float> row = l->row(l->n_rows - 1);
      const int32_t next = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
      out.push_back(next);
      b.clear();
      b.add(next, static_cast<int32_t>(prompt.size()) + i, 0, true);
    }
    return out;
  }
  std::vector<int32_t> tokens(const Runner& r, std::string_view text) {
    return r.tokenizer().encode(text, false, false);
  }

  BackendRegistry backends_;
};

TEST_F(RunnerTest, GreedyGenerationMatchesTheModelDrivenDirectly) {
  auto r = load();
  ASSERT_TRUE(r);
  const std::vector<int32_t> prompt = tokens(*r, "The quick brown fox jumps over the lazy dog.");
  Result<GenerateResult> g = r->generate(greedy(prompt, 12));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->tokens, reference_greedy(*r, prompt, 12));
  EXPECT_EQ(g->done_reason, sample::DoneReason::kLength);
  // Streamed text is the decoded tokens (ill-formed UTF-8 from random weights streams as U+FFFD).
  const std::string decoded = r->tokenizer().decode(g->tokens);
  if (valid_utf8(decoded)) {
    EXPECT_EQ(g->text, decoded);
  } else {
    EXPECT_TRUE(valid_utf8(g->text));
    EXPECT_NE(g->text.find("\xEF\xBF\xBD"), std::string::npos);
  }
  EXPECT_EQ(g->stats.prompt_eval_count, static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(g->stats.eval_count, 12);
  EXPECT_GT(g->stats.prompt_eval_ns, 0);
  EXPECT_GT(g->stats.eval_ns, 0);
  EXPECT_GE(g->stats.total_ns, g->stats.prompt_eval_ns + g->stats.eval_ns);
  EXPECT_GT(g->stats.load_ns, 0);  // the first request after load reports it
  Result<GenerateResult> again = r->generate(greedy(tokens(*r, "Another prompt"), 2));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stats.load_ns, 0);
}

TEST_F(RunnerTest, ChunkedPrefillGivesTheSameTokens) {
  RunnerOptions o;
  o.batch_size = 3;
  auto r = load(o);
  ASSERT_TRUE(r);
  const std::vector<int32_t> prompt =
      tokens(*r, "Prompt processing in chunks of three tokens must not change anything.");
  ASSERT_GT(prompt.size(), 7u);
  Result<GenerateResult> g = r->generate(greedy(prompt, 8));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->tokens, reference_greedy(*r, prompt, 8));
}

TEST_F(RunnerTest, SequencesBatchedTogetherMatchEachAlone) {
  RunnerOptions o;
  o.max_sequences = 3;
  o.batch_size = 8;  // long prompts are chunked while others decode
  auto r = load(o);
  ASSERT_TRUE(r);
  const std::vector<std::vector<int32_t>> prompts = {
      tokens(*r, "First sequence: a short one."),
      tokens(*r, "Second sequence, which is quite a bit longer than the first one, so it needs chunks."),
      tokens(*r, "Third!"),
  };
  const std::vector<int> n = {10, 6, 14};
  std::vector<int> ids;
  for (size_t i = 0; i < prompts.size(); ++i) {
    Result<int> id = r->submit(greedy(prompts[i], n[i]));
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    ids.push_back(*id);
  }
  EXPECT_EQ(r->submit(greedy(prompts[0], 1)).status().code(), StatusCode::kUnavailable);  // all slots busy
  int steps = 0;
  while (r->busy()) {
    ASSERT_TRUE(r->step().ok());
    ++steps;
  }
  int solo_steps = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    Result<GenerateResult> g = r->take_result(ids[i]);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_EQ(g->tokens, reference_greedy(*r, prompts[i], n[i])) << "sequence " << i;
    solo_steps += static_cast<int>((prompts[i].size() + 7) / 8) + n[i] - 1;
  }
  EXPECT_LT(steps, solo_steps);               // they really shared forward passes
  EXPECT_FALSE(r->take_result(ids[0]).ok());  // handed out once
}

TEST_F(RunnerTest, CachedPrefixIsReusedWithoutChangingTheAnswer) {
  auto r = load();
  ASSERT_TRUE(r);
  const std::vector<int32_t> first = tokens(*r, "A conversation starts here and the model answers.");
  Result<GenerateResult> g1 = r->generate(greedy(first, 5));
  ASSERT_TRUE(g1.ok());
  // The next turn: the first prompt, the answer, then more text.
  std::vector<int32_t> second = first;
  second.insert(second.end(), g1->tokens.begin(), g1->tokens.end());
  const std::vector<int32_t> more = tokens(*r, " Then the user says more.");
  second.insert(second.end(), more.begin(), more.end());
  Result<GenerateResult> g2 = r->generate(greedy(second, 6));
  ASSERT_TRUE(g2.ok());
  // Every token fed to the cache before is reused (the last sampled one was never fed).
  EXPECT_EQ(g2->stats.cached_prompt_tokens, static_cast<int64_t>(first.size() + g1->tokens.size() - 1));
  EXPECT_EQ(g2->stats.prompt_eval_count,
            static_cast<int64_t>(second.size()) - g2->stats.cached_prompt_tokens);
  EXPECT_EQ(g2->tokens, reference_greedy(*r, second, 6));
  // The same prompt again: everything but the last token comes from the cache.
  Result<GenerateResult> g3 = r->generate(greedy(second, 6));
  ASSERT_TRUE(g3.ok());
  EXPECT_EQ(g3->stats.prompt_eval_count, 1);
  EXPECT_EQ(g3->tokens, g2->tokens);
  // A diverging prompt drops the cached suffix.
  std::vector<int32_t> other = tokens(*r, "A conversation starts elsewhere.");
  Result<GenerateResult> g4 = r->generate(greedy(other, 4));
  ASSERT_TRUE(g4.ok());
  EXPECT_EQ(g4->tokens, reference_greedy(*r, other, 4));
}

TEST_F(RunnerTest, DecodeReturnsTheModelsLogits) {
  RunnerOptions o;
  o.batch_size = 5;
  auto r = load(o);
  ASSERT_TRUE(r);
  const std::vector<int32_t> t = tokens(*r, "Logits for every position of this little text, please.");
  Result<Logits> got = r->decode(t, 0, 0, true);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  ASSERT_EQ(got->n_rows, static_cast<int64_t>(t.size()));
  Result<std::unique_ptr<Backend>> backend = backends_.create("cpu", BackendOptions{.num_threads = 1});
  ASSERT_TRUE(backend.ok());
  Result<KvCache> cache = make_kv_cache(r->model().cache_spec(), 256);
  ASSERT_TRUE(cache.ok());
  GraphAllocator alloc;
  Batch b;
  b.add_sequence(t, 0, 0, true);
  Result<Logits> want = evaluate(r->model(), **backend, alloc, b, *cache);
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(want->values.size(), got->values.size());
  float max_diff = 0;
  for (size_t i = 0; i < want->values.size(); ++i)
    max_diff = std::max(max_diff, std::abs(want->values[i] - got->values[i]));
  EXPECT_LT(max_diff, 1e-3f);
  // Last-token-only mode returns the final row.
  Result<Logits> last = r->decode(t, 0, 0, false);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->n_rows, 1);
  for (int64_t j = 0; j < last->n_vocab; j += 997) {
    EXPECT_NEAR(last->row(0)[static_cast<size_t>(j)], got->row(got->n_rows - 1)[static_cast<size_t>(j)],
                1e-3f);
  }
  EXPECT_FALSE(r->decode(t, 0, 250, true).ok());  // past num_ctx
  EXPECT_FALSE(r->decode(t, 7, 0, true).ok());    // no such sequence
}

TEST_F(RunnerTest, ContextFullEndsWithLength) {
  RunnerOptions o;
  o.num_ctx = 24;
  auto r = load(o);
  ASSERT_TRUE(r);
  const std::vector<int32_t> prompt = tokens(*r, "Only a few tokens of room are left here.");
  ASSERT_LT(prompt.size(), 20u);
  Result<GenerateResult> g = r->generate(greedy(prompt, -1));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_EQ(g->done_reason, sample::DoneReason::kLength);
  EXPECT_EQ(g->stats.eval_count, 24 - static_cast<int64_t>(prompt.size()));
  std::vector<int32_t> too_long(30, prompt[0]);
  EXPECT_EQ(r->generate(greedy(too_long, 4)).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RunnerTest, CancelFromTheStreamAndFromTheFlag) {
  auto r = load();
  ASSERT_TRUE(r);
  GenerateRequest g = greedy(tokens(*r, "Count to one hundred:"), 50);
  std::atomic<bool> cancel{false};
  int pieces = 0;
  g.cancel = &cancel;
  g.on_text = [&](std::string_view) {
    if (++pieces == 3) cancel = true;
    return true;
  };
  Result<GenerateResult> res = r->generate(std::move(g));
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->cancelled);
  EXPECT_LT(res->stats.eval_count, 10);
  // The runner serves the next request normally.
  const std::vector<int32_t> p = tokens(*r, "Next!");
  Result<GenerateResult> next = r->generate(greedy(p, 3));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->tokens, reference_greedy(*r, p, 3));
}

TEST_F(RunnerTest, DecodeStepsReuseTheGraphPlan) {
  auto r = load();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->generate(greedy(tokens(*r, "Plan reuse"), 6)).ok());
  EXPECT_TRUE(r->allocation_stats().plan_reused);
}

TEST_F(RunnerTest, DebugDumpWritesNamedTensors) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("corral_runner_dump_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RunnerOptions o;
  o.dump.dir = dir.string();
  o.dump.filter = "result_output|attn_norm";
  auto r = load(o);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->generate(greedy(tokens(*r, "Dump me"), 2)).ok());
  int npy = 0;
  bool logits = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".npy") ++npy;
    if (e.path().filename() == "result_output.npy") logits = true;
  }
  EXPECT_TRUE(logits);
  EXPECT_GE(npy, 2 * 3);  // two steps: result_output + attn_norm of both layers
  std::filesystem::remove_all(dir);
}

TEST_F(RunnerTest, LoadErrorsNameTheFile) {
  RunnerOptions o;
  Result<std::unique_ptr<Runner>> missing = Runner::load("/nonexistent/model.gguf", o, backends_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.gguf"), std::string::npos);

  const std::filesystem::path garbage =
      std::filesystem::temp_directory_path() / ("corral_garbage_" + std::to_string(::getpid()));
  std::ofstream(garbage) << "this is not a GGUF file at all, just some text";
  Result<std::unique_ptr<Runner>> bad = Runner::load(garbage.string(), o, backends_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(garbage.string()), std::string::npos);
  std::filesystem::remove(garbage);

  // An architecture corral does not know.
  Result<GgufFile> tiny = GgufFile::open(testing::tiny_model_path());
  ASSERT_TRUE(tiny.ok());
  GgufWriter w;
  ASSERT_TRUE(gguf_copy_into(*tiny, &w).ok());
  w.set("general.architecture", GgufValue::from_string("not-an-arch"));
  const std::filesystem::path odd =
      std::filesystem::temp_directory_path() / ("corral_arch_" + std::to_string(::getpid()) + ".gguf");
  ASSERT_TRUE(w.write(odd.string()).ok());
  Result<std::unique_ptr<Runner>> unknown = Runner::load(odd.string(), o, backends_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnsupported) << unknown.status().to_string();
  std::filesystem::remove(odd);

  o.num_ctx = 0;
  EXPECT_EQ(Runner::load(testing::tiny_model_path(), o, backends_).status().code(),
            StatusCode::kInvalidArgument);
}

// Ollama's context shift, done by re-computation: when the sequence fills num_ctx, the first
// num_keep tokens stay, half of the rest is dropped and generation continues from what is left
// as if that were the whole context. Reference: the model driven directly on those tokens.
TEST_F(RunnerTest, ContextShiftKeepsNumKeepAndContinuesPastNumCtx) {
  RunnerOptions o;
  o.num_ctx = 32;
  o.batch_size = 7;  // the re-computed tail is chunked too
  auto r = load(o);
  ASSERT_TRUE(r);
  const std::vector<int32_t> prompt = tokens(*r, "The context is short: generation must shift it and go on.");
  const size_t np = prompt.size();
  ASSERT_GT(np, 6u);
  ASSERT_LT(np, 16u);
  GenerateRequest req = greedy(prompt, 40);
  req.context_shift = true;
  req.num_keep = 4;
  Result<GenerateResult> g = r->generate(std::move(req));
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_EQ(g->tokens.size(), 40u) << "a random-weight model should not emit EOG here";
  EXPECT_EQ(g->done_reason, sample::DoneReason::kLength);
  EXPECT_EQ(g->stats.prompt_eval_count, static_cast<int64_t>(np));  // re-computed tokens are not prompt
  const std::vector<int32_t>& gen = g->tokens;
  // Before the shift: tokens 0 .. 32-np sampled from an unshifted context of up to 32 tokens.
  const size_t first = 32 - np;  // index of the token pending when the cache was full
  std::vector<int32_t> before(gen.begin(), gen.begin() + static_cast<long>(first) + 1);
  EXPECT_EQ(before, reference_greedy(*r, prompt, static_cast<int>(first) + 1));
  // The shift: 32 tokens cached, keep 4, drop (32 - 4) / 2 = 14, then the pending token.
  std::vector<int32_t> full = prompt;
  full.insert(full.end(), gen.begin(), gen.begin() + static_cast<long>(first));
  ASSERT_EQ(full.size(), 32u);
  std::vector<int32_t> shifted(full.begin(), full.begin() + 4);
  shifted.insert(shifted.end(), full.begin() + 18, full.end());
  shifted.push_back(gen[first]);
  ASSERT_EQ(shifted.size(), 19u);
  // Sampled from 19, 20, ..., 32 cached tokens: 14 tokens before the next shift.
  std::vector<int32_t> after(gen.begin() + static_cast<long>(first) + 1,
                             gen.begin() + static_cast<long>(first) + 15);
  EXPECT_EQ(after, reference_greedy(*r, shifted, 14));

  // Without context_shift the same request ends at the window ("length", 32 - np tokens).
  Result<GenerateResult> plain = r->generate(greedy(prompt, 40));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->tokens.size(), 32 - np);
  // num_keep beyond the context: nothing can be dropped, so it ends with "length" once the
  // token sampled from the full window (it is emitted; it just cannot be fed) is out.
  GenerateRequest keep_all = greedy(prompt, 40);
  keep_all.context_shift = true;
  keep_all.num_keep = 1000;
  Result<GenerateResult> k = r->generate(std::move(keep_all));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->tokens.size(), 32 - np + 1);
  EXPECT_EQ(std::vector<int32_t>(k->tokens.begin(), k->tokens.end() - 1), plain->tokens);
  EXPECT_EQ(k->done_reason, sample::DoneReason::kLength);
}

}  // namespace
}  // namespace corral
