// The fused flash-attention op on the CPU backend at Llama-3.2-1B's attention shapes (32 query
// heads, 8 KV heads, head dim 64), F16 and F32 K/V, 1 and 2 threads: decode (1 query, causal,
// context 512/2048/4096) and prefill (512 queries, causal, 512 keys); also the round_f16 variant
// (llama.cpp's F16 arithmetic) that models use with an F16 cache. Counters: GB/s (K and V
// bytes read per second; the decode limit) and GFLOP/s (2 * (q k^T + p v) over the unmasked
// pairs; the prefill limit). Built through ml/ (Context, GraphAllocator) as a model would.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "ml/allocator.h"
#include "ml/context.h"
#include "ml/ops.h"
#include "ml/quant.h"
#include "util/thread_pool.h"

namespace {

using corral::DType;

constexpr int64_t kHq = 32, kHkv = 8, kD = 64;

void fill(const corral::Tensor& t, uint32_t seed) {
  const corral::TensorNode& n = *t.node();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t row = n.shape.last(), rows = n.shape.numel() / row;
  std::vector<float> f(static_cast<size_t>(row));
  const size_t row_bytes = corral::contiguous_bytes(n.dtype, corral::Shape{row});
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : f) v = dist(rng);
    (void)corral::quantize_row(n.dtype, f.data(), n.data + static_cast<size_t>(r) * row_bytes, row);
  }
}

void BM_FlashAttention(benchmark::State& state) {
  // kv: 0 = F16, 1 = F32, 2 = F16 with round_f16 (llama.cpp's F16 arithmetic, what models run
  // with an F16 cache).
  const DType kv = state.range(0) == 1 ? DType::kF32 : DType::kF16;
  const bool round_f16 = state.range(0) == 2;
  const int64_t nq = state.range(1), nkv = state.range(2);
  const int threads = static_cast<int>(state.range(3));
  corral::Context ctx;
  corral::Tensor q = ctx.input(DType::kF32, {kHq, nq, kD});
  corral::Tensor k = ctx.input(kv, {kHkv, nkv, kD});
  corral::Tensor v = ctx.input(kv, {kHkv, nkv, kD});
  corral::Tensor out = corral::flash_attention(ctx, q, k, v, {.scale = 0.125f, .causal = true, .round_f16 = round_f16});
  corral::Graph g = ctx.build({out});
  corral::GraphAllocator alloc;
  if (!alloc.allocate(g).ok()) return state.SkipWithError("allocate failed");
  fill(q, 1);
  fill(k, 2);
  fill(v, 3);
  corral::ThreadPool pool(threads);
  corral::BackendOptions opts;
  opts.pool = &pool;
  auto cpu = corral::cpu::CpuBackend::create(opts);
  if (!cpu.ok()) return state.SkipWithError("no cpu backend");
  for (auto _ : state) {
    if (!(*cpu)->compute(g).ok()) return state.SkipWithError("compute failed");
    benchmark::DoNotOptimize(out.node()->data);
  }
  // Query i sees keys j <= i + (nkv - nq).
  double pairs = 0;
  for (int64_t i = 0; i < nq; ++i) pairs += static_cast<double>(i + (nkv - nq) + 1);
  const double iters = static_cast<double>(state.iterations());
  const double kv_bytes = 2.0 * static_cast<double>(kHkv * nkv * kD) * (kv == DType::kF16 ? 2 : 4);
  state.counters["GB/s"] = benchmark::Counter(kv_bytes * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * kHq * kD * pairs * iters / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(round_f16 ? "F16-round" : kv == DType::kF16 ? "F16" : "F32") + (nq == 1 ? " decode" : " prefill") + " ctx " +
                 std::to_string(nkv) + " " + std::string(corral::cpu::isa_name((*cpu)->isa())));
}

void args(benchmark::internal::Benchmark* b) {
  for (int64_t kv : {0, 1, 2})
    for (int threads : {1, 2}) {
      for (int64_t ctx : {512, 2048, 4096}) b->Args({kv, 1, ctx, threads});
      b->Args({kv, 512, 512, threads});
    }
}

}  // namespace

BENCHMARK(BM_FlashAttention)->Apply(args)->UseRealTime()->Unit(benchmark::kMicrosecond)
    ->ArgNames({"kv", "nq", "nkv", "threads"});
BENCHMARK_MAIN();
