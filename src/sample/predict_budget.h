// PredictBudget: num_predict accounting for one generation, with Ollama's meanings:
// n > 0 at most n new tokens; 0 or -1 no limit of its own; -2 fill the context window.
// The context window bounds every mode (prompt + generated <= num_ctx) unless the caller
// shifts the context. Depends only on util.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/status.h"

namespace corral::sample {

enum class DoneReason { kNone, kStop, kLength };
std::string_view done_reason_name(DoneReason r);  // "", "stop", "length" (Ollama's words)

class PredictBudget {
 public:
  // invalid_argument for num_predict < -2, num_ctx <= 0 or prompt_tokens < 0.
  static Result<PredictBudget> create(int num_predict, int num_ctx, int prompt_tokens,
                                      bool context_shift = false);

  // True once `generated` tokens exhaust the budget (the generation ends with "length").
  bool exhausted(int64_t generated) const;
  // How many more tokens may be generated after `generated`; nullopt = unbounded.
  std::optional<int64_t> remaining(int64_t generated) const;
  // The limit in new tokens; nullopt = unbounded (only with context_shift).
  std::optional<int64_t> max_new_tokens() const { return max_new_; }

 private:
  explicit PredictBudget(std::optional<int64_t> max_new) : max_new_(max_new) {}
  std::optional<int64_t> max_new_;
};

}  // namespace corral::sample
