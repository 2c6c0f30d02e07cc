// Memory read bandwidth of a buffer far larger than the L3 (512 MiB), on 1 and 2 threads:
// the ceiling that memory-bound matmuls (decode) are measured against (bench_matmul's
// BM_DecodeVsBandwidth runs the same probe beside the kernels and prints the ratio).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bandwidth_probe.h"

namespace {

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  corral::bench::SpinPool pool(threads);
  size_t bytes = 0;
  const uint64_t* buf = corral::bench::probe_buffer(&bytes);
  uint64_t sink[8] = {};
  for (auto _ : state) {
    corral::bench::probe_read(pool, buf, bytes, sink);
    benchmark::DoNotOptimize(sink);
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(bytes) * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK_MAIN();
