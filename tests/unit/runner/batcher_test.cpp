// sched::Batcher on the tiny random-weight llama: requests from several threads decode together
// (continuous batching) and each gets exactly the tokens the Runner gives it alone; requests
// beyond the slots wait and start when a slot frees; a stream that refuses text, or a cancel
// flag, frees the slot within a step so a waiting request starts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "backends/cpu/builtin_backends.h"
#include "runner/runner.h"
#include "runner_test_util.h"
#include "sched/batcher.h"

namespace corral {
namespace {

class BatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(register_builtin_backends(backends_).ok()); }
  std::unique_ptr<Runner> load(int sequences) {
    RunnerOptions o;
    o.num_ctx = 128;
    o.max_sequences = sequences;
    o.batch_size = 16;
    o.backend_options.num_threads = 2;
    return testing::load_tiny_runner(o, backends_);
  }
  static GenerateRequest greedy(std::vector<int32_t> prompt, int n) {
    return testing::greedy_request(std::move(prompt), n);
  }
  BackendRegistry backends_;
};

TEST_F(BatcherTest, ConcurrentRequestsMatchSoloRunsAndQueueBeyondTheSlots) {
  auto solo_runner = load(1);
  auto r = load(3);
  ASSERT_TRUE(solo_runner && r);
  const std::vector<std::string> texts = {"One prompt.",
                                          "A second, longer prompt that needs a couple of chunks here.",
                                          "Third", "Fourth prompt waits for a slot.", "Fifth and last."};
  std::vector<std::vector<int32_t>> expected;
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < texts.size(); ++i) {
    prompts.push_back(r->tokenizer().encode(texts[i], false, false));
    Result<GenerateResult> g = solo_runner->generate(greedy(prompts[i], 12 + static_cast<int>(i)));
    ASSERT_TRUE(g.ok());
    expected.push_back(g->tokens);
  }
  std::mutex compute_mu;
  sched::Batcher batcher(*r, compute_mu);
  std::vector<Result<GenerateResult>> results(texts.size(),
                                              Result<GenerateResult>(internal_error("not run")));
  std::vector<std::string> streamed(texts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      GenerateRequest req = greedy(prompts[i], 12 + static_cast<int>(i));
      req.on_text = [&, i](std::string_view t) {
        streamed[i].append(t);
        return true;
      };
      results[i] = batcher.generate(std::move(req));
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().to_string();
    EXPECT_EQ(results[i]->tokens, expected[i]) << "request " << i;
    EXPECT_EQ(streamed[i], results[i]->text) << "request " << i;
  }
  EXPECT_EQ(batcher.waiting(), 0);
  EXPECT_EQ(batcher.running(), 0);
}

TEST_F(BatcherTest, CancelledStreamFreesItsSlotForAWaitingRequest) {
  auto r = load(1);
  ASSERT_TRUE(r);
  std::mutex compute_mu;
  sched::Batcher batcher(*r, compute_mu);
  const std::vector<int32_t> prompt = r->tokenizer().encode("Generate for a long time.", false, false);
  std::atomic<int> chunks{0};
  std::atomic<bool> refuse{false};
  Result<GenerateResult> first(internal_error("not run"));
  std::thread a([&] {
    GenerateRequest req = greedy(prompt, 100);  // would take 100 steps
    req.on_text = [&](std::string_view) {
      ++chunks;
      return !refuse.load();
    };
    first = batcher.generate(std::move(req));
  });
  while (chunks.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // A second request waits: the only slot is busy.
  Result<GenerateResult> second(internal_error("not run"));
  std::thread b([&] { second = batcher.generate(greedy(prompt, 3)); });
  while (batcher.waiting() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(batcher.running(), 1);
  refuse = true;  // the client "disconnects": its next write fails
  a.join();
  b.join();
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->cancelled);
  EXPECT_LT(first->stats.eval_count, 100);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_FALSE(second->cancelled);
  EXPECT_EQ(second->stats.eval_count, 3);

  // A cancel flag set while queued takes the request out of the queue.
  std::atomic<bool> stop_first{false};
  std::atomic<bool> stop_queued{false};
  Result<GenerateResult> running(internal_error("not run"));
  Result<GenerateResult> queued(internal_error("not run"));
  std::thread c([&] {
    GenerateRequest req = greedy(prompt, 100);
    req.cancel = &stop_first;
    running = batcher.generate(std::move(req));
  });
  while (batcher.running() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread d([&] {
    GenerateRequest req = greedy(prompt, 5);
    req.cancel = &stop_queued;
    queued = batcher.generate(std::move(req));
  });
  while (batcher.waiting() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop_queued = true;
  d.join();
  ASSERT_TRUE(queued.ok());
  EXPECT_TRUE(queued->cancelled);
  EXPECT_EQ(queued->stats.eval_count, 0);
  stop_first = true;
  c.join();
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->cancelled);
}

}  // namespace
}  // namespace corral
