// nn layers: weight declarations (names, shapes, optional parts) and forward values against
// the textbook formulas evaluated in plain loops here.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>

#include "backends/cpu/cpu_backend.h"
#include "ml/allocator.h"
#include "ml/dump.h"
#include "nn/attention.h"
#include "nn/layers.h"

namespace corral::nn {
namespace {

std::vector<float> randv(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

std::vector<float> compute(Context& ctx, Tensor out) {
  Graph g = ctx.build({out});
  GraphAllocator alloc;
  EXPECT_TRUE(alloc.allocate(g).ok());
  BackendOptions o;
  o.num_threads = 1;
  auto cpu = cpu::CpuBackend::create(o);
  EXPECT_TRUE(cpu.ok());
  EXPECT_TRUE((*cpu)->compute(g).ok());
  return read_f32(out);
}

// Binds each declared weight to fresh random data (a test stand-in for WeightLoader).
class RandomBinder final : public WeightVisitor {
 public:
  explicit RandomBinder(Context& ctx) : ctx_(ctx) {}
  void visit(const WeightDecl& d) override {
    names.push_back(d.name + (d.need == WeightNeed::kOptional ? "?" : "") + " " + d.shape.to_string());
    if (d.need == WeightNeed::kOptional) return;
    data_.push_back(randv(static_cast<size_t>(d.shape.numel()), static_cast<uint32_t>(data_.size() + 7)));
    *d.slot = ctx_.external(DType::kF32, d.shape, data_.back().data(), d.name);
  }
  std::vector<std::string> names;

 private:
  Context& ctx_;
  std::deque<std::vector<float>> data_;
};

TEST(WeightScope, BuildsGgufNames) {
  Context ctx;
  RandomBinder b(ctx);
  const WeightScope root(b);
  Attention a = Attention::make(8, 2, 1, 4, Presence::kRequired);
  a.visit(root.sub("blk").sub(3));
  GatedMlp m = GatedMlp::make(8, 16);
  m.visit(root.sub("blk").sub(3));
  Linear out{.in_features = 8, .out_features = 5, .bias_presence = Presence::kOptional};
  out.visit(root.sub("output"));
  const std::vector<std::string> want = {
      "blk.3.attn_q.weight [8, 8]", "blk.3.attn_q.bias [8]", "blk.3.attn_k.weight [4, 8]",
      "blk.3.attn_k.bias [4]", "blk.3.attn_v.weight [4, 8]", "blk.3.attn_v.bias [4]",
      "blk.3.attn_output.weight [8, 8]", "blk.3.ffn_gate.weight [16, 8]", "blk.3.ffn_up.weight [16, 8]",
      "blk.3.ffn_down.weight [8, 16]", "output.weight [5, 8]", "output.bias? [5]"};
  EXPECT_EQ(b.names, want);
}

TEST(Layers, LinearRmsNormAndGatedMlpMatchTheFormulas) {
  Context ctx;
  RandomBinder b(ctx);
  const WeightScope root(b);
  constexpr int64_t kIn = 12, kOut = 5, kHidden = 7, kRows = 3;
  Linear lin{.in_features = kIn, .out_features = kOut, .bias_presence = Presence::kRequired};
  lin.visit(root.sub("lin"));
  RMSNorm norm{.dim = kIn, .eps = 1e-5f};
  norm.visit(root.sub("norm"));
  GatedMlp mlp = GatedMlp::make(kIn, kHidden);
  mlp.visit(root);
  std::vector<float> xv = randv(kRows * kIn, 99);
  Tensor x = ctx.external(DType::kF32, {kRows, kIn}, xv.data());
  const auto y_lin = compute(ctx, lin.forward(ctx, x));
  const auto y_norm = compute(ctx, norm.forward(ctx, x));
  const auto y_mlp = compute(ctx, mlp.forward(ctx, x));

  auto w = [](Tensor t) { return read_f32(t); };
  auto matvec = [](const std::vector<float>& m, const float* v, int64_t rows, int64_t cols) {
    std::vector<double> r(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) r[static_cast<size_t>(i)] += double(m[static_cast<size_t>(i * cols + j)]) * v[j];
    }
    return r;
  };
  for (int64_t r = 0; r < kRows; ++r) {
    const float* xr = xv.data() + r * kIn;
    auto lin_ref = matvec(w(lin.weight), xr, kOut, kIn);
    for (int64_t i = 0; i < kOut; ++i) {
      EXPECT_NEAR(y_lin[static_cast<size_t>(r * kOut + i)], lin_ref[static_cast<size_t>(i)] + w(lin.bias)[static_cast<size_t>(i)], 1e-5);
    }
    double ss = 0;
    for (int64_t j = 0; j < kIn; ++j) ss += double(xr[j]) * xr[j];
    const double inv = 1.0 / std::sqrt(ss / kIn + 1e-5);
    for (int64_t j = 0; j < kIn; ++j) {
      EXPECT_NEAR(y_norm[static_cast<size_t>(r * kIn + j)], xr[j] * inv * w(norm.weight)[static_cast<size_t>(j)], 1e-5);
    }
    auto g = matvec(w(mlp.gate.weight), xr, kHidden, kIn);
    auto u = matvec(w(mlp.up.weight), xr, kHidden, kIn);
    std::vector<float> h(kHidden);
    for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<float>(g[i] / (1.0 + std::exp(-g[i])) * u[i]);
    auto d = matvec(w(mlp.down.weight), h.data(), kIn, kHidden);
    for (int64_t j = 0; j < kIn; ++j) EXPECT_NEAR(y_mlp[static_cast<size_t>(r * kIn + j)], d[static_cast<size_t>(j)], 1e-5);
  }
}

}  // namespace
}  // namespace corral::nn
