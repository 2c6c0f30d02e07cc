#include "sample/sampler.h"

#include <cmath>
#include <limits>

namespace corral::sample {

namespace {

Status check_unit(const char* name, float v) {
  if (!(v >= 0.0f && v <= 1.0f)) return invalid_argument("%s must be in [0, 1], got %g", name, double(v));
  return ok_status();
}

Status check_finite(const char* name, float v) {
  if (!std::isfinite(v)) return invalid_argument("%s must be a finite number, got %g", name, double(v));
  return ok_status();
}

}  // namespace

Status SamplerOptions::validate() const {
  CORRAL_TRY(check_finite("temperature", temperature));
  CORRAL_TRY(check_unit("top_p", top_p));
  CORRAL_TRY(check_unit("min_p", min_p));
  CORRAL_TRY(check_unit("typical_p", typical_p));
  CORRAL_TRY(check_finite("repeat_penalty", repeat_penalty));
  if (repeat_penalty <= 0.0f) {
    return invalid_argument("repeat_penalty must be > 0, got %g", double(repeat_penalty));
  }
  CORRAL_TRY(check_finite("presence_penalty", presence_penalty));
  CORRAL_TRY(check_finite("frequency_penalty", frequency_penalty));
  if (repeat_last_n < -1) return invalid_argument("repeat_last_n must be >= -1, got %d", repeat_last_n);
  if (repeat_last_n == -1 && num_ctx <= 0) {
    return invalid_argument("repeat_last_n = -1 needs num_ctx > 0, got %d", num_ctx);
  }
  for (const auto& [id, bias] : logit_bias) {
    if (id < 0) return invalid_argument("logit_bias: token id %d is negative", id);
    if (std::isnan(bias) || bias == std::numeric_limits<float>::infinity()) {
      return invalid_argument("logit_bias for token %d must be a number or -inf, got %g", id, double(bias));
    }
  }
  return ok_status();
}

Result<Sampler> Sampler::create(const SamplerOptions& options, size_t n_vocab) {
  CORRAL_TRY(options.validate());
  size_t window = options.repeat_last_n == -1 ? static_cast<size_t>(options.num_ctx)
                                              : static_cast<size_t>(options.repeat_last_n);
  const bool penalize = options.repeat_penalty != 1.0f || options.presence_penalty != 0.0f ||
                        options.frequency_penalty != 0.0f;
  if (!penalize) window = 0;
  return Sampler(options, n_vocab, window);
}

Sampler::Sampler(const SamplerOptions& options, size_t n_vocab, size_t window)
    : options_(options), history_(window, n_vocab) {
  const SamplerOptions& o = options_;
  if (!o.logit_bias.empty()) stages_.push_back(std::make_unique<LogitBiasStage>(o.logit_bias));
  if (window > 0) {
    stages_.push_back(std::make_unique<PenaltiesStage>(o.repeat_penalty, o.frequency_penalty, o.presence_penalty));
  }
  if (o.temperature > 0.0f) {  // greedy needs no filtering: argmax survives them all but typical
    if (o.top_k > 0) stages_.push_back(std::make_unique<TopKStage>(o.top_k));
    if (o.typical_p < 1.0f) stages_.push_back(std::make_unique<TypicalStage>(o.typical_p));
    if (o.top_p < 1.0f) stages_.push_back(std::make_unique<TopPStage>(o.top_p));
    if (o.min_p > 0.0f) stages_.push_back(std::make_unique<MinPStage>(o.min_p));
    if (o.temperature != 1.0f) stages_.push_back(std::make_unique<TemperatureStage>(o.temperature));
  }
  if (o.seed >= 0) {
    rng_.seed(static_cast<uint64_t>(o.seed));
  } else {
    std::random_device rd;
    rng_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
  }
}

std::vector<std::string_view> Sampler::stage_names() const {
  std::vector<std::string_view> names;
  for (const auto& s : stages_) names.push_back(s->name());
  return names;
}

Status Sampler::run_stages(std::span<const float> logits) {
  if (logits.empty()) return invalid_argument("sampler: empty logits");
  if (logits.size() > static_cast<size_t>(std::numeric_limits<TokenId>::max())) {
    return invalid_argument("sampler: %zu logits is more than token ids can address", logits.size());
  }
  if (!candidates_.reset(logits)) {
    for (size_t i = 0; i < logits.size(); ++i) {
      if (std::isnan(logits[i])) return invalid_argument("sampler: logit of token %zu is NaN", i);
    }
  }
  StageContext ctx{&history_};
  for (auto& stage : stages_) stage->apply(candidates_, ctx);
  if (candidates_.empty()) return invalid_argument("sampler: no candidate token left");
  const size_t best = candidates_.argmax();
  if (candidates_.get(best).logit == -std::numeric_limits<float>::infinity()) {
    return invalid_argument("sampler: every token has probability 0 (all logits -inf)");
  }
  if (greedy()) {
    candidates_.keep_one(best);
    return ok_status();
  }
  candidates_.softmax();
  return ok_status();
}

Result<std::span<const Candidate>> Sampler::distribution(std::span<const float> logits) {
  CORRAL_TRY(run_stages(logits));
  return std::span<const Candidate>(candidates_.items());
}

double Sampler::uniform01() {
  // 53 random bits: the same doubles on every platform (std::uniform_real_distribution is not
  // specified exactly).
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

Result<TokenId> Sampler::sample(std::span<const float> logits) {
  CORRAL_TRY(run_stages(logits));
  if (candidates_.size() == 1) return candidates_[0].id;
  // Inverse-CDF draw: the probabilities sum to 1 up to rounding, so the last token with p > 0
  // takes whatever mass rounding left over.
  const double r = uniform01();
  double cum = 0.0;
  size_t last_positive = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    double p = static_cast<double>(candidates_[i].p);
    if (p <= 0.0) continue;
    last_positive = i;
    cum += p;
    if (r < cum) return candidates_[i].id;
  }
  return candidates_[last_positive].id;
}

}  // namespace corral::sample
