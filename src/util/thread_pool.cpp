#include "util/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CORRAL_CPU_RELAX() _mm_pause()
#else
#define CORRAL_CPU_RELAX() std::atomic_signal_fence(std::memory_order_seq_cst)
#endif

namespace corral {
namespace {
// Spin iterations before a waiting thread sleeps: about 50-100 microseconds, enough to
// bridge the gap between consecutive ops of a graph without burning a core between steps.
constexpr int kSpinIterations = 2000;
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work_on_current(int thread_index) {
  for (;;) {
    const int64_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (begin >= n_) break;
    job_.call(job_.ctx, begin, std::min(n_, begin + chunk_), thread_index);
  }
}

void ThreadPool::run(const Job& job, int64_t n, int64_t min_chunk) {
  std::lock_guard<std::mutex> lock(dispatch_mu_);
  job_ = job;
  n_ = n;
  // About four chunks per thread balance uneven work without much claiming traffic.
  const int64_t target = (n + 4 * n_threads_ - 1) / (4 * n_threads_);
  chunk_ = std::max(min_chunk, target);
  next_.store(0, std::memory_order_relaxed);
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  work_on_current(0);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations) {
      CORRAL_CPU_RELAX();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::worker_main(int index) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
      CORRAL_CPU_RELAX();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    work_on_current(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace corral
