// Sampler stages: the transformations a Sampler chains over the Candidates of one step, in
// llama.cpp/Ollama order (logit bias, penalties, top-k, typical-p, top-p, min-p, temperature),
// and TokenHistory, the window of recent tokens the penalties look at.
// Depends only on the standard library and sample/candidates.h; knows nothing of models.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "sample/candidates.h"

namespace corral::sample {

// The last `capacity` accepted tokens (prompt and generated) with a count per token id.
// Ids outside [0, n_vocab) are remembered in the window but never counted or penalized.
class TokenHistory {
 public:
  TokenHistory(size_t capacity, size_t n_vocab);

  void accept(TokenId id);
  void clear();
  size_t capacity() const { return ring_.size(); }
  size_t size() const { return size_; }
  // How often `id` occurs in the window (0 for out-of-range ids).
  int32_t count(TokenId id) const;
  // Calls fn(id, count) once per distinct in-range token of the window.
  template <typename Fn>
  void for_each_distinct(Fn fn) {
    if (++stamp_ == 0) {  // wrapped: reset the marks
      std::fill(seen_.begin(), seen_.end(), 0u);
      stamp_ = 1;
    }
    for (size_t i = 0; i < size_; ++i) {
      TokenId id = ring_[i];
      if (!in_range(id) || seen_[static_cast<size_t>(id)] == stamp_) continue;
      seen_[static_cast<size_t>(id)] = stamp_;
      fn(id, counts_[static_cast<size_t>(id)]);
    }
  }

 private:
  bool in_range(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < counts_.size(); }

  std::vector<TokenId> ring_;
  size_t head_ = 0;  // next slot to write
  size_t size_ = 0;
  std::vector<int32_t> counts_;
  std::vector<uint32_t> seen_;
  uint32_t stamp_ = 0;
};

// Everything a stage may read besides the candidates.
struct StageContext {
  TokenHistory* history = nullptr;
};

class SamplerStage {
 public:
  virtual ~SamplerStage() = default;
  virtual std::string_view name() const = 0;
  virtual void apply(Candidates& c, StageContext& ctx) = 0;
};

// Adds a bias to chosen logits (-inf bans a token). Needs candidates indexed by id.
class LogitBiasStage final : public SamplerStage {
 public:
  explicit LogitBiasStage(std::vector<std::pair<TokenId, float>> bias) : bias_(std::move(bias)) {}
  std::string_view name() const override { return "logit_bias"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  std::vector<std::pair<TokenId, float>> bias_;
};

// llama.cpp penalties over the tokens of the history window: for a token seen n > 0 times,
// logit = logit <= 0 ? logit * repeat : logit / repeat, then
// logit -= n * frequency + presence. Needs candidates indexed by id.
class PenaltiesStage final : public SamplerStage {
 public:
  PenaltiesStage(float repeat, float frequency, float presence)
      : repeat_(repeat), frequency_(frequency), presence_(presence) {}
  std::string_view name() const override { return "penalties"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  float repeat_, frequency_, presence_;
};

// Keeps the k largest logits (k <= 0 or k >= size: no-op). O(n) selection, then the k
// survivors are sorted (descending).
class TopKStage final : public SamplerStage {
 public:
  explicit TopKStage(int k) : k_(k) {}
  std::string_view name() const override { return "top_k"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  int k_;
};

// Locally typical sampling (Meister et al.): orders tokens by |-log p - H| and keeps the
// shortest prefix whose probability mass exceeds p (at least one token). p >= 1: no-op.
class TypicalStage final : public SamplerStage {
 public:
  explicit TypicalStage(float p) : p_(p) {}
  std::string_view name() const override { return "typical_p"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  float p_;
  std::vector<std::pair<float, Candidate>> scratch_;
};

// Nucleus sampling: keeps the most probable tokens until their mass reaches p (>= p, at least
// one token). p >= 1: no-op. Sorts only as much of the set as it needs.
class TopPStage final : public SamplerStage {
 public:
  explicit TopPStage(float p) : p_(p) {}
  std::string_view name() const override { return "top_p"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  float p_;
};

// Keeps tokens whose probability is at least p * (largest probability). p <= 0: no-op.
class MinPStage final : public SamplerStage {
 public:
  explicit MinPStage(float p) : p_(p) {}
  std::string_view name() const override { return "min_p"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  float p_;
};

// Divides logits by t (t > 0; t <= 0 is the greedy case, handled by the Sampler).
class TemperatureStage final : public SamplerStage {
 public:
  explicit TemperatureStage(float t) : t_(t) {}
  std::string_view name() const override { return "temperature"; }
  void apply(Candidates& c, StageContext& ctx) override;

 private:
  float t_;
};

}  // namespace corral::sample
