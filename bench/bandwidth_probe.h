// The memory-read probe shared by bench_bandwidth and bench_matmul: sums a buffer far larger than
// the L3 on the threads of a SpinPool, so memory-bound kernels (decode GEMV) can be read as a
// fraction of the machine's measured read bandwidth. Bench-only; depends on bench_pool.h only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "bench_pool.h"

namespace corral::bench {

// A 512 MiB buffer of distinct values (made once, faulted in).
inline const uint64_t* probe_buffer(size_t* bytes) {
  static constexpr size_t kBytes = size_t{512} << 20;
  static std::unique_ptr<uint64_t[]> buf = [] {
    std::unique_ptr<uint64_t[]> b(new uint64_t[kBytes / 8]);
    for (size_t i = 0; i < kBytes / 8; ++i) b[i] = i;
    return b;
  }();
  *bytes = kBytes;
  return buf.get();
}

inline uint64_t probe_sum(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return s0 ^ s1 ^ s2 ^ s3;
}

// Reads `bytes` starting at p (split evenly over the pool's threads); returns the seconds taken.
inline double probe_read(SpinPool& pool, const uint64_t* p, size_t bytes, uint64_t* sink) {
  const int threads = pool.size();
  const size_t n = bytes / 8;
  const auto t0 = std::chrono::steady_clock::now();
  pool.run([&](int t) { sink[t] += probe_sum(p + n * t / threads, n / threads); });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace corral::bench
