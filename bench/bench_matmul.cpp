// mul_mat through the CPU matmul seam (gemm.h), per weight dtype, at the decode shape
// (1 x 2048 -> 8192) and the prefill shape (512 x 2048 -> 8192), on 1 and 2 threads.
// BM_DecodeVsBandwidth alternates the decode shape with the memory-read probe (bandwidth_probe.h)
// in the same process and prints the kernel's weight GB/s as a fraction of the probe's;
// BM_DecodeBatch prints the time per activation row of 2..8-row decode batches relative to one row.
// Each iteration packs the activations (split across threads) and computes all tiles, as the
// CPU mul_mat op does. Decode rotates over enough weight copies (>= 128 MiB) that the weights
// come from DRAM, as in a real model. Counters: GB/s (weight bytes / s), GFLOP/s.
// Env CORRAL_BENCH_ISA=generic|avx2|avx512 picks the ISA (default: the best one).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/repack.h"
#include "bandwidth_probe.h"
#include "bench_pool.h"
#include "ml/quant.h"

namespace {

using corral::DType;
using namespace corral::cpu;

constexpr int64_t kK = 2048, kN = 8192;
constexpr size_t kColdBytes = size_t{128} << 20;

const DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                        DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                        DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

Isa bench_isa() {
  const char* env = std::getenv("CORRAL_BENCH_ISA");
  if (env == nullptr) return best_isa();
  auto r = parse_isa(env);
  return r.ok() ? *r : best_isa();
}

struct Weights {
  size_t row_bytes = 0;
  size_t matrix_bytes = 0;
  std::vector<std::unique_ptr<uint8_t[]>> copies;
};

// The Q4_0x8 layout (repack.h) of Q4_0 weights, as the CPU backend stores model weights where
// q4_0x8_direct holds; benchmarks take it as dtype id kQ4_0x8.
constexpr int64_t kQ4_0x8 = 1000;

// One quantized 8192 x 2048 matrix (64 distinct random rows, repeated), copied `copies` times;
// x8: repacked to Q4_0x8 (t must be Q4_0).
const Weights& weights(DType t, int copies, bool x8 = false) {
  static std::map<std::tuple<DType, int, bool>, Weights> cache;
  auto it = cache.find({t, copies, x8});
  if (it != cache.end()) return it->second;
  Weights w;
  w.row_bytes = *corral::dtype_row_bytes(t, kK);
  w.matrix_bytes = w.row_bytes * kN;
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> row(kK);
  constexpr int kDistinct = 64;
  std::vector<uint8_t> base(w.row_bytes * kDistinct);
  for (int i = 0; i < kDistinct; ++i) {
    for (auto& v : row) v = nd(rng);
    (void)corral::quantize_row(t, row.data(), base.data() + i * w.row_bytes, kK);
  }
  for (int c = 0; c < copies; ++c) {
    std::unique_ptr<uint8_t[]> m(new uint8_t[w.matrix_bytes]);
    for (int64_t i = 0; i < kN; i += kDistinct)
      std::memcpy(m.get() + i * w.row_bytes, base.data(), base.size());
    if (x8) repack_q4_0x8(m.get(), kN, kK);
    w.copies.push_back(std::move(m));
  }
  return cache.emplace(std::make_tuple(t, copies, x8), std::move(w)).first->second;
}

// The weight dtype of a benchmark dtype id (kQ4_0x8: Q4_0).
DType id_dtype(int64_t id) {
  return id == kQ4_0x8 ? DType::kQ4_0 : static_cast<DType>(id);
}
std::string id_name(int64_t id) {
  return id == kQ4_0x8 ? "Q4_0x8" : std::string(corral::dtype_name(id_dtype(id)));
}

// matmul_tile, or matmul_tile_q4_0x8 for x8 weights.
void tile(Isa isa, bool x8, DType t, const uint8_t* w, size_t row_bytes, const uint8_t* xq, size_t xr,
          float* c, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  if (x8) return matmul_tile_q4_0x8(isa, kK, w, xq, xr, c, kN, i0, i1, j0, j1);
  matmul_tile(isa, t, kK, w, row_bytes, xq, xr, c, kN, i0, i1, j0, j1);
}

void BM_MulMat(benchmark::State& state) {
  const DType t = kTypes[state.range(0)];
  const int64_t m = state.range(1);  // activation rows
  const int threads = static_cast<int>(state.range(2));
  const Isa isa = bench_isa();
  const size_t one = *corral::dtype_row_bytes(t, kK) * kN;
  const int copies = m == 1 ? static_cast<int>(std::max<size_t>(1, (kColdBytes + one - 1) / one)) : 1;
  const Weights& w = weights(t, copies);
  std::vector<float> x(m * kK);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  const size_t xr = activation_row_bytes(t, kK);
  std::vector<uint8_t> xq(xr * m);
  std::vector<float> c(m * kN);
  corral::bench::SpinPool pool(threads);
  const TileHint hint = preferred_tile(isa, t);
  int copy = 0;
  for (auto _ : state) {
    const uint8_t* wm = w.copies[copy].get();
    copy = (copy + 1) % copies;
    pool.run([&](int tid) {
      for (int64_t j = m * tid / threads; j < m * (tid + 1) / threads; ++j) {
        pack_activations(isa, t, x.data() + j * kK, kK, xq.data() + j * xr);
      }
    });
    pool.run([&](int tid) {
      // Each thread owns a contiguous band of weight rows; activation rows in L2-sized tiles.
      const int64_t i0 = kN * tid / threads, i1 = kN * (tid + 1) / threads;
      for (int64_t j0 = 0; j0 < m; j0 += hint.cols) {
        const int64_t j1 = std::min(m, j0 + hint.cols);
        matmul_tile(isa, t, kK, wm, w.row_bytes, xq.data(), xr, c.data(), kN, i0, i1, j0, j1);
      }
    });
    benchmark::DoNotOptimize(c.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(w.matrix_bytes) * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * kN * kK * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(corral::dtype_name(t)) + (m == 1 ? " decode " : " prefill ") +
                 std::string(isa_name(isa)));
}

void args(benchmark::internal::Benchmark* b) {
  for (int t = 0; t < static_cast<int>(std::size(kTypes)); ++t)
    for (int64_t m : {1, 512})
      for (int threads : {1, 2}) b->Args({t, m, threads});
}

// Decode compute speed with the weights hot in L2 (256 x 2048), one thread, rates per CPU second:
// what the kernel can do when memory keeps up, and stable on a shared, loaded machine; best_GB/s
// from the fastest single matmul call (packing excluded).
void BM_DecodeHot(benchmark::State& state) {
  const bool x8 = state.range(0) == static_cast<int64_t>(std::size(kTypes));  // the last: Q4_0x8
  const DType t = x8 ? DType::kQ4_0 : kTypes[state.range(0)];
  const Isa isa = bench_isa();
  constexpr int64_t kRowsHot = 256;
  const Weights& w = weights(t, 1, x8);
  std::vector<float> x(kK);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  std::vector<uint8_t> xq(activation_row_bytes(t, kK));
  std::vector<float> c(kRowsHot);
  pack_activations(isa, t, x.data(), kK, xq.data());
  double best = 1e30;  // the best call: the kernel's own speed on a loaded machine
  for (auto _ : state) {
    pack_activations(isa, t, x.data(), kK, xq.data());
    const auto t0 = std::chrono::steady_clock::now();
    tile(isa, x8, t, w.copies[0].get(), w.row_bytes, xq.data(), xq.size(), c.data(), 0, kRowsHot, 0, 1);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    benchmark::DoNotOptimize(c.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.row_bytes * kRowsHot) * iters / 1e9,
                                              benchmark::Counter::kIsRate);
  state.counters["best_GB/s"] = static_cast<double>(w.row_bytes * kRowsHot) / best / 1e9;
  state.SetLabel((x8 ? std::string("Q4_0x8") : std::string(corral::dtype_name(t))) + " decode-hot " +
                 std::string(isa_name(isa)));
}

// Decode (1 x 2048 -> 8192, weights from DRAM) alternated with the read-bandwidth probe on the same
// threads: each iteration streams all weight copies (>= 128 MiB) once, then the probe reads 128 MiB
// of its own buffer. Counters: GB/s (weight bytes per second of kernel time), probe_GB/s, and
// frac = their ratio (issue 3 asks >= 0.8 on 2 threads). Interleaving makes machine noise hit both.
// frac_best compares the best single call (one matrix) with the best probe piece of the same size.
void BM_DecodeVsBandwidth(benchmark::State& state) {
  const bool x8 = state.range(0) == kQ4_0x8;
  const DType t = id_dtype(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const Isa isa = bench_isa();
  const size_t one = *corral::dtype_row_bytes(t, kK) * kN;
  const int copies = static_cast<int>(std::max<size_t>(1, (kColdBytes + one - 1) / one));
  const Weights& w = weights(t, copies, x8);
  std::vector<float> x(kK);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  const size_t xr = activation_row_bytes(t, kK);
  std::vector<uint8_t> xq(xr);
  std::vector<float> c(kN);
  corral::bench::SpinPool pool(threads);
  size_t probe_bytes = 0;
  const uint64_t* probe = corral::bench::probe_buffer(&probe_bytes);
  constexpr size_t kProbeChunk = size_t{128} << 20;
  size_t probe_off = 0;
  uint64_t sink[8] = {};
  double kernel_s = 0, probe_s = 0, kernel_bytes = 0, probe_total = 0;
  // Best single call (one weight matrix) and best probe piece of the same size: on a shared,
  // loaded machine the best case is the one least disturbed by other processes.
  double best_call = 1e30, best_piece = 1e30;
  const size_t piece = std::min(w.matrix_bytes / 64 * 64, kProbeChunk);
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int cp = 0; cp < copies; ++cp) {
      const auto c0 = std::chrono::steady_clock::now();
      const uint8_t* wm = w.copies[cp].get();
      pack_activations(isa, t, x.data(), kK, xq.data());
      pool.run([&](int tid) {
        const int64_t i0 = kN * tid / threads, i1 = kN * (tid + 1) / threads;
        tile(isa, x8, t, wm, w.row_bytes, xq.data(), xr, c.data(), i0, i1, 0, 1);
      });
      best_call =
          std::min(best_call, std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count());
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(dt);
    kernel_s += dt;
    kernel_bytes += static_cast<double>(w.matrix_bytes) * copies;
    for (size_t off = 0; off + piece <= kProbeChunk; off += piece) {
      const double pt = corral::bench::probe_read(pool, probe + (probe_off + off) / 8, piece, sink);
      probe_s += pt;
      best_piece = std::min(best_piece, pt);
      probe_total += static_cast<double>(piece);
    }
    probe_off = (probe_off + kProbeChunk) % probe_bytes;
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(sink);
  }
  const double kernel_gbs = kernel_bytes / kernel_s / 1e9, probe_gbs = probe_total / probe_s / 1e9;
  state.counters["GB/s"] = kernel_gbs;
  state.counters["probe_GB/s"] = probe_gbs;
  state.counters["frac"] = kernel_gbs / probe_gbs;
  state.counters["best_GB/s"] = static_cast<double>(w.matrix_bytes) / best_call / 1e9;
  state.counters["best_probe"] = static_cast<double>(piece) / best_piece / 1e9;
  state.counters["frac_best"] =
      (static_cast<double>(w.matrix_bytes) / best_call) / (static_cast<double>(piece) / best_piece);
  state.SetLabel(id_name(state.range(0)) + " decode vs read probe " + std::string(isa_name(isa)));
}

// Small batches of sequences decoding together (the server's NUM_PARALLEL): cols = 1, 2, 4, 8
// activation rows at the decode shape, weights from DRAM. Each iteration runs one decode (cols = 1)
// and then the batch over the next weight copies, on the same threads, so machine noise hits both.
// Counters: ms per batch call, per_row_vs_1 = (batch time / cols) / single-row time (1 / the
// aggregate speedup over one stream; issue 7 asks for 4 streams at >= 2x one: <= 0.5 at cols = 4),
// best_per_row_vs_1 the same from the best call of each.
void BM_DecodeBatch(benchmark::State& state) {
  const bool x8 = state.range(0) == kQ4_0x8;
  const DType t = id_dtype(state.range(0));
  const int64_t cols = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  const Isa isa = bench_isa();
  const size_t one = *corral::dtype_row_bytes(t, kK) * kN;
  const int copies = static_cast<int>(std::max<size_t>(2, (kColdBytes + one - 1) / one));
  const Weights& w = weights(t, copies, x8);
  std::vector<float> x(cols * kK);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : x) v = nd(rng);
  const size_t xr = activation_row_bytes(t, kK);
  std::vector<uint8_t> xq(xr * cols);
  std::vector<float> c(cols * kN);
  corral::bench::SpinPool pool(threads);
  int copy = 0;
  auto call = [&](int64_t n) {
    const uint8_t* wm = w.copies[copy].get();
    copy = (copy + 1) % copies;
    pool.run([&](int tid) {
      for (int64_t j = n * tid / threads; j < n * (tid + 1) / threads; ++j) {
        pack_activations(isa, t, x.data() + j * kK, kK, xq.data() + j * xr);
      }
    });
    pool.run([&](int tid) {
      const int64_t i0 = kN * tid / threads, i1 = kN * (tid + 1) / threads;
      tile(isa, x8, t, wm, w.row_bytes, xq.data(), xr, c.data(), i0, i1, 0, n);
    });
  };
  double single_s = 0, batch_s = 0, best_single = 1e30, best_batch = 1e30;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    call(1);
    auto t1 = std::chrono::steady_clock::now();
    call(cols);
    auto t2 = std::chrono::steady_clock::now();
    single_s += std::chrono::duration<double>(t1 - t0).count();
    best_single = std::min(best_single, std::chrono::duration<double>(t1 - t0).count());
    const double dt = std::chrono::duration<double>(t2 - t1).count();
    best_batch = std::min(best_batch, dt);
    batch_s += dt;
    state.SetIterationTime(dt);
    benchmark::DoNotOptimize(c.data());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["ms_1row"] = single_s / iters * 1e3;
  state.counters["ms_batch"] = batch_s / iters * 1e3;
  state.counters["per_row_vs_1"] = (batch_s / static_cast<double>(cols)) / single_s;
  // The same from the best call of each (a loaded machine disturbs the means).
  state.counters["best_per_row_vs_1"] = (best_batch / static_cast<double>(cols)) / best_single;
  state.SetLabel(id_name(state.range(0)) + " decode x" + std::to_string(cols) + " " +
                 std::string(isa_name(isa)));
}

}  // namespace

BENCHMARK(BM_DecodeBatch)
    ->ArgsProduct({{static_cast<int64_t>(DType::kQ4_0), kQ4_0x8, static_cast<int64_t>(DType::kQ4_K),
                    static_cast<int64_t>(DType::kQ8_0), static_cast<int64_t>(DType::kQ6_K)},
                   {1, 2, 4, 8},
                   {2}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->ArgNames({"dtype", "cols", "threads"});
BENCHMARK(BM_DecodeVsBandwidth)
    ->ArgsProduct({{static_cast<int64_t>(DType::kQ4_0), kQ4_0x8, static_cast<int64_t>(DType::kQ4_K),
                    static_cast<int64_t>(DType::kQ8_0)},
                   {1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->ArgNames({"dtype", "threads"});
BENCHMARK(BM_DecodeHot)
    ->DenseRange(0, static_cast<int>(std::size(kTypes)))
    ->Unit(benchmark::kMicrosecond)
    ->ArgNames({"type"});
BENCHMARK(BM_MulMat)
    ->Apply(args)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->ArgNames({"type", "m", "threads"});
BENCHMARK_MAIN();
