#include "sample/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::sample {

namespace {
// Descending logit; ties broken by the lower id so every order is deterministic.
// A function object (not a function pointer) so the standard algorithms inline it.
struct Higher {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.logit != b.logit) return a.logit > b.logit;
    return a.id < b.id;
  }
};
constexpr Higher higher;
}  // namespace

bool Candidates::reset(std::span<const float> logits) {
  logits_.resize(logits.size());  // keeps capacity: no allocation after the first step
  std::copy(logits.begin(), logits.end(), logits_.begin());
  // A branch-free reduction the compiler can vectorize (x != x only for NaN).
  int nan = 0;
  for (float x : logits) nan |= static_cast<int>(x != x);
  dense_ = true;
  size_ = 0;
  indexed_by_id_ = true;
  sorted_prefix_ = 0;
  return !nan;
}

float& Candidates::logit_of(TokenId id) {
  if (dense_) return logits_[static_cast<size_t>(id)];
  return items_[static_cast<size_t>(id)].logit;
}

void Candidates::densify_to_items() const {
  if (!dense_) return;
  if (items_.size() < logits_.size()) items_.resize(logits_.size());
  for (size_t i = 0; i < logits_.size(); ++i) {
    items_[i] = Candidate{static_cast<TokenId>(i), logits_[i], 0.0f};
  }
  size_ = logits_.size();
  dense_ = false;
}

std::span<Candidate> Candidates::items() {
  densify_to_items();
  return {items_.data(), size_};
}

std::span<const Candidate> Candidates::items() const {
  densify_to_items();
  return {items_.data(), size_};
}

void Candidates::truncate(size_t n) {
  if (n >= size()) return;
  densify_to_items();
  size_ = n;
  indexed_by_id_ = false;
  sorted_prefix_ = std::min(sorted_prefix_, n);
}

void Candidates::sort_desc_prefix(size_t n) {
  std::span<Candidate> all = items();
  n = std::min(n, all.size());
  if (n <= sorted_prefix_) return;
  // Everything past sorted_prefix_ is <= the sorted prefix, so sorting the next chunk of the
  // remainder extends the prefix.
  auto first = all.begin() + static_cast<std::ptrdiff_t>(sorted_prefix_);
  if (n == all.size() || n - sorted_prefix_ > (all.size() - sorted_prefix_) / 4) {
    // A large share: a full sort of the rest beats a heap-based partial sort.
    n = all.size();
    std::sort(first, all.end(), higher);
  } else {
    std::partial_sort(first, all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), higher);
  }
  sorted_prefix_ = n;
  if (all.size() > 1) indexed_by_id_ = false;
}

void Candidates::keep_top(size_t k) {
  if (k >= size()) {
    sort_desc_prefix(size());
    return;
  }
  if (dense_) {
    // Select straight from the logit array with a k-element heap whose front is the weakest
    // kept item: most tokens cost one float comparison.
    if (items_.size() < k) items_.resize(k);
    auto first = items_.begin();
    auto heap_end = first + static_cast<std::ptrdiff_t>(k);
    for (size_t i = 0; i < k; ++i) items_[i] = Candidate{static_cast<TokenId>(i), logits_[i], 0.0f};
    std::make_heap(first, heap_end, higher);
    float weakest = first->logit;
    for (size_t i = k; i < logits_.size(); ++i) {
      // Ties go to the lower id, which is already in the heap, so '>' is exact.
      if (logits_[i] > weakest) {
        std::pop_heap(first, heap_end, higher);
        *(heap_end - 1) = Candidate{static_cast<TokenId>(i), logits_[i], 0.0f};
        std::push_heap(first, heap_end, higher);
        weakest = first->logit;
      }
    }
    std::sort_heap(first, heap_end, higher);
    dense_ = false;
  } else if (k > sorted_prefix_) {
    auto first = items_.begin();
    auto kth = first + static_cast<std::ptrdiff_t>(k);
    std::nth_element(first, kth, first + static_cast<std::ptrdiff_t>(size_), higher);
    std::sort(first, kth, higher);
  }
  size_ = k;
  sorted_prefix_ = k;
  indexed_by_id_ = false;
}

size_t Candidates::top_mass_count(double mass) {
  std::span<Candidate> all = items();
  const size_t n = all.size();
  if (n == 0) return 0;
  // Invariant: items [0, lo) rank above everything in [lo, hi), which ranks above [hi, n);
  // `before` is the mass of [0, lo); the cut-off index lies in [lo, hi).
  size_t lo = 0, hi = n;
  double before = 0.0;
  if (sorted_prefix_ < n) {
    auto b = all.begin();
    while (hi - lo > 256) {
      size_t mid = lo + (hi - lo) / 2;
      std::nth_element(b + static_cast<std::ptrdiff_t>(lo), b + static_cast<std::ptrdiff_t>(mid),
                       b + static_cast<std::ptrdiff_t>(hi), higher);
      double m = 0.0;
      for (size_t i = lo; i < mid; ++i) m += static_cast<double>(all[i].p);
      if (before + m >= mass) {
        hi = mid;
      } else {
        before += m;
        lo = mid;
      }
    }
    std::sort(b + static_cast<std::ptrdiff_t>(lo), b + static_cast<std::ptrdiff_t>(hi), higher);
    indexed_by_id_ = false;
    sorted_prefix_ = lo == 0 ? hi : 0;  // [0, lo) is grouped but not sorted
  }
  double cum = before;
  for (size_t i = lo; i < hi; ++i) {
    cum += static_cast<double>(all[i].p);
    if (cum >= mass) return i + 1;
  }
  return hi;  // rounding: the whole range is needed
}

float Candidates::softmax() {
  std::span<Candidate> all = items();
  if (all.empty()) return -std::numeric_limits<float>::infinity();
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const Candidate& c : all) max_logit = std::max(max_logit, c.logit);
  if (max_logit == -std::numeric_limits<float>::infinity()) {
    for (Candidate& c : all) c.p = 0.0f;
    return max_logit;
  }
  double sum = 0.0;
  for (Candidate& c : all) {
    c.p = std::exp(c.logit - max_logit);
    sum += static_cast<double>(c.p);
  }
  double inv = 1.0 / sum;
  for (Candidate& c : all) c.p = static_cast<float>(static_cast<double>(c.p) * inv);
  return max_logit;
}

void Candidates::keep_one(size_t i) {
  Candidate c = get(i);
  c.p = 1.0f;
  if (items_.empty()) items_.resize(1);
  items_[0] = c;
  size_ = 1;
  dense_ = false;
  indexed_by_id_ = c.id == 0;
  sorted_prefix_ = 1;
}

size_t Candidates::argmax() const {
  if (dense_) {
    size_t best = 0;
    for (size_t i = 1; i < logits_.size(); ++i) {
      if (logits_[i] > logits_[best]) best = i;
    }
    return best;
  }
  size_t best = 0;
  for (size_t i = 1; i < size_; ++i) {
    if (higher(items_[i], items_[best])) best = i;
  }
  return best;
}

}  // namespace corral::sample
