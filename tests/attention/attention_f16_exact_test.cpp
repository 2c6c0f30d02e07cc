// The CPU backend's round_f16 flash attention (llama.cpp's F16-cache arithmetic, what models run
// with an F16 KV cache) against a plain scalar oracle of the same algorithm, bit for bit, on every
// ISA this machine has: one (query row, head) at a time, keys in order, q rounded to F16, q.k in
// the order of llama.cpp's AVX-512 F16 dot (4 accumulators x 16 lanes per 64 elements, folded
// 0+2, 1+3, 0+1, then by halves; the n % 64 tail added in double), s = fma(q.k, scale, mask),
// libm expf, l = fma(l, ms, vs), and the unnormalised output rounded to F16 after every rescale and
// every added V row. The oracle is the per-row kernel as it was before it was vectorised (as GCC
// compiled it for AVX2/AVX-512: the two scalar multiply-adds contracted), written with scalar
// floats only; the greedy llama.cpp agreement test (tests/unit/runner) ties it to the peer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/cpu_features.h"
#include "ml/allocator.h"
#include "ml/context.h"
#include "ml/ops.h"
#include "util/half.h"
#include "util/thread_pool.h"

namespace corral {
namespace {

float round_f16(float x) {
  return fp16_to_f32(f32_to_fp16(x));
}

float peer_dot(const float* a, const float* b, int64_t n) {
  float acc[4][16] = {};
  const int64_t np = n - n % 64;
  for (int64_t i = 0; i < np; i += 64) {
    for (int j = 0; j < 4; ++j) {
      for (int e = 0; e < 16; ++e) acc[j][e] = std::fma(a[i + 16 * j + e], b[i + 16 * j + e], acc[j][e]);
    }
  }
  float r[16];
  for (int e = 0; e < 16; ++e) r[e] = (acc[0][e] + acc[2][e]) + (acc[1][e] + acc[3][e]);
  for (int w = 8; w >= 1; w /= 2) {
    for (int e = 0; e < w; ++e) r[e] = r[e + w] + r[e];
  }
  double sum = r[0];
  for (int64_t i = np; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return static_cast<float>(sum);
}

struct Case {
  std::string name;
  int64_t batch, hq, hkv, nq, nkv, d, dv;
  bool causal;
  int mask;  // 0 none, 1 F32, 2 F16 (-inf entries and finite biases)
  DType k_type, v_type;
  float scale, q_range;
};

// Plain inputs as floats (F16 ones already rounded) in the graph's shapes.
struct Inputs {
  std::vector<float> q, k, v,
      mask;  // q [B, Hq, Nq, D], k [B, Hkv, Nkv, D], v [B, Hkv, Nkv, Dv], mask [Nq, Nkv]
};

std::vector<float> oracle(const Case& c, const Inputs& in) {
  std::vector<float> out(static_cast<size_t>(c.batch * c.nq * c.hq * c.dv));
  const int64_t group = c.hq / c.hkv;
  std::vector<float> qf(static_cast<size_t>(c.d)), acc(static_cast<size_t>(c.dv));
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t h = 0; h < c.hq; ++h) {
      const int64_t hk = h / group;
      for (int64_t i = 0; i < c.nq; ++i) {
        int64_t kv_end = c.nkv;
        if (c.causal) kv_end = std::max<int64_t>(0, std::min(c.nkv, i + c.nkv - c.nq + 1));
        const float* qr = &in.q[static_cast<size_t>(((b * c.hq + h) * c.nq + i) * c.d)];
        for (int64_t e = 0; e < c.d; ++e) qf[e] = c.k_type == DType::kF16 ? round_f16(qr[e]) : qr[e];
        std::fill(acc.begin(), acc.end(), 0.0f);
        float m = -std::numeric_limits<float>::infinity(), l = 0.0f;
        for (int64_t j = 0; j < kv_end; ++j) {
          float mv = 0.0f;
          if (c.mask) {
            mv = in.mask[static_cast<size_t>(i * c.nkv + j)];
            if (mv == -std::numeric_limits<float>::infinity()) continue;
          }
          const float* kr = &in.k[static_cast<size_t>(((b * c.hkv + hk) * c.nkv + j) * c.d)];
          const float* vr = &in.v[static_cast<size_t>(((b * c.hkv + hk) * c.nkv + j) * c.dv)];
          float s = peer_dot(qf.data(), kr, c.d);
          s = std::fma(s, c.scale, mv);
          float ms = 1.0f, vs = 1.0f;
          if (s > m) {
            ms = m == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(m - s);
            m = s;
            for (float& a : acc) a = c.v_type == DType::kF16 ? round_f16(a * ms) : a * ms;
          } else {
            vs = std::exp(s - m);
          }
          for (int64_t e = 0; e < c.dv; ++e) {
            const float y = std::fma(vr[e], vs, acc[static_cast<size_t>(e)]);
            acc[static_cast<size_t>(e)] = c.v_type == DType::kF16 ? round_f16(y) : y;
          }
          l = std::fma(l, ms, vs);
        }
        float* o = &out[static_cast<size_t>(((b * c.nq + i) * c.hq + h) * c.dv)];
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (int64_t e = 0; e < c.dv; ++e) o[e] = acc[static_cast<size_t>(e)] * inv;
      }
    }
  }
  return out;
}

// Fills t (F32 or F16) with uniform values in [lo, hi]; returns them as floats (after rounding).
std::vector<float> fill(const Tensor& t, std::mt19937& rng, float lo, float hi) {
  TensorNode& n = *t.node();
  const int64_t count = n.shape.numel();
  std::vector<float> f(static_cast<size_t>(count));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& x : f) x = dist(rng);
  if (n.dtype == DType::kF16) {
    auto* p = reinterpret_cast<uint16_t*>(n.data);
    for (int64_t i = 0; i < count; ++i) {
      p[i] = f32_to_fp16(f[static_cast<size_t>(i)]);
      f[static_cast<size_t>(i)] = fp16_to_f32(p[i]);
    }
  } else {
    std::memcpy(n.data, f.data(), f.size() * sizeof(float));
  }
  return f;
}

class AttentionF16Exact : public ::testing::TestWithParam<cpu::Isa> {};

// Runs the built graph on the CPU backend at `isa` with `threads` and expects every output float
// to carry the oracle's bits.
void expect_kernel_bits_equal_oracle(Graph& g, const Tensor& out, const Case& c, const Inputs& in,
                                     cpu::Isa isa, int threads) {
  ThreadPool pool(threads);
  BackendOptions opts;
  opts.pool = &pool;
  opts.cpu_isa = std::string(cpu::isa_name(isa));
  auto cpu = cpu::CpuBackend::create(opts);
  ASSERT_TRUE(cpu.ok());
  ASSERT_TRUE((*cpu)->compute(g).ok());
  const std::vector<float> want = oracle(c, in);
  const float* got = reinterpret_cast<const float*>(out.node()->data);
  ASSERT_EQ(out.node()->shape.numel(), static_cast<int64_t>(want.size()));
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    if (a != b) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0) << "first differing output " << first << ": got " << got[first < 0 ? 0 : first]
                    << " want " << want[static_cast<size_t>(first < 0 ? 0 : first)];
}

void run_case(const Case& c, cpu::Isa isa, int threads) {
  SCOPED_TRACE(c.name + " isa " + std::string(cpu::isa_name(isa)) + " threads " + std::to_string(threads));
  Context ctx;
  Tensor q = ctx.input(DType::kF32, {c.batch, c.hq, c.nq, c.d});
  Tensor k = ctx.input(c.k_type, {c.batch, c.hkv, c.nkv, c.d});
  Tensor v = ctx.input(c.v_type, {c.batch, c.hkv, c.nkv, c.dv});
  AttentionOptions o{.scale = c.scale, .causal = c.causal, .round_f16 = true};
  if (c.mask) o.mask = ctx.input(c.mask == 1 ? DType::kF32 : DType::kF16, {c.nq, c.nkv});
  Tensor out = flash_attention(ctx, q, k, v, o);
  Graph g = ctx.build({out});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  std::mt19937 rng(static_cast<uint32_t>(c.nq * 131 + c.nkv * 7 + c.d));
  Inputs in;
  in.q = fill(q, rng, -c.q_range, c.q_range);
  in.k = fill(k, rng, -2.0f, 2.0f);
  in.v = fill(v, rng, -1.0f, 1.0f);
  if (c.mask) {
    // Mostly finite biases, a band of -inf (whole key blocks for some rows) and scattered -inf.
    TensorNode& mn = *o.mask.node();
    std::uniform_real_distribution<float> bias(-3.0f, 1.0f);
    in.mask.resize(static_cast<size_t>(c.nq * c.nkv));
    for (int64_t i = 0; i < c.nq; ++i) {
      for (int64_t j = 0; j < c.nkv; ++j) {
        float x = bias(rng);
        if ((j >= 32 && j < 70 && i % 3 == 0) || (i * 7 + j * 5) % 11 == 0)
          x = -std::numeric_limits<float>::infinity();
        if (c.mask == 2) {
          const uint16_t h = f32_to_fp16(x);
          reinterpret_cast<uint16_t*>(mn.data)[i * c.nkv + j] = h;
          x = fp16_to_f32(h);
        } else {
          reinterpret_cast<float*>(mn.data)[i * c.nkv + j] = x;
        }
        in.mask[static_cast<size_t>(i * c.nkv + j)] = x;
      }
    }
  }
  expect_kernel_bits_equal_oracle(g, out, c, in, isa, threads);
}

std::vector<Case> cases() {
  std::vector<Case> out;
  const DType f16 = DType::kF16, f32 = DType::kF32;
  // Head dims around the 64-element chunks of the peer's dot (64, 128) and with a tail (80, 96);
  // GQA groups 1, 3, 4, 7; decode (1 row) and prefill (many rows, partial 8-row and 32-key blocks).
  struct S {
    int64_t d, dv, group, hkv;
  };
  for (const S s : {S{64, 64, 3, 3}, S{80, 80, 1, 2}, S{128, 128, 4, 2}, S{96, 96, 7, 1}}) {
    const std::string dim = "d" + std::to_string(s.d) + "_g" + std::to_string(s.group);
    out.push_back(
        {"decode_" + dim, 1, s.hkv * s.group, s.hkv, 1, 77, s.d, s.dv, true, 0, f16, f16, 0.125f, 2.0f});
    out.push_back({"decode_long_" + dim, 1, s.hkv * s.group, s.hkv, 1, 300, s.d, s.dv, false, 0, f16, f16,
                   0.125f, 2.0f});
    out.push_back({"prefill_causal_" + dim, 1, s.hkv * s.group, s.hkv, 45, 45, s.d, s.dv, true, 0, f16, f16,
                   0.125f, 2.0f});
    out.push_back({"prefill_cached_" + dim, 1, s.hkv * s.group, s.hkv, 21, 90, s.d, s.dv, true, 0, f16, f16,
                   0.125f, 2.0f});
    out.push_back({"masked_f16_" + dim, 1, s.hkv * s.group, s.hkv, 13, 101, s.d, s.dv, false, 2, f16, f16,
                   0.125f, 2.0f});
    out.push_back({"masked_f32_causal_" + dim, 2, s.hkv * s.group, s.hkv, 9, 70, s.d, s.dv, true, 1, f16, f16,
                   0.125f, 2.0f});
  }
  // Wide scores (many new maxima, exponents far below zero), odd dims, F32 V (no output rounding),
  // D != Dv, more rows than keys.
  out.push_back({"wide_scores", 1, 6, 2, 17, 130, 64, 64, true, 0, f16, f16, 1.0f, 6.0f});
  out.push_back({"odd_dims", 1, 3, 1, 10, 37, 67, 33, true, 0, f16, f16, 0.125f, 2.0f});
  out.push_back({"f32_v", 1, 4, 2, 11, 50, 64, 64, true, 0, f16, f32, 0.125f, 2.0f});
  out.push_back({"f32_kv", 1, 4, 2, 11, 50, 80, 80, false, 1, f32, f32, 0.125f, 2.0f});
  out.push_back({"dv_differs", 1, 6, 3, 12, 40, 96, 64, true, 0, f16, f16, 0.125f, 2.0f});
  out.push_back({"causal_rows_beyond_keys", 1, 2, 1, 20, 7, 64, 64, true, 0, f16, f16, 0.125f, 2.0f});
  return out;
}

// As a model reads its cache: q [n, Hq, D] permuted to [Hq, n, D]; K and V the first n_kv cells
// of an F16 cache [cap, Hkv, D] permuted to [Hkv, n_kv, D]; an F16 0/-inf mask [n, n_kv] (cells
// past a token's position and unused cells masked), not causal.
void run_cache_case(int64_t nq, int64_t nkv, int64_t past, cpu::Isa isa, int threads) {
  SCOPED_TRACE("cache nq " + std::to_string(nq) + " nkv " + std::to_string(nkv) + " isa " +
               std::string(cpu::isa_name(isa)));
  const int64_t hq = 9, hkv = 3, d = 64, cap = nkv + 5;
  Context ctx;
  Tensor qin = ctx.input(DType::kF32, {nq, hq, d});
  Tensor kc = ctx.input(DType::kF16, {cap, hkv, d});
  Tensor vc = ctx.input(DType::kF16, {cap, hkv, d});
  Tensor mask = ctx.input(DType::kF16, {nq, nkv});
  Tensor q = permute(ctx, qin, {1, 0, 2});
  Tensor k = permute(ctx, slice(ctx, kc, 0, 0, nkv), {1, 0, 2});
  Tensor v = permute(ctx, slice(ctx, vc, 0, 0, nkv), {1, 0, 2});
  Tensor out =
      flash_attention(ctx, q, k, v, {.scale = 0.125f, .causal = false, .mask = mask, .round_f16 = true});
  Graph g = ctx.build({out});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  std::mt19937 rng(static_cast<uint32_t>(nq * 31 + nkv));
  const std::vector<float> qa = fill(qin, rng, -8.0f, 8.0f), ka = fill(kc, rng, -3.0f, 3.0f),
                           va = fill(vc, rng, -1.0f, 1.0f);
  Case c{"cache", 1, hq, hkv, nq, nkv, d, d, false, 2, DType::kF16, DType::kF16, 0.125f, 8.0f};
  Inputs in;
  in.q.resize(static_cast<size_t>(hq * nq * d));
  in.k.resize(static_cast<size_t>(hkv * nkv * d));
  in.v.resize(in.k.size());
  for (int64_t h = 0; h < hq; ++h) {
    for (int64_t i = 0; i < nq; ++i) {
      for (int64_t e = 0; e < d; ++e)
        in.q[static_cast<size_t>((h * nq + i) * d + e)] = qa[static_cast<size_t>((i * hq + h) * d + e)];
    }
  }
  for (int64_t h = 0; h < hkv; ++h) {
    for (int64_t j = 0; j < nkv; ++j) {
      for (int64_t e = 0; e < d; ++e) {
        in.k[static_cast<size_t>((h * nkv + j) * d + e)] = ka[static_cast<size_t>((j * hkv + h) * d + e)];
        in.v[static_cast<size_t>((h * nkv + j) * d + e)] = va[static_cast<size_t>((j * hkv + h) * d + e)];
      }
    }
  }
  in.mask.resize(static_cast<size_t>(nq * nkv));
  auto* mp = reinterpret_cast<uint16_t*>(mask.node()->data);
  for (int64_t i = 0; i < nq; ++i) {
    for (int64_t j = 0; j < nkv; ++j) {
      const float x = j <= past + i ? 0.0f : -std::numeric_limits<float>::infinity();
      mp[i * nkv + j] = f32_to_fp16(x);
      in.mask[static_cast<size_t>(i * nkv + j)] = x;
    }
  }
  expect_kernel_bits_equal_oracle(g, out, c, in, isa, threads);
}

TEST_P(AttentionF16Exact, CacheViewsEqualScalarOracleBitForBit) {
  for (int threads : {1, 2}) {
    run_cache_case(37, 40, 2, GetParam(), threads);     // prefill after 3 cached tokens
    run_cache_case(1, 70, 60, GetParam(), threads);     // decode, unused cells masked
    run_cache_case(12, 256, 100, GetParam(), threads);  // whole masked key blocks
  }
}

TEST_P(AttentionF16Exact, KernelEqualsScalarOracleBitForBit) {
  for (const Case& c : cases()) {
    for (int threads : {1, 3}) run_case(c, GetParam(), threads);
  }
}

INSTANTIATE_TEST_SUITE_P(Isas, AttentionF16Exact, ::testing::ValuesIn(cpu::available_isas()),
                         [](const ::testing::TestParamInfo<cpu::Isa>& info) {
                           return std::string(cpu::isa_name(info.param));
                         });

}  // namespace
}  // namespace corral
