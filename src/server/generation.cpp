#include "server/generation.h"

#include <random>

#include "runner/chat_format.h"
#include "sample/predict_budget.h"

namespace corral::server {
namespace {

std::string random_id(const char* prefix) {
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string id = prefix;
  for (int i = 0; i < 12; ++i) id += kDigits[rd() % 36];
  return id;
}

bool is_openai(ApiKind k) { return k == ApiKind::kOpenAIChat || k == ApiKind::kOpenAICompletion; }
bool is_chat(ApiKind k) { return k == ApiKind::kChat || k == ApiKind::kOpenAIChat; }

std::string finish_reason(const GenerateResult& r) {
  std::string_view s = sample::done_reason_name(r.done_reason);
  return s.empty() ? std::string("stop") : std::string(s);
}

}  // namespace

Result<std::unique_ptr<Generation>> Generation::prepare(sched::Scheduler& sched, const GenerationDefaults& defaults,
                                                        const ResolvedModel& model, GenerationParams params) {
  std::unique_ptr<Generation> g(new Generation());
  g->params_ = std::move(params);
  g->sched_ = &sched;
  g->model_display_ = model.display;
  g->created_ = std::chrono::system_clock::now();
  g->id_ = random_id(g->params_.kind == ApiKind::kOpenAIChat ? "chatcmpl-" : "cmpl-");
  CORRAL_TRY(apply_options(model.params, &g->options_).with_context("model '" + model.display + "' parameters"));
  CORRAL_TRY(apply_options(g->params_.options, &g->options_));
  sched::KeepAlive keep_alive = g->params_.keep_alive.value_or(defaults.keep_alive);

  const GenerationParams& p = g->params_;
  if (p.kind == ApiKind::kGenerate) g->load_only_ = p.prompt.empty() && p.context.empty();
  if (p.kind == ApiKind::kChat) g->load_only_ = p.chat.messages.empty();
  if (g->load_only_ && keep_alive.duration.count() == 0) {
    // `corral stop` and Ollama's unload request: no load, just unload.
    sched.unload(model.display);
    g->unload_after_ = true;
    return g;
  }

  sched::ModelSpec spec;
  spec.name = model.display;
  spec.model_path = model.gguf_path;
  spec.digest = model.manifest_digest.str();
  spec.size = model.size;
  spec.num_ctx = g->options_.num_ctx;
  spec.keep_alive = keep_alive;
  CORRAL_ASSIGN_OR_RETURN(g->lease_, sched.acquire(spec, &g->cancel_));
  if (g->load_only_) return g;
  CORRAL_TRY(g->render(model));
  return g;
}

Status Generation::render(const ResolvedModel& model) {
  Runner& runner = lease_->runner();
  const Tokenizer& tok = runner.tokenizer();
  const GenerationParams& p = params_;
  std::string prompt;
  if (p.raw) {
    prompt = p.prompt;
  } else {
    tmpl::Template parsed;
    const tmpl::Template* t = &runner.chat_format().tmpl;
    const std::string& text = !p.template_text.empty() ? p.template_text : model.template_text;
    if (!text.empty()) {
      Result<tmpl::Template> r = tmpl::parse_chat_template(text, "template");
      if (!r.ok()) return invalid_argument("template: %s", r.status().message().c_str());
      parsed = std::move(r).value();
      t = &parsed;
    }
    tmpl::ChatRequest req;
    if (is_chat(p.kind)) {
      req = p.chat;
    } else {
      req.messages.push_back(tmpl::ChatMessage{"user", p.prompt, {}, {}, {}, {}, {}});
      if (!p.suffix.empty()) {
        req.prompt = p.prompt;
        req.suffix = p.suffix;
      }
    }
    req.system = !p.system.empty() ? p.system : model.system;
    tmpl::RenderOptions ro;
    ro.num_ctx = static_cast<size_t>(options_.num_ctx);
    ro.count_tokens = [&tok](std::string_view s) -> Result<size_t> { return tok.encode(s, true, true).size(); };
    Result<std::string> rendered = tmpl::render_chat(*t, req, ro);
    if (!rendered.ok()) return invalid_argument("rendering the prompt: %s", rendered.status().message().c_str());
    prompt = std::move(rendered).value();
  }
  prompt_tokens_ = p.context;
  std::vector<int32_t> ids = tok.encode(prompt, /*add_special=*/p.context.empty(), /*parse_special=*/true);
  prompt_tokens_.insert(prompt_tokens_.end(), ids.begin(), ids.end());
  if (prompt_tokens_.empty()) return invalid_argument("the prompt is empty after tokenization");
  // Ollama keeps the first num_keep tokens and drops the oldest after them when the prompt
  // does not fit the context.
  size_t limit = static_cast<size_t>(options_.num_ctx) - 1;
  if (limit > 0 && prompt_tokens_.size() > limit) {
    size_t keep = std::min(static_cast<size_t>(std::max(options_.num_keep, 0)), limit / 2);
    std::vector<int32_t> cut(prompt_tokens_.begin(), prompt_tokens_.begin() + static_cast<std::ptrdiff_t>(keep));
    cut.insert(cut.end(), prompt_tokens_.end() - static_cast<std::ptrdiff_t>(limit - keep), prompt_tokens_.end());
    prompt_tokens_ = std::move(cut);
  }
  if (options_.stop.empty() && p.template_text.empty() && model.template_text.empty() && !p.raw) {
    options_.stop = runner.chat_format().stop;
  }
  return ok_status();
}

std::string Generation::content_type() const {
  if (!params_.stream) return "application/json; charset=utf-8";
  return is_openai(params_.kind) ? "text/event-stream" : "application/x-ndjson";
}

std::string Generation::load_only_response() const {
  Json j = {{"model", model_display_}, {"created_at", rfc3339(created_)}};
  if (params_.kind == ApiKind::kChat) {
    j["message"] = {{"role", "assistant"}, {"content", ""}};
  } else {
    j["response"] = "";
  }
  j["done"] = true;
  j["done_reason"] = unload_after_ ? "unload" : "load";
  return params_.stream ? ndjson_line(j) : j.dump();
}

std::string Generation::chunk(const std::string& text, bool first) const {
  auto now = std::chrono::system_clock::now();
  switch (params_.kind) {
    case ApiKind::kGenerate:
      return ndjson_line(Json{{"model", model_display_}, {"created_at", rfc3339(now)}, {"response", text}, {"done", false}});
    case ApiKind::kChat:
      return ndjson_line(Json{{"model", model_display_},
                              {"created_at", rfc3339(now)},
                              {"message", {{"role", "assistant"}, {"content", text}}},
                              {"done", false}});
    case ApiKind::kOpenAIChat: {
      Json delta = {{"role", "assistant"}, {"content", text}};
      (void)first;
      Json c = {{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}};
      return sse_event(Json{{"id", id_}, {"object", "chat.completion.chunk"}, {"created", unix_seconds(created_)},
                            {"model", model_display_}, {"system_fingerprint", "fp_corral"}, {"choices", Json::array({c})}});
    }
    case ApiKind::kOpenAICompletion: {
      Json c = {{"text", text}, {"index", 0}, {"finish_reason", nullptr}};
      return sse_event(Json{{"id", id_}, {"object", "text_completion"}, {"created", unix_seconds(created_)},
                            {"model", model_display_}, {"system_fingerprint", "fp_corral"}, {"choices", Json::array({c})}});
    }
  }
  return {};
}

std::string Generation::final_ollama(const GenerateResult& r, const std::string& full_text) const {
  const std::string text = params_.stream ? std::string() : full_text;
  Json j = {{"model", model_display_}, {"created_at", rfc3339(std::chrono::system_clock::now())}};
  if (params_.kind == ApiKind::kChat) {
    j["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    j["response"] = text;
  }
  j["done"] = true;
  j["done_reason"] = finish_reason(r);
  if (params_.kind == ApiKind::kGenerate) {
    std::vector<int32_t> context = prompt_tokens_;
    context.insert(context.end(), r.tokens.begin(), r.tokens.end());
    j["context"] = context;
  }
  int64_t load_ns = lease_->load_ns();
  j["total_duration"] = r.stats.total_ns + load_ns;
  j["load_duration"] = load_ns;
  j["prompt_eval_count"] = r.stats.prompt_eval_count;
  j["prompt_eval_duration"] = r.stats.prompt_eval_ns;
  j["eval_count"] = r.stats.eval_count;
  j["eval_duration"] = r.stats.eval_ns;
  return params_.stream ? ndjson_line(j) : j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Generation::final_openai(const GenerateResult& r, const std::string& full_text) const {
  int64_t prompt = static_cast<int64_t>(prompt_tokens_.size());
  int64_t completion = r.stats.eval_count;
  Json usage = {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
  bool chat = params_.kind == ApiKind::kOpenAIChat;
  Json head = {{"id", id_}, {"object", chat ? "chat.completion" : "text_completion"}, {"created", unix_seconds(created_)},
               {"model", model_display_}, {"system_fingerprint", "fp_corral"}};
  if (!params_.stream) {
    Json c = chat ? Json{{"index", 0}, {"message", {{"role", "assistant"}, {"content", full_text}}}, {"finish_reason", finish_reason(r)}}
                  : Json{{"text", full_text}, {"index", 0}, {"finish_reason", finish_reason(r)}};
    head["choices"] = Json::array({c});
    head["usage"] = usage;
    return head.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (chat) head["object"] = "chat.completion.chunk";
  Json c = chat ? Json{{"index", 0}, {"delta", Json::object()}, {"finish_reason", finish_reason(r)}}
                : Json{{"text", ""}, {"index", 0}, {"finish_reason", finish_reason(r)}};
  Json last = head;
  last["choices"] = Json::array({c});
  std::string out = sse_event(last);
  if (params_.include_usage) {
    Json u = head;
    u["choices"] = Json::array();
    u["usage"] = usage;
    out += sse_event(u);
  }
  return out + sse_done();
}

Status Generation::run(const WriteFn& write) {
  if (load_only_ || unload_after_) {
    write(load_only_response());
    return ok_status();
  }
  GenerateRequest req;
  req.prompt = prompt_tokens_;
  req.sampling = options_.sampling;
  req.num_predict = options_.num_predict;
  req.stop = options_.stop;
  req.cancel = &cancel_;
  req.context_shift = true;  // Ollama's default: generation may go past num_ctx
  req.num_keep = options_.num_keep;
  std::string full_text;
  bool first = true;
  req.on_text = [&](std::string_view text) -> bool {
    if (!params_.stream) {
      full_text.append(text);
      return true;
    }
    if (text.empty()) return true;
    bool ok = write(chunk(std::string(text), first));
    first = false;
    if (!ok) cancel_ = true;
    return ok;
  };
  Result<GenerateResult> result = lease_->generate(std::move(req));
  if (!result.ok()) {
    if (params_.stream) {
      if (is_openai(params_.kind)) {
        write(sse_event(Json{{"error", {{"message", result.status().message()}, {"type", "api_error"}}}}));
      } else {
        write(ndjson_line(Json{{"error", result.status().message()}}));
      }
    }
    return result.status();
  }
  if (result->cancelled) return cancelled("client disconnected");
  const std::string& text = params_.stream ? full_text : result->text;
  write(is_openai(params_.kind) ? final_openai(*result, text) : final_ollama(*result, text));
  return ok_status();
}

}  // namespace corral::server
