// Session: one generation request on one KV-cache sequence — its prompt tokens, sampler, stop
// matcher, streaming detokenizer, num_predict budget, stream callback with cancellation, and its
// timing. The Runner feeds it: pending() tokens go into the next batch; after the forward pass
// the Runner hands the session its logits row (on_logits) and the step's duration. A Session
// never touches the model or the cache itself. Depends on sample/, tokenizer/ and util/.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sample/grammar.h"
#include "sample/predict_budget.h"
#include "sample/sampler.h"
#include "sample/stop.h"
#include "tokenizer/detokenizer.h"
#include "tokenizer/tokenizer.h"
#include "util/status.h"

namespace corral {

// Receives generated text as it becomes final (complete UTF-8, never part of a stop string).
// Returning false cancels the request.
using StreamFn = std::function<bool(std::string_view text)>;

struct GenerateRequest {
  std::vector<int32_t> prompt;     // token ids, non-empty
  sample::SamplerOptions sampling;
  int num_predict = -1;            // Ollama's meaning: > 0 at most n, -1/0 unlimited, -2 fill context
  std::vector<std::string> stop;   // stop strings (not emitted)
  StreamFn on_text;                // may be empty
  const std::atomic<bool>* cancel = nullptr;  // polled between steps; true stops the request
  // When the sequence fills num_ctx and num_predict still allows tokens: keep the first
  // num_keep tokens, drop half of the rest and go on (Ollama's context shift). Off: "length".
  bool context_shift = false;
  int num_keep = 4;
  // Structured outputs (server/): masks every token that would leave the grammar before
  // sampling and is told each sampled token. Null: unconstrained.
  std::shared_ptr<sample::GrammarConstraint> constraint;
};

// Per-request timing as Ollama reports it (nanoseconds).
struct GenerateStats {
  int64_t total_ns = 0;
  int64_t load_ns = 0;
  int64_t prompt_eval_count = 0;   // prompt tokens evaluated (cached prefix tokens excluded)
  int64_t prompt_eval_ns = 0;
  int64_t eval_count = 0;          // tokens generated
  int64_t eval_ns = 0;
  int64_t cached_prompt_tokens = 0;  // prompt tokens reused from the cache
};

struct GenerateResult {
  std::vector<int32_t> tokens;     // generated ids (the final EOG token excluded)
  std::string text;                // everything streamed
  sample::DoneReason done_reason = sample::DoneReason::kNone;  // kNone when cancelled
  bool cancelled = false;
  GenerateStats stats;
};

class Session {
 public:
  // `cached` prompt tokens are already in sequence `seq`'s cache. num_ctx bounds prompt +
  // generated tokens. invalid_argument for an empty prompt, a prompt longer than num_ctx, bad
  // sampler options or a bad num_predict.
  static Result<std::unique_ptr<Session>> create(GenerateRequest request, int seq, int64_t cached,
                                                 const Tokenizer& tokenizer, int64_t num_ctx);

  int seq() const { return seq_; }
  bool done() const { return done_; }
  // Several tokens to evaluate before the next sample: the prompt, or the kept tokens after a
  // context shift (re-computed at their new positions).
  bool prefilling() const { return fed_ < refill_end_; }
  // Tokens waiting to be evaluated: the rest of the prompt, or the last sampled token.
  std::span<const int32_t> pending() const;
  // Position of pending()[0] in the sequence.
  int32_t next_pos() const { return static_cast<int32_t>(fed_); }
  // The runner put the first n pending tokens into a batch.
  void consumed(int64_t n);
  // The tokens this sequence holds in the cache once the batched tokens are computed (prompt
  // and fed generated tokens; for prefix reuse by the next request on this sequence).
  std::span<const int32_t> cached_tokens() const {
    return std::span<const int32_t>(history_).first(static_cast<size_t>(fed_));
  }

  // Whether the cancel flag is set or the stream callback refused; finishes the session.
  bool check_cancelled();
  // The step that fed `n_prompt` prompt tokens and/or one generated token took `step_ns`.
  void add_step_time(int64_t step_ns, bool had_prompt_tokens);
  // Samples from this session's logits row, streams text and decides whether it is done.
  Status on_logits(std::span<const float> logits);
  // Ends the session with done_reason "length" (e.g. the cache cannot take another token).
  void finish_length();
  // Context shift: the sequence holds next_pos() tokens and needs room for one more. Keeps the
  // first num_keep tokens, drops half of those after them, and makes the rest pending again so
  // they are re-computed at their new positions (the caller drops the cached cells >= keep).
  // Returns the kept prefix length, or nullopt when shifting is off or cannot make room.
  std::optional<int32_t> shift_context();
  int64_t shifts() const { return shifts_; }

  GenerateResult& result() { return result_; }
  void set_start(std::chrono::steady_clock::time_point t) { start_ = t; }
  std::chrono::steady_clock::time_point start() const { return start_; }
  int64_t prompt_size() const { return static_cast<int64_t>(request_.prompt.size()); }

 private:
  Session(GenerateRequest request, int seq, int64_t cached, const Tokenizer& tokenizer, sample::Sampler sampler,
          sample::PredictBudget budget);
  bool emit(std::string_view text);
  void finish(sample::DoneReason reason);

  GenerateRequest request_;
  int seq_;
  const Tokenizer& tokenizer_;
  sample::Sampler sampler_;
  sample::PredictBudget budget_;
  sample::StopMatcher stop_;
  Detokenizer detok_;
  std::vector<int32_t> history_;  // prompt + generated tokens fed to the cache
  int64_t fed_ = 0;               // tokens of history_ already evaluated or batched
  int64_t refill_end_ = 0;        // prefilling() while fed_ < this
  int64_t shifts_ = 0;            // context shifts so far
  int32_t last_token_ = -1;       // sampled, not yet fed
  bool done_ = false;
  GenerateResult result_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace corral
