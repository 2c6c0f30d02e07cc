// Sampler: turns one step's logits into a token. Options as Ollama/llama.cpp name them; the
// stages run in llama.cpp order (logit bias, penalties, top-k, typical-p, top-p, min-p,
// temperature) and a seeded RNG owned by the sampler picks the token. temperature <= 0 is
// greedy (argmax after bias and penalties). Depends only on util and sample/ itself.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "sample/candidates.h"
#include "sample/stages.h"
#include "util/status.h"

namespace corral::sample {

// Defaults are Ollama's.
struct SamplerOptions {
  float temperature = 0.8f;       // <= 0: greedy
  int top_k = 40;                 // <= 0: off
  float top_p = 0.9f;             // [0, 1]; 1: off
  float min_p = 0.0f;             // [0, 1]; 0: off
  float typical_p = 1.0f;         // [0, 1]; 1: off
  float repeat_penalty = 1.1f;    // > 0; 1: off
  float presence_penalty = 0.0f;  // 0: off
  float frequency_penalty = 0.0f; // 0: off
  int repeat_last_n = 64;         // penalty window; 0: off, -1: num_ctx
  int num_ctx = 4096;             // only used for repeat_last_n = -1
  int64_t seed = -1;              // < 0: seeded from std::random_device
  std::vector<std::pair<TokenId, float>> logit_bias;  // added to logits; -inf bans a token

  // invalid_argument naming the option for NaN or out-of-range values.
  Status validate() const;
};

class Sampler {
 public:
  // n_vocab bounds the token ids the penalty window counts; logits passed to sample() may be
  // shorter or longer (ids past them are simply not penalized).
  static Result<Sampler> create(const SamplerOptions& options, size_t n_vocab);

  Sampler(Sampler&&) noexcept = default;
  Sampler& operator=(Sampler&&) noexcept = default;

  // Picks a token. Does not accept it: call accept() with the token actually used (so the
  // caller may still reject it, e.g. on a stop condition).
  // invalid_argument for empty logits or NaN; invalid_argument if every token is banned (-inf).
  Result<TokenId> sample(std::span<const float> logits);

  // The final distribution sample() would draw from: surviving candidates with their
  // probabilities (after temperature), in the sampler's internal order. Greedy: one token, p 1.
  // The span stays valid until the next call on this sampler.
  Result<std::span<const Candidate>> distribution(std::span<const float> logits);

  // Records a token (prompt or generated) in the penalty window.
  void accept(TokenId id) { history_.accept(id); }
  void accept(std::span<const TokenId> ids) {
    for (TokenId id : ids) history_.accept(id);
  }
  // Clears the penalty window (a new sequence); keeps the RNG state.
  void reset_history() { history_.clear(); }
  void reseed(uint64_t seed) { rng_.seed(seed); }

  const SamplerOptions& options() const { return options_; }
  bool greedy() const { return options_.temperature <= 0.0f; }
  const TokenHistory& history() const { return history_; }
  // Names of the active stages, in order (for logs and tests).
  std::vector<std::string_view> stage_names() const;

 private:
  Sampler(const SamplerOptions& options, size_t n_vocab, size_t window);
  Status run_stages(std::span<const float> logits);
  double uniform01();

  SamplerOptions options_;
  TokenHistory history_;
  std::vector<std::unique_ptr<SamplerStage>> stages_;
  Candidates candidates_;
  std::mt19937_64 rng_;
};

}  // namespace corral::sample
