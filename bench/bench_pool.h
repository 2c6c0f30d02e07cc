// A tiny spinning worker pool for the benchmarks (until the engine's thread pool is there):
// run(n, fn) calls fn(t) for t in [0, n) on n threads, the caller being thread 0. Workers spin
// briefly between jobs (then yield, so an oversubscribed machine still makes progress), so a
// dispatch costs about a microsecond. Bench-only; not for the engine.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace corral::bench {

class SpinPool {
 public:
  explicit SpinPool(int threads) : n_(threads) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this, t] { loop(t); });
  }
  ~SpinPool() {
    stop_.store(true);
    generation_.fetch_add(1);
    for (auto& w : workers_) w.join();
  }
  SpinPool(const SpinPool&) = delete;
  SpinPool& operator=(const SpinPool&) = delete;

  int size() const { return n_; }

  void run(const std::function<void(int)>& fn) {
    job_ = &fn;
    pending_.store(n_ - 1);
    generation_.fetch_add(1, std::memory_order_release);
    fn(0);
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) relax(spins);
  }

 private:
  static void relax(int spins) {
    if (spins < 4096) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

  void loop(int t) {
    unsigned seen = 0;
    for (;;) {
      unsigned g;
      for (int spins = 0; (g = generation_.load(std::memory_order_acquire)) == seen; ++spins) relax(spins);
      seen = g;
      if (stop_.load()) return;
      (*job_)(t);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* job_ = nullptr;
};

}  // namespace corral::bench
