// Grammar-constrained decoding: JsonMatcher is a byte-level pushdown automaton over a
// JsonGrammar (sample/json_schema.h) — feed it bytes and it says whether they can still lead
// to a value the grammar accepts. GrammarConstraint applies it to a token distribution: every
// token whose bytes would leave the grammar gets -inf, end-of-generation tokens only once the
// value is complete. Token bytes come from the caller (precomputed once per vocabulary), so
// this unit knows no tokenizer. Depends on sample/json_schema.h and util.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sample/json_schema.h"

namespace corral::sample {

class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonGrammar> grammar);
  // Consumes bytes; false when one of them leaves the grammar (the matcher is then dead).
  bool feed(std::string_view bytes);
  bool feed_byte(unsigned char c);
  // A complete value was read (nothing more is needed).
  bool accepted() const;
  // More bytes may still follow.
  bool dead() const { return dead_; }

 private:
  enum class F : uint8_t { kValue, kObject, kArray, kString, kNumber, kLiteral };
  struct Frame {
    F type;
    uint8_t state = 0;
    int32_t node = 0;
    int32_t a = 0;   // object: next property / matched key; array: count; literal: pos; string: pending
    int32_t b = 0;   // literal set; string: utf-8 continuation bytes left
    uint64_t mask = 0;  // literal candidates
  };
  enum Step { kTaken, kTakenDone, kRefeed, kReject, kPopRefeed };
  Step step(Frame& f, unsigned char c);
  bool start_value(int node, unsigned char c);  // replaces the top kValue frame
  void child_done(const Frame& done);
  bool literal_complete(const Frame& f) const;
  uint64_t key_candidates(const GrammarNode& n, int next) const;

  std::shared_ptr<const JsonGrammar> g_;
  std::vector<Frame> stack_;
  int ws_run_ = 0;
  bool took_gap_ws_ = false;
  bool done_ = false;
  bool dead_ = false;
};

// The token table a constraint checks: each token's bytes and whether it ends generation.
struct TokenTable {
  std::vector<std::string> bytes;  // "" for control tokens (never allowed unless end-of-generation)
  std::vector<bool> eog;
};

class GrammarConstraint {
 public:
  // `keep`: how many of the best allowed tokens the sampler may pick from (1 for greedy, top_k
  // plus the penalty window otherwise); 0 checks the whole vocabulary every step.
  GrammarConstraint(std::shared_ptr<const JsonGrammar> grammar, std::shared_ptr<const TokenTable> tokens, int keep);
  // Sets every token that would leave the grammar to -inf. Checks the best candidates first and
  // only falls back to the whole vocabulary when fewer than `keep` of them are allowed.
  void apply(std::span<float> logits);
  // The sampled token; false if it leaves the grammar (it was not masked).
  bool accept(int32_t token);
  bool accepted() const { return matcher_.accepted(); }
  // How often apply() had to scan the whole vocabulary (for tests and stats).
  int64_t full_scans() const { return full_scans_; }

 private:
  bool allowed(int32_t token, JsonMatcher& scratch) const;

  JsonMatcher matcher_;
  std::shared_ptr<const TokenTable> tokens_;
  int keep_;
  int64_t full_scans_ = 0;
  std::vector<int32_t> order_;
};

}  // namespace corral::sample
