// Memory read bandwidth of a buffer far larger than the L3 (512 MiB), on 1 and 2 threads:
// the ceiling that memory-bound matmuls (decode) are measured against.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "bench_pool.h"

namespace {

constexpr size_t kBytes = size_t{512} << 20;

uint64_t* buffer() {
  static std::unique_ptr<uint64_t[]> buf = [] {
    std::unique_ptr<uint64_t[]> b(new uint64_t[kBytes / 8]);
    for (size_t i = 0; i < kBytes / 8; ++i) b[i] = i;
    return b;
  }();
  return buf.get();
}

uint64_t sum_range(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return s0 ^ s1 ^ s2 ^ s3;
}

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  corral::bench::SpinPool pool(threads);
  const uint64_t* buf = buffer();
  const size_t n = kBytes / 8;
  uint64_t sink[8] = {};
  for (auto _ : state) {
    pool.run([&](int t) { sink[t] += sum_range(buf + n * t / threads, n / threads); });
    benchmark::DoNotOptimize(sink);
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(kBytes) * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_MAIN();
