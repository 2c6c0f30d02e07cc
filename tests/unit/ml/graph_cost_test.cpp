// Measures what graph building and memory planning cost per decode step, against the compute of
// the same step, on a synthetic Llama-3.2-1B-sized graph (16 layers, hidden 2048, 32/8 heads,
// FFN 8192, vocab 128256, Q4_0 weights, F16 KV cache of 512 positions). Label slow.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "backends/cpu/cpu_backend.h"
#include "ml/allocator.h"
#include "ml/ops.h"

namespace corral {
namespace {

constexpr int kLayers = 16;
constexpr int64_t kHidden = 2048, kHeads = 32, kKvHeads = 8, kHeadDim = 64, kFfn = 8192, kVocab = 128256;
constexpr int64_t kCtx = 1024, kPast = 511;

struct Weights {
  Buffer mem;
  Context ctx;
  Tensor embd, out_norm;
  struct Layer {
    Tensor attn_norm, wq, wk, wv, wo, ffn_norm, wg, wu, wd, kcache, vcache;
  };
  std::vector<Layer> layers;
};

void make_weights(Weights& w) {
  size_t total = 0;
  auto q4 = [](int64_t rows, int64_t cols) { return contiguous_bytes(DType::kQ4_0, Shape{rows, cols}); };
  const size_t per_layer = q4(kHidden, kHidden) * 2 + q4(kKvHeads * kHeadDim, kHidden) * 2 + q4(kFfn, kHidden) * 3 +
                           2 * contiguous_bytes(DType::kF16, Shape{kCtx, kKvHeads, kHeadDim}) + 2 * kHidden * 4 + 4096;
  total = per_layer * kLayers + q4(kVocab, kHidden) + kHidden * 4 + 4096;
  auto mem = Buffer::allocate(total);
  ASSERT_TRUE(mem.ok());
  w.mem = std::move(mem).value();
  std::memset(w.mem.data(), 0x11, total);  // finite Q4_0 blocks and F16 values
  size_t off = 0;
  auto take = [&](DType t, const Shape& s) {
    Tensor x = w.ctx.external(t, s, w.mem.data() + off);
    off += (contiguous_bytes(t, s) + 63) / 64 * 64;
    return x;
  };
  for (int64_t i = 0; i < kHidden; ++i) reinterpret_cast<float*>(w.mem.data())[i] = 1.0f;
  w.out_norm = take(DType::kF32, {kHidden});
  w.embd = take(DType::kQ4_0, {kVocab, kHidden});
  for (int l = 0; l < kLayers; ++l) {
    Weights::Layer L;
    L.attn_norm = w.out_norm;
    L.ffn_norm = w.out_norm;
    L.wq = take(DType::kQ4_0, {kHidden, kHidden});
    L.wk = take(DType::kQ4_0, {kKvHeads * kHeadDim, kHidden});
    L.wv = take(DType::kQ4_0, {kKvHeads * kHeadDim, kHidden});
    L.wo = take(DType::kQ4_0, {kHidden, kHidden});
    L.wg = take(DType::kQ4_0, {kFfn, kHidden});
    L.wu = take(DType::kQ4_0, {kFfn, kHidden});
    L.wd = take(DType::kQ4_0, {kHidden, kFfn});
    L.kcache = take(DType::kF16, {kCtx, kKvHeads, kHeadDim});
    L.vcache = take(DType::kF16, {kCtx, kKvHeads, kHeadDim});
    w.layers.push_back(L);
  }
  ASSERT_LE(off, total);
}

struct Step {
  Tensor tokens, pos, cache_rows, logits;
};

// One decode step of a llama-style decoder (n_tokens = 1, kPast cached positions).
Step build_decode(Context& ctx, const Weights& w) {
  Step s;
  const int64_t n = 1, n_kv = kPast + 1;
  s.tokens = ctx.input(DType::kI32, {n}, "tokens");
  s.pos = ctx.input(DType::kI32, {n}, "positions");
  s.cache_rows = ctx.input(DType::kI32, {n}, "cache_rows");
  Tensor x = ctx.name(get_rows(ctx, w.embd, s.tokens), "inp_embd");
  RopeOptions rope_opts;
  rope_opts.params.freq_base = 500000.0f;
  for (int l = 0; l < kLayers; ++l) {
    const Weights::Layer& L = w.layers[static_cast<size_t>(l)];
    Tensor h = ctx.name(mul(ctx, rms_norm(ctx, x, 1e-5f), L.attn_norm), "attn_norm", l);
    Tensor q = reshape(ctx, mul_mat(ctx, L.wq, h), {n, kHeads, kHeadDim});
    Tensor k = reshape(ctx, mul_mat(ctx, L.wk, h), {n, kKvHeads, kHeadDim});
    Tensor v = reshape(ctx, mul_mat(ctx, L.wv, h), {n, kKvHeads, kHeadDim});
    q = ctx.name(rope(ctx, q, s.pos, rope_opts), "q_rope", l);
    k = ctx.name(rope(ctx, k, s.pos, rope_opts), "k_rope", l);
    Tensor kc = set_rows(ctx, L.kcache, k, s.cache_rows);
    Tensor vc = set_rows(ctx, L.vcache, v, s.cache_rows);
    Tensor kv_k = permute(ctx, slice(ctx, kc, 0, 0, n_kv), {1, 0, 2});
    Tensor kv_v = permute(ctx, slice(ctx, vc, 0, 0, n_kv), {1, 0, 2});
    Tensor attn = flash_attention(ctx, permute(ctx, q, {1, 0, 2}), kv_k, kv_v, {.scale = 0.125f, .causal = true});
    attn = mul_mat(ctx, L.wo, reshape(ctx, attn, {n, kHidden}));
    x = ctx.name(add(ctx, x, attn), "ffn_inp", l);
    h = ctx.name(mul(ctx, rms_norm(ctx, x, 1e-5f), L.ffn_norm), "ffn_norm", l);
    Tensor ff = swiglu(ctx, mul_mat(ctx, L.wg, h), mul_mat(ctx, L.wu, h));
    x = ctx.name(add(ctx, x, mul_mat(ctx, L.wd, ff)), "l_out", l);
  }
  x = ctx.name(mul(ctx, rms_norm(ctx, x, 1e-5f), w.out_norm), "result_norm");
  s.logits = ctx.name(mul_mat(ctx, w.embd, x), "logits");
  return s;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

TEST(GraphCost, BuildAndPlanAreSmallAgainstADecodeStep) {
  Weights w;
  make_weights(w);
  BackendOptions o;
  o.num_threads = 2;
  auto cpu = cpu::CpuBackend::create(o);
  ASSERT_TRUE(cpu.ok());
  GraphAllocator alloc;

  std::vector<double> build_ms, plan_ms, compute_ms;
  double first_plan_ms = 0;
  size_t n_nodes = 0;
  for (int it = 0; it < 60; ++it) {
    auto t0 = std::chrono::steady_clock::now();
    Context ctx;
    Step s = build_decode(ctx, w);
    Graph g = ctx.build({s.logits});
    build_ms.push_back(ms_since(t0));
    n_nodes = g.nodes.size();
    t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(alloc.allocate(g).ok());
    (it == 0 ? first_plan_ms : plan_ms.emplace_back()) = ms_since(t0);
    ASSERT_EQ(alloc.stats().plan_reused, it > 0);
    if (it < 5) {
      s.tokens.data<int32_t>()[0] = 42 + it;
      s.pos.data<int32_t>()[0] = static_cast<int32_t>(kPast);
      s.cache_rows.data<int32_t>()[0] = static_cast<int32_t>(kPast);
      t0 = std::chrono::steady_clock::now();
      ASSERT_TRUE((*cpu)->compute(g).ok());
      compute_ms.push_back(ms_since(t0));
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double b = median(build_ms), p = median(plan_ms), c = median(compute_ms);
  std::printf("graph: %zu nodes, arena %.1f MiB (no reuse: %.1f MiB)\n", n_nodes, alloc.stats().peak_bytes / 1048576.0,
              alloc.stats().total_bytes / 1048576.0);
  std::printf("build %.3f ms + plan (reused) %.3f ms = %.3f ms; first plan %.3f ms; decode compute %.1f ms (2 threads, %s)\n",
              b, p, b + p, first_plan_ms, c, std::string(cpu::isa_name((*cpu)->isa())).c_str());
  std::printf("build+plan = %.2f%% of a decode step\n", 100.0 * (b + p) / c);
  EXPECT_LT(b + p, 0.05 * c);
}

}  // namespace
}  // namespace corral
