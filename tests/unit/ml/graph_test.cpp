// Graph building, views, broadcasting semantics, build-time shape errors, the allocator and
// plan reuse, observers and the backend registry.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "backends/cpu/builtin_backends.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#include "ml/allocator.h"
#include "ml/dump.h"
#include "ml/ops.h"

namespace corral {
namespace {

std::unique_ptr<Backend> make_cpu() {
  BackendOptions o;
  o.num_threads = 2;
  auto b = cpu::CpuBackend::create(o);
  EXPECT_TRUE(b.ok());
  return std::move(b).value();
}

void fill(Tensor t, std::initializer_list<float> v) {
  float* p = t.data<float>();
  for (float f : v) *p++ = f;
}

TEST(Views, ShapesAndStridesFollowTorch) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {2, 3, 4});
  EXPECT_EQ(x.stride(0), 48);
  EXPECT_EQ(x.stride(1), 16);
  EXPECT_EQ(x.stride(2), 4);
  Tensor p = permute(ctx, x, {2, 0, 1});  // torch: x.permute(2, 0, 1) -> [4, 2, 3]
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.stride(0), 4);
  EXPECT_EQ(p.stride(1), 48);
  EXPECT_FALSE(p.contiguous());
  Tensor s = slice(ctx, x, 1, 1, 2);  // x[:, 1:3, :]
  EXPECT_EQ(s.shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(s.node()->view_offset, 16u);
  Tensor r = reshape(ctx, x, {6, 4});
  EXPECT_TRUE(r.contiguous());
  EXPECT_EQ(r.node()->view_src, x.node());
}

TEST(Views, TransposeCopyMovesElements) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {2, 3});
  Tensor t = contiguous(ctx, transpose(ctx, x, 0, 1));
  Graph g = ctx.build({t});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  fill(x, {1, 2, 3, 4, 5, 6});
  auto cpu = make_cpu();
  ASSERT_TRUE(cpu->compute(g).ok());
  EXPECT_EQ(read_f32(t), (std::vector<float>{1, 4, 2, 5, 3, 6}));  // numpy: [[1,2,3],[4,5,6]].T
}

TEST(Broadcast, AddFollowsNumpyRules) {
  Context ctx;
  Tensor a = ctx.input(DType::kF32, {2, 3});
  Tensor row = ctx.input(DType::kF32, {3});
  Tensor col = ctx.input(DType::kF32, {2, 1});
  Tensor y = add(ctx, add(ctx, a, row), col);
  Graph g = ctx.build({y});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  fill(a, {1, 2, 3, 4, 5, 6});
  fill(row, {10, 20, 30});
  fill(col, {100, 200});
  for (auto* backend : {static_cast<Backend*>(new reference::ReferenceBackend()), make_cpu().release()}) {
    std::unique_ptr<Backend> owned(backend);
    ASSERT_TRUE(owned->compute(g).ok());
    EXPECT_EQ(read_f32(y), (std::vector<float>{111, 122, 133, 214, 225, 236})) << owned->name();
  }
}

using ShapeErrorDeathTest = ::testing::Test;

TEST(ShapeErrorDeathTest, MulMatInnerDims) {
  Context ctx;
  Tensor w = ctx.input(DType::kF32, {8, 16});
  Tensor x = ctx.input(DType::kF32, {3, 15});
  EXPECT_DEATH(mul_mat(ctx, w, x), "op mul_mat: inner dims differ.*F32 \\[8, 16\\], F32 \\[3, 15\\]");
}

TEST(ShapeErrorDeathTest, AddNotBroadcastable) {
  Context ctx;
  Tensor a = ctx.input(DType::kF32, {4, 6});
  Tensor b = ctx.input(DType::kF32, {3, 6});
  EXPECT_DEATH(add(ctx, a, b), "op add: b must broadcast to a");
}

TEST(ShapeErrorDeathTest, RopePositionsCount) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {5, 2, 64});
  Tensor pos = ctx.input(DType::kI32, {4});
  EXPECT_DEATH(rope(ctx, x, pos, {}), "op rope: positions must be \\[n_tokens\\]");
}

TEST(ShapeErrorDeathTest, ReshapeNeedsContiguous) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {4, 6});
  Tensor t = transpose(ctx, x, 0, 1);
  EXPECT_DEATH(reshape(ctx, t, {24}), "reshape: .* is not contiguous");
}

TEST(ShapeErrorDeathTest, ViewOutOfBounds) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {4, 6});
  EXPECT_DEATH(view(ctx, x, {4, 6}, {24, 4, 0, 0}, 8), "runs past its source");
}

TEST(ShapeErrorDeathTest, AttentionHeads) {
  Context ctx;
  Tensor q = ctx.input(DType::kF32, {6, 1, 32});
  Tensor k = ctx.input(DType::kF16, {4, 9, 32});
  EXPECT_DEATH(flash_attention(ctx, q, k, k, {}), "q heads must be a multiple of kv heads");
}

// y_i = 0.5 * y_{i-1} + x_early, with x_early = 3x kept alive to the end (the allocator must not
// reuse its memory), checked against the closed form.
struct Chain {
  Tensor x, y;
  Graph g;
};
Chain build_chain(Context& ctx, int64_t n, int steps) {
  Chain c;
  c.x = ctx.input(DType::kF32, {n});
  Tensor early = scale(ctx, c.x, 3.0f);
  Tensor y = c.x;
  for (int i = 0; i < steps; ++i) y = add(ctx, scale(ctx, y, 0.5f), early);
  c.y = y;
  c.g = ctx.build({y});
  return c;
}

TEST(GraphAllocator, ReusesDeadMemoryAndKeepsResults) {
  Context ctx;
  Chain c = build_chain(ctx, 1000, 20);
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(c.g).ok());
  const AllocationStats& st = alloc.stats();
  EXPECT_EQ(st.n_allocations, 42u);  // input + early + 20 x (scale, add)
  EXPECT_LT(st.peak_bytes * 5, st.total_bytes) << "peak " << st.peak_bytes << " total " << st.total_bytes;
  // Some two intermediates share memory.
  std::set<const std::byte*> seen;
  bool shared = false;
  for (const TensorNode* n : c.g.nodes) shared |= !seen.insert(n->data).second;
  EXPECT_TRUE(shared);
  for (int64_t i = 0; i < 1000; ++i) c.x.data<float>()[i] = static_cast<float>(i % 7) - 3.0f;
  auto cpu = make_cpu();
  ASSERT_TRUE(cpu->compute(c.g).ok());
  for (int64_t i = 0; i < 1000; ++i) {
    const double x = static_cast<double>(i % 7) - 3.0;
    double y = x;
    for (int s = 0; s < 20; ++s) y = 0.5 * y + 3.0 * x;
    ASSERT_NEAR(c.y.data<float>()[i], y, 1e-4) << i;
  }
}

TEST(GraphAllocator, ReusesPlanForSameStructure) {
  GraphAllocator alloc;
  for (int step = 0; step < 3; ++step) {
    Context ctx;
    Chain c = build_chain(ctx, 64, 5);
    ASSERT_TRUE(alloc.allocate(c.g).ok());
    EXPECT_EQ(alloc.stats().plan_reused, step > 0);
  }
  Context ctx;
  Chain c = build_chain(ctx, 65, 5);
  ASSERT_TRUE(alloc.allocate(c.g).ok());
  EXPECT_FALSE(alloc.stats().plan_reused);
}

TEST(GraphAllocator, UnboundLeafIsAnError) {
  Context weights;
  TensorNode* orphan = nullptr;
  {
    Tensor w = weights.input(DType::kF32, {4});
    orphan = w.node();
    orphan->flags = 0;  // neither an input nor bound: a weight the loader forgot
  }
  Context ctx;
  Tensor y = scale(ctx, Tensor(orphan), 2.0f);
  Graph g = ctx.build({y});
  GraphAllocator alloc;
  Status s = alloc.allocate(g);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(Backends, BadTokenIdIsAStatusNotACrash) {
  Context ctx;
  Tensor table = ctx.input(DType::kF32, {10, 4});
  Tensor ids = ctx.input(DType::kI32, {2});
  Tensor y = get_rows(ctx, table, ids);
  Graph g = ctx.build({y});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  ids.data<int32_t>()[0] = 3;
  ids.data<int32_t>()[1] = 10;
  EXPECT_EQ(make_cpu()->compute(g).code(), StatusCode::kInvalidArgument);
  reference::ReferenceBackend ref;
  EXPECT_EQ(ref.compute(g).code(), StatusCode::kInvalidArgument);
}

TEST(Backends, ObserverSeesNamedNodesInOrder) {
  Context ctx;
  Tensor x = ctx.input(DType::kF32, {3});
  Tensor a = ctx.name(scale(ctx, x, 2.0f), "attn_norm", 0);
  Tensor b = ctx.name(add(ctx, a, x), "l_out", 0);
  Graph g = ctx.build({b});
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());
  fill(x, {1, 2, 3});
  auto cpu = make_cpu();
  std::vector<std::pair<std::string, std::vector<float>>> seen;
  cpu->set_observer([&](const Tensor& t) { seen.emplace_back(t.name(), read_f32(t)); });
  ASSERT_TRUE(cpu->compute(g).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, "attn_norm");
  EXPECT_EQ(seen[0].second, (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(seen[1].first, "l_out");
  EXPECT_EQ(seen[1].second, (std::vector<float>{3, 6, 9}));
}

TEST(BackendRegistry, BuiltinsAndErrors) {
  BackendRegistry reg;
  ASSERT_TRUE(register_builtin_backends(reg).ok());
  EXPECT_EQ(reg.names(), (std::vector<std::string>{"cpu"}));
  EXPECT_EQ(register_builtin_backends(reg).code(), StatusCode::kAlreadyExists);
  BackendOptions o;
  o.num_threads = 1;
  auto b = reg.create("cpu", o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->name(), "cpu");
  EXPECT_EQ(reg.create("cuda", o).status().code(), StatusCode::kNotFound);
  o.cpu_isa = "sse9";
  EXPECT_FALSE(reg.create("cpu", o).ok());
}

}  // namespace
}  // namespace corral
