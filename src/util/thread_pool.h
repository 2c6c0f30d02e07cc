// ThreadPool: a fixed set of worker threads created once (one pool per Runtime) and a
// parallel_for over an index range with low dispatch overhead: workers spin briefly on a
// generation counter, then sleep on it. Kernels split work through it; nothing spawns threads per op.
// Depends only on the standard library.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace corral {

class ThreadPool {
 public:
  // n_threads counts the calling thread: n_threads - 1 workers are started. 0 = hardware threads.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_index) over chunks of [0, n) on all threads (the caller too) and
  // returns when every chunk is done. Chunks hold at least min_chunk indices; they are claimed
  // dynamically, so uneven chunks balance. thread_index < size() identifies per-thread scratch.
  // Thread-safe: concurrent callers are serialised. Must not be called from inside fn.
  template <typename Fn>
  void parallel_for(int64_t n, int64_t min_chunk, Fn&& fn) {
    if (n <= 0) return;
    if (min_chunk < 1) min_chunk = 1;
    if (n_threads_ == 1 || n <= min_chunk) {
      fn(int64_t{0}, n, 0);
      return;
    }
    Job job;
    job.ctx = &fn;
    job.call = [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<Fn*>(ctx))(b, e, t); };
    run(job, n, min_chunk);
  }

 private:
  struct Job {
    void* ctx = nullptr;
    void (*call)(void*, int64_t, int64_t, int) = nullptr;
  };

  void run(const Job& job, int64_t n, int64_t min_chunk);
  void worker_main(int index);
  void work_on_current(int thread_index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex dispatch_mu_;

  // The current job, published by bumping generation_.
  Job job_;
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  alignas(64) std::atomic<int64_t> next_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace corral
