#include "runner/session.h"

#include <algorithm>

namespace corral {
namespace {

Detokenizer::Options continuation_options() {
  Detokenizer::Options o;
  o.strip_leading_space = false;  // generated text continues the prompt
  return o;
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(GenerateRequest request, int seq, int64_t cached,
                                                 const Tokenizer& tokenizer, int64_t num_ctx) {
  const int64_t n_prompt = static_cast<int64_t>(request.prompt.size());
  if (n_prompt == 0) return invalid_argument("the prompt is empty (no tokens)");
  if (n_prompt > num_ctx) {
    return invalid_argument("the prompt has %lld tokens, more than the context window of %lld tokens (num_ctx)",
                            static_cast<long long>(n_prompt), static_cast<long long>(num_ctx));
  }
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= tokenizer.vocab_size()) {
      return invalid_argument("prompt token id %d is outside the vocabulary (%d tokens)", id, tokenizer.vocab_size());
    }
  }
  if (cached < 0 || cached >= n_prompt) {
    return invalid_argument("cached prefix of %lld tokens must be shorter than the prompt (%lld)",
                            static_cast<long long>(cached), static_cast<long long>(n_prompt));
  }
  CORRAL_TRY(request.sampling.validate());
  CORRAL_ASSIGN_OR_RETURN(sample::Sampler sampler,
                          sample::Sampler::create(request.sampling, static_cast<size_t>(tokenizer.vocab_size())));
  CORRAL_ASSIGN_OR_RETURN(sample::PredictBudget budget,
                          sample::PredictBudget::create(request.num_predict, static_cast<int>(num_ctx),
                                                        static_cast<int>(n_prompt), request.context_shift));
  std::unique_ptr<Session> s(new Session(std::move(request), seq, cached, tokenizer, std::move(sampler), budget));
  if (s->budget_.exhausted(0)) s->finish(sample::DoneReason::kLength);
  return s;
}

Session::Session(GenerateRequest request, int seq, int64_t cached, const Tokenizer& tokenizer,
                 sample::Sampler sampler, sample::PredictBudget budget)
    : request_(std::move(request)),
      seq_(seq),
      tokenizer_(tokenizer),
      sampler_(std::move(sampler)),
      budget_(budget),
      stop_(request_.stop),
      detok_(tokenizer, continuation_options()),
      history_(request_.prompt),
      fed_(cached),
      refill_end_(static_cast<int64_t>(request_.prompt.size())) {
  sampler_.accept(request_.prompt);
  result_.stats.cached_prompt_tokens = cached;
}

std::span<const int32_t> Session::pending() const {
  if (done_) return {};
  return std::span<const int32_t>(history_).subspan(static_cast<size_t>(fed_));
}

void Session::consumed(int64_t n) {
  const int64_t n_prompt = prompt_size();
  if (shifts_ == 0 && fed_ < n_prompt) result_.stats.prompt_eval_count += std::min(n, n_prompt - fed_);
  fed_ += n;
}

bool Session::check_cancelled() {
  if (done_) return result_.cancelled;
  if (request_.cancel != nullptr && request_.cancel->load(std::memory_order_relaxed)) {
    result_.cancelled = true;
    done_ = true;
  }
  return result_.cancelled;
}

void Session::add_step_time(int64_t step_ns, bool had_prompt_tokens) {
  if (had_prompt_tokens) {
    result_.stats.prompt_eval_ns += step_ns;
  } else {
    result_.stats.eval_ns += step_ns;
  }
}

bool Session::emit(std::string_view text) {
  if (text.empty()) return true;
  result_.text.append(text);
  if (request_.on_text && !request_.on_text(text)) {
    result_.cancelled = true;
    done_ = true;
    return false;
  }
  return true;
}

void Session::finish(sample::DoneReason reason) {
  if (done_) return;
  // Release what the detokenizer and the stop matcher still hold.
  sample::StopMatcher::Step step = stop_.push(detok_.flush());
  if (!emit(step.text)) return;
  if (!step.stopped && !emit(stop_.flush())) return;
  result_.done_reason = reason;
  done_ = true;
}

void Session::finish_length() { finish(sample::DoneReason::kLength); }

std::optional<int32_t> Session::shift_context() {
  if (done_ || !request_.context_shift || prefilling()) return std::nullopt;
  const int64_t n_past = fed_;
  const int64_t keep = std::clamp<int64_t>(request_.num_keep, 0, n_past);
  const int64_t discard = (n_past - keep) / 2;
  if (discard < 1) return std::nullopt;
  history_.erase(history_.begin() + keep, history_.begin() + keep + discard);
  fed_ = keep;
  // Re-compute everything after the kept prefix up to, not including, the last sampled token;
  // that one is fed with them and its logits give the next sample.
  refill_end_ = static_cast<int64_t>(history_.size()) - 1;
  ++shifts_;
  return static_cast<int32_t>(keep);
}

Status Session::on_logits(std::span<const float> logits) {
  if (done_) return ok_status();
  std::vector<float> masked;
  if (request_.constraint) {
    masked.assign(logits.begin(), logits.end());
    request_.constraint->apply(masked);
    logits = masked;
  }
  CORRAL_ASSIGN_OR_RETURN(int32_t id, sampler_.sample(logits));
  sampler_.accept(id);
  if (request_.constraint) request_.constraint->accept(id);
  if (tokenizer_.is_eog(id)) {
    finish(sample::DoneReason::kStop);
    return ok_status();
  }
  result_.tokens.push_back(id);
  result_.stats.eval_count += 1;
  sample::StopMatcher::Step step = stop_.push(detok_.push(id));
  if (!emit(step.text)) return ok_status();
  if (step.stopped) {
    result_.done_reason = sample::DoneReason::kStop;
    done_ = true;
    return ok_status();
  }
  if (budget_.exhausted(result_.stats.eval_count)) {
    finish(sample::DoneReason::kLength);
    return ok_status();
  }
  history_.push_back(id);
  return ok_status();
}

}  // namespace corral
