#include "sample/stages.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/check.h"

namespace corral::sample {

TokenHistory::TokenHistory(size_t capacity, size_t n_vocab)
    : ring_(capacity, 0), counts_(capacity > 0 ? n_vocab : 0, 0),
      seen_(capacity > 0 ? n_vocab : 0, 0u) {}

void TokenHistory::accept(TokenId id) {
  if (ring_.empty()) return;
  if (size_ == ring_.size()) {
    TokenId old = ring_[head_];
    if (in_range(old)) --counts_[static_cast<size_t>(old)];
  } else {
    ++size_;
  }
  ring_[head_] = id;
  if (in_range(id)) ++counts_[static_cast<size_t>(id)];
  head_ = (head_ + 1) % ring_.size();
}

void TokenHistory::clear() {
  for (size_t i = 0; i < size_; ++i) {
    if (in_range(ring_[i])) counts_[static_cast<size_t>(ring_[i])] = 0;
  }
  head_ = 0;
  size_ = 0;
}

int32_t TokenHistory::count(TokenId id) const {
  return in_range(id) ? counts_[static_cast<size_t>(id)] : 0;
}

void LogitBiasStage::apply(Candidates& c, StageContext&) {
  CORRAL_CHECK(c.indexed_by_id(), "logit bias must run before any stage that reorders");
  for (const auto& [id, bias] : bias_) {
    if (id >= 0 && static_cast<size_t>(id) < c.size()) c.logit_of(id) += bias;
  }
}

void PenaltiesStage::apply(Candidates& c, StageContext& ctx) {
  if (ctx.history == nullptr) return;
  CORRAL_CHECK(c.indexed_by_id(), "penalties must run before any stage that reorders");
  ctx.history->for_each_distinct([&](TokenId id, int32_t count) {
    if (count <= 0 || static_cast<size_t>(id) >= c.size()) return;
    float& logit = c.logit_of(id);
    logit = logit <= 0.0f ? logit * repeat_ : logit / repeat_;
    logit -= static_cast<float>(count) * frequency_ + presence_;
  });
}

void TopKStage::apply(Candidates& c, StageContext&) {
  if (k_ <= 0 || static_cast<size_t>(k_) >= c.size()) return;
  c.keep_top(static_cast<size_t>(k_));
}

void TypicalStage::apply(Candidates& c, StageContext&) {
  if (p_ >= 1.0f || c.size() <= 1) return;
  c.softmax();
  double entropy = 0.0;
  for (const Candidate& x : c.items()) {
    if (x.p > 0.0f) entropy -= static_cast<double>(x.p) * std::log(static_cast<double>(x.p));
  }
  scratch_.clear();
  scratch_.reserve(c.size());
  for (const Candidate& x : c.items()) {
    double surprise = x.p > 0.0f ? -std::log(static_cast<double>(x.p))
                                 : std::numeric_limits<double>::infinity();
    scratch_.emplace_back(static_cast<float>(std::fabs(surprise - entropy)), x);
  }
  std::sort(scratch_.begin(), scratch_.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    if (a.second.logit != b.second.logit) return a.second.logit > b.second.logit;
    return a.second.id < b.second.id;
  });
  size_t keep = scratch_.size();
  double cum = 0.0;
  for (size_t i = 0; i < scratch_.size(); ++i) {
    cum += static_cast<double>(scratch_[i].second.p);
    if (cum > static_cast<double>(p_)) {
      keep = i + 1;
      break;
    }
  }
  for (size_t i = 0; i < keep; ++i) c[i] = scratch_[i].second;
  c.mark_reordered();
  c.truncate(keep);
}

void TopPStage::apply(Candidates& c, StageContext&) {
  if (p_ >= 1.0f || c.size() <= 1) return;
  c.softmax();
  c.truncate(c.top_mass_count(static_cast<double>(p_)));
}

void MinPStage::apply(Candidates& c, StageContext&) {
  if (p_ <= 0.0f || c.size() <= 1) return;
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const Candidate& x : c.items()) max_logit = std::max(max_logit, x.logit);
  if (max_logit == -std::numeric_limits<float>::infinity()) return;
  // p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p)
  const float threshold = max_logit + std::log(p_);
  c.filter([&](const Candidate& x) { return x.logit >= threshold; });
}

void TemperatureStage::apply(Candidates& c, StageContext&) {
  if (t_ <= 0.0f || t_ == 1.0f) return;
  for (Candidate& x : c.items()) x.logit /= t_;
}

}  // namespace corral::sample
