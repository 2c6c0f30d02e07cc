// KvCache through the graph: attention over the cache, written one chunk at a time (several
// sequences per batch, shared prefixes, F32/F16/Q8_0 cells), equals causal attention computed in
// one shot without a cache by the scalar reference backend.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#include "kv/kv_cache.h"
#include "ml/allocator.h"
#include "ml/dump.h"
#include "ml/ops.h"

namespace corral {
namespace {

constexpr int64_t kHq = 4, kHkv = 2, kD = 32;

struct Seq {
  std::vector<float> q, k, v;  // [T, H, D]
  int64_t n = 0;
};

Seq random_seq(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Seq s;
  s.n = n;
  for (int64_t i = 0; i < n * kHq * kD; ++i) s.q.push_back(u(rng));
  for (int64_t i = 0; i < n * kHkv * kD; ++i) s.k.push_back(u(rng)), s.v.push_back(u(rng));
  return s;
}

float scale() { return 1.0f / std::sqrt(static_cast<float>(kD)); }

// Causal attention of a whole sequence without a cache, by the reference backend: [T, Hq, D].
std::vector<float> reference_attention(Seq& s) {
  Context ctx;
  Tensor q = ctx.external(DType::kF32, {s.n, kHq, kD}, s.q.data());
  Tensor k = ctx.external(DType::kF32, {s.n, kHkv, kD}, s.k.data());
  Tensor v = ctx.external(DType::kF32, {s.n, kHkv, kD}, s.v.data());
  Tensor out = flash_attention(ctx, permute(ctx, q, {1, 0, 2}), permute(ctx, k, {1, 0, 2}), permute(ctx, v, {1, 0, 2}),
                               AttentionOptions{.scale = scale(), .causal = true});
  Graph g = ctx.build({out});
  GraphAllocator alloc;
  EXPECT_TRUE(alloc.allocate(g).ok());
  reference::ReferenceBackend ref;
  EXPECT_TRUE(ref.compute(g).ok());
  return read_f32(out);
}

struct Token {
  Seq* seq;
  int seq_id;
  int64_t index;  // row of seq's q/k/v
  int32_t pos;
};

class CacheAttention {
 public:
  explicit CacheAttention(DType dtype, int max_sequences = 2) {
    KvCacheOptions o;
    o.n_layers = 1;
    o.n_kv_heads = kHkv;
    o.head_dim = kD;
    o.capacity = 40;
    o.max_sequences = max_sequences;
    o.dtype = dtype;
    auto c = KvCache::create(o);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    cache_ = std::make_unique<KvCache>(std::move(c).value());
    BackendOptions bo;
    bo.num_threads = 2;
    cpu_ = std::move(cpu::CpuBackend::create(bo)).value();
  }
  KvCache& cache() { return *cache_; }

  // One batch: writes the tokens' k/v and returns their attention outputs [n, Hq, D].
  std::vector<float> step(const std::vector<Token>& tokens) {
    std::vector<float> q, k, v;
    std::vector<int32_t> pos, seq;
    for (const Token& t : tokens) {
      q.insert(q.end(), t.seq->q.begin() + t.index * kHq * kD, t.seq->q.begin() + (t.index + 1) * kHq * kD);
      k.insert(k.end(), t.seq->k.begin() + t.index * kHkv * kD, t.seq->k.begin() + (t.index + 1) * kHkv * kD);
      v.insert(v.end(), t.seq->v.begin() + t.index * kHkv * kD, t.seq->v.begin() + (t.index + 1) * kHkv * kD);
      pos.push_back(t.pos);
      seq.push_back(t.seq_id);
    }
    EXPECT_TRUE(cache_->prepare(pos, seq).ok());
    const int64_t n = static_cast<int64_t>(tokens.size());
    Context ctx;
    KvGraph kv = cache_->bind(ctx);
    Tensor tq = ctx.external(DType::kF32, {n, kHq, kD}, q.data());
    Tensor tk = ctx.external(DType::kF32, {n, kHkv, kD}, k.data());
    Tensor tv = ctx.external(DType::kF32, {n, kHkv, kD}, v.data());
    auto cells = [&](Tensor cache, Tensor vals) {
      Tensor c = slice(ctx, set_rows(ctx, cache, vals, kv.rows), 0, 0, kv.n_kv);
      if (c.dtype() == DType::kQ8_0) c = copy(ctx, c, DType::kF16);
      return permute(ctx, c, {1, 0, 2});
    };
    Tensor out = flash_attention(ctx, permute(ctx, tq, {1, 0, 2}), cells(kv.k[0], tk), cells(kv.v[0], tv),
                                 AttentionOptions{.scale = scale(), .mask = kv.mask});
    Graph g = ctx.build({out});
    EXPECT_TRUE(alloc_.allocate(g).ok());
    EXPECT_TRUE(cpu_->compute(g).ok());
    return read_f32(out);
  }

 private:
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<Backend> cpu_;
  GraphAllocator alloc_;
};

// Compares output row r of a step with row `index` of the reference.
double row_diff(const std::vector<float>& got, size_t r, const std::vector<float>& ref, int64_t index) {
  double m = 0;
  const size_t w = kHq * kD;
  for (size_t j = 0; j < w; ++j) m = std::max(m, std::fabs(double(got[r * w + j]) - ref[index * w + j]));
  return m;
}

// F16 keeps 11 bits of k/v in [-1, 1]; Q8_0 about 8 bits per 32-value block.
double tolerance(DType dtype) { return dtype == DType::kF32 ? 1e-5 : dtype == DType::kF16 ? 1e-3 : 1e-2; }

void report(const char* what, double worst) {
  std::printf("[ %s %s ] max |diff| vs reference = %.3g\n", what,
              std::string(dtype_name(::testing::TestWithParam<DType>::GetParam())).c_str(), worst);
}

class KvCacheAttention : public ::testing::TestWithParam<DType> {};

TEST_P(KvCacheAttention, ChunkedDecodeEqualsOneShotPrefill) {
  Seq a = random_seq(8, 1);
  const std::vector<float> ref = reference_attention(a);
  CacheAttention ca(GetParam(), 1);
  std::vector<Token> chunk1, chunk2;
  for (int i = 0; i < 5; ++i) chunk1.push_back({&a, 0, i, i});
  const auto out1 = ca.step(chunk1);
  double worst = 0;
  for (size_t r = 0; r < 5; ++r) worst = std::max(worst, row_diff(out1, r, ref, static_cast<int64_t>(r)));
  for (int i = 5; i < 8; ++i) {  // then token by token
    const auto out = ca.step({{&a, 0, i, i}});
    worst = std::max(worst, row_diff(out, 0, ref, i));
  }
  report(::testing::UnitTest::GetInstance()->current_test_info()->name(), worst);
  EXPECT_LE(worst, tolerance(GetParam()));
  EXPECT_EQ(ca.cache().cells().used(), 8);
}

TEST_P(KvCacheAttention, TwoSequencesInterleavedInOneBatch) {
  Seq a = random_seq(8, 2), b = random_seq(5, 3);
  const auto ref_a = reference_attention(a), ref_b = reference_attention(b);
  CacheAttention ca(GetParam());
  std::vector<Token> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back({&a, 0, i, i});
    if (i < 3) batch.push_back({&b, 1, i, i});
  }
  auto out = ca.step(batch);
  double worst = 0;
  for (size_t r = 0; r < batch.size(); ++r) {
    worst = std::max(worst, row_diff(out, r, batch[r].seq_id == 0 ? ref_a : ref_b, batch[r].index));
  }
  batch = {{&b, 1, 3, 3}, {&a, 0, 5, 5}, {&a, 0, 6, 6}, {&b, 1, 4, 4}, {&a, 0, 7, 7}};
  out = ca.step(batch);
  for (size_t r = 0; r < batch.size(); ++r) {
    worst = std::max(worst, row_diff(out, r, batch[r].seq_id == 0 ? ref_a : ref_b, batch[r].index));
  }
  report(::testing::UnitTest::GetInstance()->current_test_info()->name(), worst);
  EXPECT_LE(worst, tolerance(GetParam()));
}

TEST_P(KvCacheAttention, SharedPrefixThenDivergingContinuation) {
  Seq a = random_seq(6, 4), b = random_seq(7, 5);
  // b's first 3 rows of k/v are a's (the shared prefix); its own rows follow.
  std::copy(a.k.begin(), a.k.begin() + 3 * kHkv * kD, b.k.begin());
  std::copy(a.v.begin(), a.v.begin() + 3 * kHkv * kD, b.v.begin());
  const auto ref_b = reference_attention(b);
  CacheAttention ca(GetParam());
  std::vector<Token> prefill;
  for (int i = 0; i < 6; ++i) prefill.push_back({&a, 0, i, i});
  ca.step(prefill);
  ASSERT_TRUE(ca.cache().copy_prefix(0, 1, 3).ok());
  std::vector<Token> cont;
  for (int i = 3; i < 7; ++i) cont.push_back({&b, 1, i, i});
  const auto out = ca.step(cont);
  double worst = 0;
  for (size_t r = 0; r < cont.size(); ++r) worst = std::max(worst, row_diff(out, r, ref_b, cont[r].index));
  report(::testing::UnitTest::GetInstance()->current_test_info()->name(), worst);
  EXPECT_LE(worst, tolerance(GetParam()));
  EXPECT_EQ(ca.cache().cells().used(), 10);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, KvCacheAttention, ::testing::Values(DType::kF32, DType::kF16, DType::kQ8_0),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(KvCache, RejectsBadOptions) {
  KvCacheOptions o;
  o.n_layers = 1;
  o.n_kv_heads = 2;
  o.head_dim = 16;
  o.capacity = 8;
  o.dtype = DType::kQ8_0;  // 16 is not whole Q8_0 blocks
  EXPECT_EQ(KvCache::create(o).status().code(), StatusCode::kInvalidArgument);
  o.dtype = DType::kQ4_K;
  EXPECT_EQ(KvCache::create(o).status().code(), StatusCode::kUnsupported);
  o.dtype = DType::kF16;
  o.capacity = 0;
  EXPECT_EQ(KvCache::create(o).status().code(), StatusCode::kInvalidArgument);
  o.capacity = int64_t{1} << 40;
  EXPECT_EQ(KvCache::create(o).status().code(), StatusCode::kInvalidArgument);
  o.capacity = 8;
  o.max_sequences = 65;
  EXPECT_EQ(KvCache::create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(KvCache, MaskAndNkvFollowTheCells) {
  KvCacheOptions o;
  o.n_layers = 2;
  o.n_kv_heads = 1;
  o.head_dim = 4;
  o.capacity = 10;
  o.max_sequences = 2;
  o.n_kv_granularity = 4;
  o.mask_dtype = DType::kF16;
  auto c = KvCache::create(o);
  ASSERT_TRUE(c.ok());
  const std::vector<int32_t> pos = {0, 1, 2, 0, 1}, seq = {0, 0, 0, 1, 1};
  ASSERT_TRUE(c->prepare(pos, seq).ok());
  EXPECT_EQ(c->last_n_kv(), 8);  // 5 cells used, rounded up to 4
  Context ctx;
  KvGraph g = c->bind(ctx);
  EXPECT_EQ(g.mask.dtype(), DType::kF16);
  EXPECT_EQ(g.mask.shape(), (Shape{5, 8}));
  EXPECT_EQ(g.k.size(), 2u);
  EXPECT_EQ(g.k[1].shape(), (Shape{10, 1, 4}));
  const std::vector<float> m = read_f32(g.mask);
  EXPECT_EQ(m[0 * 8 + 0], 0.0f);
  EXPECT_TRUE(std::isinf(m[0 * 8 + 1]) && m[0 * 8 + 1] < 0);  // seq 0 @0 cannot see @1
  EXPECT_EQ(m[4 * 8 + 3], 0.0f);                              // seq 1 @1 sees seq 1 @0 (cell 3)
  EXPECT_TRUE(std::isinf(m[4 * 8 + 2]));                      // ... but not seq 0's cells
  EXPECT_TRUE(std::isinf(m[4 * 8 + 6]));                      // nor unused cells
  std::vector<int32_t> more(6, 0);
  for (int i = 0; i < 6; ++i) more[static_cast<size_t>(i)] = 3 + i;
  EXPECT_EQ(c->prepare(more, std::vector<int32_t>(6, 0)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(c->prepare({}, {}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corral
