// Scheduler behaviour on the real SmolLM2 GGUF: load once and reuse, keep_alive 0 / expiry /
// forever, LRU eviction at max_loaded_models, the admission bound (kUnavailable), reload on a
// different num_ctx, unload while in use, cancellation while waiting, and load errors.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/runtime.h"
#include "sched/scheduler.h"

namespace corral::sched {
namespace {

using namespace std::chrono_literals;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(CORRAL_SMOLLM2_GGUF).empty()) GTEST_SKIP() << "no SmolLM2 GGUF";
    runtime_ = std::make_unique<Runtime>(EnvConfig{});
    backend_options_ = runtime_->backend_options();
  }
  std::unique_ptr<Scheduler> make(int max_loaded, int max_queue) {
    SchedulerOptions o;
    o.max_loaded_models = max_loaded;
    o.max_queue = max_queue;
    return std::make_unique<Scheduler>(o, [this](const ModelSpec& s) {
      ++loads_;
      RunnerOptions ro;
      ro.num_ctx = s.num_ctx;
      ro.backend_options = backend_options_;
      return Runner::load(s.model_path, ro, runtime_->backends());
    });
  }
  static ModelSpec spec(std::string name, std::chrono::nanoseconds keep_alive = 5min, int num_ctx = 256) {
    ModelSpec s;
    s.name = std::move(name);
    s.model_path = CORRAL_SMOLLM2_GGUF;
    s.num_ctx = num_ctx;
    s.keep_alive.duration = keep_alive;
    return s;
  }
  std::unique_ptr<Runtime> runtime_;
  BackendOptions backend_options_;
  std::atomic<int> loads_{0};
};

TEST_F(SchedulerTest, LoadsOnceAndKeepsAlive) {
  auto sched = make(3, 8);
  {
    auto a = sched->acquire(spec("m"));
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_GT((*a)->load_ns(), 0);
    EXPECT_EQ(sched->in_flight(), 1);
  }
  {
    auto b = sched->acquire(spec("m"));
    ASSERT_TRUE(b.ok());
    EXPECT_EQ((*b)->load_ns(), 0);
  }
  EXPECT_EQ(loads_.load(), 1);
  EXPECT_EQ(sched->in_flight(), 0);
  auto loaded = sched->loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].name, "m");
  EXPECT_EQ(loaded[0].num_ctx, 256);
  auto left = loaded[0].expires_at - std::chrono::system_clock::now();
  EXPECT_GT(left, 4min);
  EXPECT_LE(left, 5min);
}

TEST_F(SchedulerTest, KeepAliveZeroUnloadsAfterRequest) {
  auto sched = make(3, 8);
  {
    auto a = sched->acquire(spec("m", 0s));
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(sched->is_loaded("m"));
  }
  EXPECT_FALSE(sched->is_loaded("m"));
}

TEST_F(SchedulerTest, ExpiresAfterKeepAlive) {
  auto sched = make(3, 8);
  { ASSERT_TRUE(sched->acquire(spec("m", 200ms)).ok()); }
  EXPECT_TRUE(sched->is_loaded("m"));
  for (int i = 0; i < 100 && sched->is_loaded("m"); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(sched->is_loaded("m"));
}

TEST_F(SchedulerTest, NegativeKeepAliveIsForever) {
  auto sched = make(3, 8);
  { ASSERT_TRUE(sched->acquire(spec("m", -1ns)).ok()); }
  std::this_thread::sleep_for(300ms);
  auto loaded = sched->loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(loaded[0].forever);
}

TEST_F(SchedulerTest, EvictsLeastRecentlyUsedIdleModel) {
  auto sched = make(1, 8);
  { ASSERT_TRUE(sched->acquire(spec("a")).ok()); }
  { ASSERT_TRUE(sched->acquire(spec("b")).ok()); }
  EXPECT_EQ(loads_.load(), 2);
  EXPECT_FALSE(sched->is_loaded("a"));
  EXPECT_TRUE(sched->is_loaded("b"));
}

TEST_F(SchedulerTest, QueueBoundAnswersUnavailable) {
  auto sched = make(3, 1);
  auto a = sched->acquire(spec("m"));
  ASSERT_TRUE(a.ok());
  auto b = sched->acquire(spec("m"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
  a->reset();
  EXPECT_TRUE(sched->acquire(spec("m")).ok());
}

TEST_F(SchedulerTest, CancelWhileWaitingForASlot) {
  auto sched = make(1, 8);
  auto a = sched->acquire(spec("a"));
  ASSERT_TRUE(a.ok());
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  auto b = sched->acquire(spec("b"), &cancel);  // "a" is busy and cannot be evicted
  t.join();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(sched->in_flight(), 1);
}

TEST_F(SchedulerTest, WaitsForBusyModelThenEvicts) {
  auto sched = make(1, 8);
  auto a = sched->acquire(spec("a"));
  ASSERT_TRUE(a.ok());
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    a->reset();
  });
  auto b = sched->acquire(spec("b"));
  t.join();
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(sched->is_loaded("a"));
}

TEST_F(SchedulerTest, DifferentContextReloads) {
  auto sched = make(3, 8);
  { ASSERT_TRUE(sched->acquire(spec("m", 5min, 256)).ok()); }
  { ASSERT_TRUE(sched->acquire(spec("m", 5min, 512)).ok()); }
  EXPECT_EQ(loads_.load(), 2);
  auto loaded = sched->loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].num_ctx, 512);
}

TEST_F(SchedulerTest, UnloadWhileInUseWaitsForRelease) {
  auto sched = make(3, 8);
  auto a = sched->acquire(spec("m"));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(sched->unload("m"));
  EXPECT_TRUE(sched->is_loaded("m"));
  a->reset();
  EXPECT_FALSE(sched->is_loaded("m"));
  EXPECT_FALSE(sched->unload("m"));
}

TEST_F(SchedulerTest, LoadErrorLeavesNothingBehind) {
  auto sched = make(3, 8);
  ModelSpec s = spec("missing");
  s.model_path = "/nonexistent/model.gguf";
  auto a = sched->acquire(s);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("/nonexistent/model.gguf"), std::string::npos) << a.status().to_string();
  EXPECT_FALSE(sched->is_loaded("missing"));
  EXPECT_EQ(sched->in_flight(), 0);
}

TEST_F(SchedulerTest, GeneratesThroughTheLease) {
  auto sched = make(3, 8);
  auto a = sched->acquire(spec("m"));
  ASSERT_TRUE(a.ok());
  GenerateRequest req;
  req.prompt = (*a)->runner().tokenizer().encode("The capital of France is", true, false);
  req.sampling.temperature = 0;
  req.num_predict = 4;
  std::string streamed;
  req.on_text = [&](std::string_view t) {
    streamed += t;
    return true;
  };
  auto r = (*a)->generate(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_LE(r->stats.eval_count, 4);
  EXPECT_GT(r->stats.eval_count, 0);
  EXPECT_EQ(streamed, r->text);
}

}  // namespace
}  // namespace corral::sched
