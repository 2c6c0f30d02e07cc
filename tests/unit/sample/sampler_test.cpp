// Sampler: final distributions against numpy goldens (make_goldens.py), seeded
// reproducibility, sampling frequencies (chi-square), greedy and bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "sample/sampler.h"

namespace corral::sample {
namespace {

using nlohmann::json;

json load_goldens() {
  std::ifstream f(std::string(CORRAL_REPO_DIR) + "/tests/unit/sample/sampler_goldens.json");
  EXPECT_TRUE(f.good()) << "missing sampler_goldens.json";
  return json::parse(f);
}

SamplerOptions options_from(const json& o, const json& bias) {
  SamplerOptions s;
  s.temperature = o["temperature"].get<float>();
  s.top_k = o["top_k"].get<int>();
  s.top_p = o["top_p"].get<float>();
  s.min_p = o["min_p"].get<float>();
  s.typical_p = o["typical_p"].get<float>();
  s.repeat_penalty = o["repeat_penalty"].get<float>();
  s.presence_penalty = o["presence_penalty"].get<float>();
  s.frequency_penalty = o["frequency_penalty"].get<float>();
  s.repeat_last_n = o["repeat_last_n"].get<int>();
  s.seed = 1;
  for (const json& b : bias) {
    float v = b[1].is_string() ? -std::numeric_limits<float>::infinity() : b[1].get<float>();
    s.logit_bias.emplace_back(b[0].get<TokenId>(), v);
  }
  return s;
}

TEST(SamplerGoldenTest, DistributionsMatchNumpy) {
  json doc = load_goldens();
  ASSERT_GE(doc["cases"].size(), 10u);
  for (const json& tc : doc["cases"]) {
    SCOPED_TRACE(tc["name"].get<std::string>());
    std::vector<float> logits = doc["vectors"][tc["logits"].get<std::string>()].get<std::vector<float>>();
    std::vector<TokenId> hist = doc["histories"][tc["history"].get<std::string>()].get<std::vector<TokenId>>();
    auto sampler = Sampler::create(options_from(tc["options"], tc["logit_bias"]), logits.size());
    ASSERT_TRUE(sampler.ok()) << sampler.status().to_string();
    sampler->accept(hist);
    auto dist = sampler->distribution(logits);
    ASSERT_TRUE(dist.ok()) << dist.status().to_string();
    std::map<TokenId, float> got;
    for (const Candidate& c : *dist) got[c.id] = c.p;
    auto ids = tc["expect_ids"].get<std::vector<TokenId>>();
    auto probs = tc["expect_p"].get<std::vector<float>>();
    ASSERT_EQ(got.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      ASSERT_TRUE(got.count(ids[i])) << "token " << ids[i] << " missing";
      EXPECT_NEAR(got[ids[i]], probs[i], 2e-6 + 1e-4 * probs[i]) << "token " << ids[i];
    }
    if (tc.contains("expect_logits")) {
      // The penalty stage alone, on the same window.
      auto expect = tc["expect_logits"].get<std::vector<float>>();
      const json& o = tc["options"];
      TokenHistory h(static_cast<size_t>(o["repeat_last_n"].get<int>()), logits.size());
      for (TokenId t : hist) h.accept(t);
      Candidates c;
      c.reset(logits);
      StageContext ctx{&h};
      PenaltiesStage(o["repeat_penalty"].get<float>(), o["frequency_penalty"].get<float>(),
                     o["presence_penalty"].get<float>())
          .apply(c, ctx);
      for (size_t i = 0; i < expect.size(); ++i) EXPECT_NEAR(c[i].logit, expect[i], 1e-5) << i;
    }
  }
}

TEST(SamplerTest, StagesRunInLlamaCppOrder) {
  SamplerOptions o;
  o.top_k = 10;
  o.typical_p = 0.9f;
  o.top_p = 0.9f;
  o.min_p = 0.05f;
  o.temperature = 0.7f;
  o.logit_bias = {{1, 1.0f}};
  auto s = Sampler::create(o, 100);
  ASSERT_TRUE(s.ok());
  std::vector<std::string_view> expect = {"logit_bias", "penalties", "top_k", "typical_p",
                                          "top_p", "min_p", "temperature"};
  EXPECT_EQ(s->stage_names(), expect);
  SamplerOptions off;
  off.top_k = 0;
  off.top_p = 1.0f;
  off.repeat_penalty = 1.0f;
  off.temperature = 1.0f;
  EXPECT_TRUE(Sampler::create(off, 100)->stage_names().empty());
}

std::vector<float> random_logits(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = nd(gen);
  return v;
}

TEST(SamplerTest, SameSeedSameTokens) {
  SamplerOptions o;
  o.seed = 42;
  auto logits = random_logits(5000, 7);
  auto a = Sampler::create(o, logits.size());
  auto b = Sampler::create(o, logits.size());
  o.seed = 43;
  auto c = Sampler::create(o, logits.size());
  std::vector<TokenId> ta, tb, tc;
  for (int i = 0; i < 200; ++i) {
    ta.push_back(*a->sample(logits));
    tb.push_back(*b->sample(logits));
    tc.push_back(*c->sample(logits));
    a->accept(ta.back());
    b->accept(tb.back());
    c->accept(tc.back());
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

// Chi-square goodness of fit of sampled frequencies against the expected distribution, with a
// fixed seed (deterministic) and the 0.1% critical value, so a real bias fails.
double chi_square(const std::vector<int>& counts, const std::vector<double>& expect, int n) {
  double chi = 0.0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double e = expect[i] * n;
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

TEST(SamplerTest, FrequenciesFollowTheDistribution) {
  const std::vector<float> logits = {0.0f, 1.0f, -0.5f, 2.0f, 0.3f, -1.0f, 1.5f, 0.8f};
  SamplerOptions o;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.repeat_penalty = 1.0f;
  o.temperature = 1.0f;
  o.seed = 1234;
  auto s = Sampler::create(o, logits.size());
  ASSERT_TRUE(s.ok());
  std::vector<double> expect;
  double z = 0;
  for (float l : logits) z += std::exp(double(l));
  for (float l : logits) expect.push_back(std::exp(double(l)) / z);
  const int n = 200000;
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(*s->sample(logits))];
  EXPECT_LT(chi_square(counts, expect, n), 24.32);  // df 7, p = 0.001
}

TEST(SamplerTest, FrequenciesWithTopKAndTemperature) {
  const std::vector<float> logits = {0.0f, 1.0f, -0.5f, 2.0f, 0.3f, -1.0f, 1.5f, 0.8f};
  SamplerOptions o;
  o.top_k = 3;  // tokens 3, 6, 1
  o.top_p = 1.0f;
  o.repeat_penalty = 1.0f;
  o.temperature = 0.7f;
  o.seed = 99;
  auto s = Sampler::create(o, logits.size());
  std::vector<int> kept = {3, 6, 1};
  std::vector<double> expect;
  double z = 0;
  for (int t : kept) z += std::exp(double(logits[size_t(t)]) / 0.7);
  for (int t : kept) expect.push_back(std::exp(double(logits[size_t(t)]) / 0.7) / z);
  const int n = 100000;
  std::vector<int> all(logits.size(), 0);
  for (int i = 0; i < n; ++i) ++all[static_cast<size_t>(*s->sample(logits))];
  std::vector<int> counts;
  for (int t : kept) counts.push_back(all[size_t(t)]);
  EXPECT_EQ(counts[0] + counts[1] + counts[2], n);  // nothing outside the top 3
  EXPECT_LT(chi_square(counts, expect, n), 13.82);  // df 2, p = 0.001
}

TEST(SamplerTest, GreedyIsArgmaxAfterPenalties) {
  std::vector<float> logits = {1.0f, 3.0f, 2.9f, -1.0f};
  SamplerOptions o;
  o.temperature = 0.0f;
  o.repeat_penalty = 1.5f;  // 3.0 / 1.5 = 2.0 < 2.9
  auto s = Sampler::create(o, logits.size());
  EXPECT_TRUE(s->greedy());
  EXPECT_EQ(*s->sample(logits), 1);
  s->accept(1);
  EXPECT_EQ(*s->sample(logits), 2);
  auto d = s->distribution(logits);
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].id, 2);
  EXPECT_EQ((*d)[0].p, 1.0f);
}

TEST(SamplerTest, RepeatLastNMinusOneUsesNumCtx) {
  std::vector<float> logits = {1.0f, 3.0f, 2.9f};
  SamplerOptions o;
  o.temperature = 0.0f;
  o.repeat_penalty = 2.0f;
  o.repeat_last_n = -1;
  o.num_ctx = 100;
  auto s = Sampler::create(o, logits.size());
  EXPECT_EQ(s->history().capacity(), 100u);
  s->accept(1);
  for (int i = 0; i < 98; ++i) s->accept(0);
  EXPECT_EQ(*s->sample(logits), 2);  // token 1 still in a 100-token window
  o.repeat_last_n = 0;
  EXPECT_EQ(Sampler::create(o, 3)->history().capacity(), 0u);
}

TEST(SamplerTest, BadInputIsAnError) {
  SamplerOptions o;
  o.seed = 1;
  auto s = Sampler::create(o, 4);
  EXPECT_EQ(s->sample({}).status().code(), StatusCode::kInvalidArgument);
  std::vector<float> nan = {1.0f, std::nanf(""), 0.0f};
  EXPECT_EQ(s->sample(nan).status().code(), StatusCode::kInvalidArgument);
  const float ninf = -std::numeric_limits<float>::infinity();
  std::vector<float> banned = {ninf, ninf};
  EXPECT_EQ(s->sample(banned).status().code(), StatusCode::kInvalidArgument);
  // A ban by logit bias leaves the rest.
  o.logit_bias = {{0, ninf}};
  auto t = Sampler::create(o, 2);
  std::vector<float> two = {5.0f, 0.0f};
  for (int i = 0; i < 20; ++i) EXPECT_EQ(*t->sample(two), 1);
}

TEST(SamplerTest, OptionsAreValidated) {
  auto bad = [](auto mutate) {
    SamplerOptions o;
    mutate(o);
    return Sampler::create(o, 10).status().code();
  };
  EXPECT_EQ(bad([](SamplerOptions& o) { o.top_p = 1.5f; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.min_p = -0.1f; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.typical_p = std::nanf(""); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.temperature = std::nanf(""); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.repeat_penalty = 0.0f; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.repeat_last_n = -2; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.logit_bias = {{-1, 1.0f}}; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](SamplerOptions& o) { o.logit_bias = {{1, std::nanf("")}}; }), StatusCode::kInvalidArgument);
  SamplerOptions neg;
  neg.temperature = -1.0f;  // negative temperature is greedy, as in llama.cpp
  EXPECT_TRUE(Sampler::create(neg, 10)->greedy());
}

// Not a timed test: prints the per-token cost on a 152k vocabulary (Qwen2 size). Each loop
// stops after about a second so sanitizer builds stay quick.
double us_per_token(Sampler& s, const std::vector<float>& logits) {
  const auto start = std::chrono::steady_clock::now();
  int steps = 0;
  double elapsed = 0.0;
  while (steps < 200 && elapsed < 1e6) {
    auto t = s.sample(logits);
    EXPECT_TRUE(t.ok());
    s.accept(*t);
    ++steps;
    elapsed = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  }
  return elapsed / steps;
}

TEST(SamplerTest, LargeVocabularyCost) {
  auto logits = random_logits(151936, 3);
  SamplerOptions o;
  o.seed = 5;
  auto s = Sampler::create(o, logits.size());
  double us = us_per_token(*s, logits);
  o.top_k = 0;  // top-p over the whole vocabulary
  auto w = Sampler::create(o, logits.size());
  double us_wide = us_per_token(*w, logits);
  std::printf("sampler, 151936 tokens: %.1f us/token (Ollama defaults), %.1f us/token (top_k off)\n", us, us_wide);
}

}  // namespace
}  // namespace corral::sample
