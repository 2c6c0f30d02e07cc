// Candidates: the working set of (token id, logit, probability) triples that the sampler
// stages filter and reshape for one decoding step. Storage is reused across steps so that a
// 150k-token vocabulary costs no allocation per token; while no stage has reordered the set it
// is kept as a plain logit array indexed by token id (cheap to load, to penalize and to select
// the top k from). Depends only on the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace corral::sample {

using TokenId = int32_t;

struct Candidate {
  TokenId id;
  float logit;
  float p;  // valid only after softmax()
};

class Candidates {
 public:
  // Loads one logit per token id. Returns false if a logit is NaN (the set is loaded anyway).
  bool reset(std::span<const float> logits);

  size_t size() const { return dense_ ? logits_.size() : size_; }
  bool empty() const { return size() == 0; }

  // True while no stage has removed or reordered items, so item i is token i.
  bool indexed_by_id() const { return indexed_by_id_; }
  // The logit of token `id`; only while indexed_by_id().
  float& logit_of(TokenId id);

  // The items as triples (converts the dense form on first use).
  std::span<Candidate> items();
  std::span<const Candidate> items() const;
  Candidate& operator[](size_t i) { return items()[i]; }
  const Candidate& operator[](size_t i) const { return items()[i]; }

  // Keeps the first n items. Call after reordering so that the wanted items come first.
  void truncate(size_t n);
  // Removes items for which keep(c) is false, preserving order.
  template <typename Pred>
  void filter(Pred keep) {
    std::span<Candidate> all = items();
    size_t out = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (keep(all[i])) all[out++] = all[i];
    }
    if (out != all.size()) {
      // Order is preserved: a fully sorted set stays sorted, a partly sorted one is not.
      sorted_prefix_ = sorted_prefix_ == all.size() ? out : 0;
      indexed_by_id_ = false;
    }
    size_ = out;
  }

  // Makes the first min(n, size()) items the largest logits in descending order. Cheap when
  // already done: it only extends the sorted prefix.
  void sort_desc_prefix(size_t n);
  size_t sorted_desc_prefix() const { return sorted_prefix_; }
  // Keeps only the k largest logits, sorted descending: one pass plus O(k log k).
  void keep_top(size_t k);
  // The size of the smallest set of most probable items whose probability mass reaches
  // `mass` (at least 1), and moves that set to the front. Needs softmax() first. O(n): it
  // selects with nth_element on shrinking ranges instead of sorting everything.
  size_t top_mass_count(double mass);
  // Call after any stage reorders the items by a key other than the logit.
  void mark_reordered() {
    indexed_by_id_ = false;
    sorted_prefix_ = 0;
  }

  // Sets p = softmax(logit) over the current items; returns the largest logit.
  // -inf logits get p = 0. All -inf: every p is 0 and the function returns -inf.
  float softmax();
  // Item i by value, without converting the dense form.
  Candidate get(size_t i) const {
    return dense_ ? Candidate{static_cast<TokenId>(i), logits_[i], 0.0f} : items_[i];
  }
  // Keeps only item i, with probability 1.
  void keep_one(size_t i);
  // Index of the largest logit (the lowest id among ties); size() must be > 0.
  size_t argmax() const;

 private:
  void densify_to_items() const;

  // Dense form: logits_[id]. Converted lazily into items_ (size_ of them in use).
  mutable std::vector<float> logits_;
  mutable std::vector<Candidate> items_;
  mutable size_t size_ = 0;
  mutable bool dense_ = true;
  bool indexed_by_id_ = true;
  size_t sorted_prefix_ = 0;
};

}  // namespace corral::sample
