#include "sample/predict_budget.h"

#include <algorithm>

namespace corral::sample {

std::string_view done_reason_name(DoneReason r) {
  switch (r) {
    case DoneReason::kNone: return "";
    case DoneReason::kStop: return "stop";
    case DoneReason::kLength: return "length";
  }
  return "";
}

Result<PredictBudget> PredictBudget::create(int num_predict, int num_ctx, int prompt_tokens,
                                            bool context_shift) {
  if (num_predict < -2) {
    return invalid_argument("num_predict must be >= -2 (-1: no limit, -2: fill context), got %d", num_predict);
  }
  if (num_ctx <= 0) return invalid_argument("num_ctx must be > 0, got %d", num_ctx);
  if (prompt_tokens < 0) return invalid_argument("prompt token count must be >= 0, got %d", prompt_tokens);
  const int64_t room = std::max<int64_t>(0, int64_t(num_ctx) - int64_t(prompt_tokens));
  std::optional<int64_t> limit;
  if (num_predict > 0) limit = num_predict;
  if (num_predict == -2 || !context_shift) {
    // The window bounds the generation unless the runner may shift the context.
    limit = limit ? std::min(*limit, room) : room;
  }
  return PredictBudget(limit);
}

bool PredictBudget::exhausted(int64_t generated) const {
  return max_new_.has_value() && generated >= *max_new_;
}

std::optional<int64_t> PredictBudget::remaining(int64_t generated) const {
  if (!max_new_) return std::nullopt;
  return std::max<int64_t>(0, *max_new_ - generated);
}

}  // namespace corral::sample
