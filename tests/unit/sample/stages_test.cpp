// Each sampler stage on small hand-computed cases, and the penalty window.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "sample/stages.h"

namespace corral::sample {
namespace {

std::set<TokenId> ids_of(const Candidates& c) {
  std::set<TokenId> out;
  for (const Candidate& x : c.items()) out.insert(x.id);
  return out;
}

// Logits whose softmax is exactly `probs` (up to rounding).
std::vector<float> log_probs(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

TEST(CandidatesTest, SoftmaxMatchesDefinition) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f, -std::numeric_limits<float>::infinity()};
  Candidates c;
  c.reset(logits);
  c.softmax();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(c[0].p, std::exp(1.0) / z, 1e-7);
  EXPECT_NEAR(c[1].p, std::exp(2.0) / z, 1e-7);
  EXPECT_NEAR(c[2].p, std::exp(3.0) / z, 1e-7);
  EXPECT_EQ(c[3].p, 0.0f);
}

TEST(CandidatesTest, SortedPrefixGrowsInChunks) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>((i * 7919) % 1000);
  Candidates c;
  c.reset(logits);
  c.sort_desc_prefix(10);
  ASSERT_EQ(c.sorted_desc_prefix(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(c[i].logit, 999.0f - static_cast<float>(i));
  c.sort_desc_prefix(500);
  for (size_t i = 0; i < 500; ++i) EXPECT_EQ(c[i].logit, 999.0f - static_cast<float>(i));
}

TEST(StagesTest, TopKKeepsTheKLargest) {
  std::vector<float> logits = {1.0f, 5.0f, 3.0f, 4.0f, 2.0f, 4.5f};
  Candidates c;
  c.reset(logits);
  StageContext ctx;
  TopKStage(3).apply(c, ctx);
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{1, 3, 5}));
  EXPECT_EQ(c[0].id, 1);  // sorted descending
  EXPECT_EQ(c[1].id, 5);
  EXPECT_EQ(c[2].id, 3);
}

TEST(StagesTest, TopKZeroOrLargeIsOff) {
  std::vector<float> logits = {1.0f, 5.0f, 3.0f};
  Candidates c;
  StageContext ctx;
  c.reset(logits);
  TopKStage(0).apply(c, ctx);
  EXPECT_EQ(c.size(), 3u);
  TopKStage(10).apply(c, ctx);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_TRUE(c.indexed_by_id());
}

TEST(StagesTest, TopPKeepsSmallestSetReachingP) {
  auto logits = log_probs({0.05, 0.5, 0.15, 0.3});
  Candidates c;
  StageContext ctx;
  c.reset(logits);
  TopPStage(0.75f).apply(c, ctx);  // 0.5 + 0.3 = 0.8 >= 0.75
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{1, 3}));
  c.reset(logits);
  TopPStage(0.85f).apply(c, ctx);  // needs 0.15 too
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{1, 2, 3}));
  c.reset(logits);
  TopPStage(0.0f).apply(c, ctx);  // always at least one
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{1}));
}

TEST(StagesTest, MinPIsRelativeToTheBest) {
  auto logits = log_probs({0.5, 0.3, 0.15, 0.05});
  Candidates c;
  StageContext ctx;
  c.reset(logits);
  MinPStage(0.2f).apply(c, ctx);  // keep p >= 0.1
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{0, 1, 2}));
  c.reset(logits);
  MinPStage(0.7f).apply(c, ctx);  // keep p >= 0.35
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{0}));
}

TEST(StagesTest, TypicalKeepsTokensNearTheEntropy) {
  // p = {0.4, 0.3, 0.2, 0.1}: H = 1.2799 nats; |-ln p - H| = {0.364, 0.076, 0.330, 1.023},
  // so the typical order is 1, 2, 0, 3.
  auto logits = log_probs({0.4, 0.3, 0.2, 0.1});
  Candidates c;
  StageContext ctx;
  c.reset(logits);
  TypicalStage(0.45f).apply(c, ctx);  // 0.3 -> 0.5 > 0.45
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{1, 2}));
  c.reset(logits);
  TypicalStage(0.85f).apply(c, ctx);  // 0.3 + 0.2 + 0.4 = 0.9 > 0.85
  EXPECT_EQ(ids_of(c), (std::set<TokenId>{0, 1, 2}));
}

TEST(StagesTest, TemperatureDividesLogits) {
  std::vector<float> logits = {1.0f, -2.0f, 4.0f};
  Candidates c;
  StageContext ctx;
  c.reset(logits);
  TemperatureStage(0.5f).apply(c, ctx);
  EXPECT_EQ(c[0].logit, 2.0f);
  EXPECT_EQ(c[1].logit, -4.0f);
  EXPECT_EQ(c[2].logit, 8.0f);
}

TEST(StagesTest, PenaltiesAsLlamaCppDefinesThem) {
  // Repeat divides positive logits and multiplies negative ones; frequency subtracts
  // count * f; presence subtracts p once.
  std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f};
  TokenHistory history(8, 4);
  for (TokenId t : {0, 1, 0, 0, 2}) history.accept(t);
  Candidates c;
  c.reset(logits);
  StageContext ctx{&history};
  PenaltiesStage(2.0f, 0.25f, 0.5f).apply(c, ctx);
  EXPECT_FLOAT_EQ(c[0].logit, 2.0f / 2.0f - 3 * 0.25f - 0.5f);
  EXPECT_FLOAT_EQ(c[1].logit, -1.0f * 2.0f - 1 * 0.25f - 0.5f);
  EXPECT_FLOAT_EQ(c[2].logit, 0.5f / 2.0f - 1 * 0.25f - 0.5f);
  EXPECT_FLOAT_EQ(c[3].logit, 3.0f);  // not in the window
}

TEST(TokenHistoryTest, WindowForgetsOldTokens) {
  TokenHistory h(3, 10);
  for (TokenId t : {1, 2, 3, 1}) h.accept(t);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.count(1), 1);  // the first 1 left the window
  EXPECT_EQ(h.count(2), 1);
  EXPECT_EQ(h.count(3), 1);
  h.accept(4);
  EXPECT_EQ(h.count(2), 0);
  h.accept(-5);      // out of range: remembered, not counted
  h.accept(100000);  // out of range
  EXPECT_EQ(h.count(-5), 0);
  EXPECT_EQ(h.count(100000), 0);
  EXPECT_EQ(h.count(1), 0);
  EXPECT_EQ(h.count(3), 0);
  EXPECT_EQ(h.count(4), 1);
  h.clear();
  EXPECT_EQ(h.count(4), 0);
  EXPECT_EQ(h.size(), 0u);
}

TEST(TokenHistoryTest, DistinctVisitsEachTokenOnce) {
  TokenHistory h(16, 10);
  for (TokenId t : {5, 5, 7, 5, 7, 9}) h.accept(t);
  std::vector<std::pair<TokenId, int>> seen;
  h.for_each_distinct([&](TokenId id, int n) { seen.emplace_back(id, n); });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::pair<TokenId, int>>{{5, 3}, {7, 2}, {9, 1}}));
}

}  // namespace
}  // namespace corral::sample
