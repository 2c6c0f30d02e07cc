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

bool is_openai(ApiKind k) {
  return k == ApiKind::kOpenAIChat || k == ApiKind::kOpenAICompletion;
}
bool is_chat(ApiKind k) {
  return k == ApiKind::kChat || k == ApiKind::kOpenAIChat;
}

std::string finish_reason(const GenerateResult& r) {
  std::string_view s = sample::done_reason_name(r.done_reason);
  return s.empty() ? std::string("stop") : std::string(s);
}

}  // namespace

std::shared_ptr<const sample::TokenTable> TokenTables::get(const Runner& runner) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(runner.path());
  if (it != tables_.end()) return it->second;
  const Tokenizer& tok = runner.tokenizer();
  auto table = std::make_shared<sample::TokenTable>();
  const int32_t n = tok.vocab_size();
  table->bytes.resize(static_cast<size_t>(n));
  table->eog.resize(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    table->eog[static_cast<size_t>(i)] = tok.is_eog(i);
    table->bytes[static_cast<size_t>(i)] = tok.token_piece(i, /*render_special=*/false);
  }
  tables_[runner.path()] = table;
  return table;
}

Result<std::unique_ptr<Generation>> Generation::prepare(sched::Scheduler& sched,
                                                        const GenerationDefaults& defaults,
                                                        const ResolvedModel& model, GenerationParams params) {
  std::unique_ptr<Generation> g(new Generation());
  g->params_ = std::move(params);
  g->sched_ = &sched;
  g->defaults_tables_ = defaults.token_tables;
  g->model_display_ = model.display;
  g->created_ = std::chrono::system_clock::now();
  g->id_ = random_id(g->params_.kind == ApiKind::kOpenAIChat ? "chatcmpl-" : "cmpl-");
  CORRAL_TRY(
      apply_options(model.params, &g->options_).with_context("model '" + model.display + "' parameters"));
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
  spec.num_thread = g->options_.num_thread;
  spec.use_mmap = g->options_.use_mmap;
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
    const std::string& source = t->source();
    const bool can_think =
        source.find(".Think") != std::string::npos || source.find("<think>") != std::string::npos;
    if (p.chat.is_think_set && p.chat.think && !can_think) {
      return invalid_argument("model '%s' does not support thinking", model.display.c_str());
    }
    if (p.chat.think && can_think) thinking_.emplace();
    if (is_chat(p.kind) && !p.chat.tools.empty()) {
      std::vector<std::string> names;
      for (const auto& tool : p.chat.tools) names.push_back(tool["function"]["name"].get<std::string>());
      bool tags = source.find("<tool_call>") != std::string::npos;
      tools_.emplace(std::move(names), tags ? "<tool_call>" : "", tags ? "</tool_call>" : "");
    }
    tmpl::ChatRequest req;
    if (is_chat(p.kind)) {
      req = p.chat;
    } else {
      req.think = p.chat.think;
      req.think_level = p.chat.think_level;
      req.is_think_set = p.chat.is_think_set;
      req.messages.push_back(tmpl::ChatMessage{"user", p.prompt, {}, {}, {}, {}, {}});
      if (!p.suffix.empty()) {
        req.prompt = p.prompt;
        req.suffix = p.suffix;
      }
    }
    req.system = !p.system.empty() ? p.system : model.system;
    tmpl::RenderOptions ro;
    ro.num_ctx = static_cast<size_t>(options_.num_ctx);
    ro.count_tokens = [&tok](std::string_view s) -> Result<size_t> {
      return tok.encode(s, true, true).size();
    };
    Result<std::string> rendered = tmpl::render_chat(*t, req, ro);
    if (!rendered.ok())
      return invalid_argument("rendering the prompt: %s", rendered.status().message().c_str());
    prompt = std::move(rendered).value();
    if (thinking_) {
      std::string_view tail = prompt;
      while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
      if (tail.size() >= 7 && tail.substr(tail.size() - 7) == "<think>") thinking_.emplace(true);
    }
  }
  if (p.grammar) {
    if (defaults_tables_ == nullptr) return internal_error("no token table cache");
    token_table_ = defaults_tables_->get(runner);
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
    std::vector<int32_t> cut(prompt_tokens_.begin(),
                             prompt_tokens_.begin() + static_cast<std::ptrdiff_t>(keep));
    cut.insert(cut.end(), prompt_tokens_.end() - static_cast<std::ptrdiff_t>(limit - keep),
               prompt_tokens_.end());
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

OutputDelta Generation::process(std::string_view text, bool final) {
  OutputDelta d;
  std::string content;
  if (thinking_) {
    thinking_->feed(text, &d.thinking, &content);
    if (final) thinking_->finish(&d.thinking, &content);
  } else {
    content.assign(text);
  }
  if (tools_) {
    tools_->feed(content, &d.content, &d.calls);
    if (final) tools_->finish(&d.content, &d.calls);
  } else {
    d.content = std::move(content);
  }
  return d;
}

Json Generation::openai_tool_calls(const std::vector<ParsedToolCall>& calls, bool with_index) {
  Json out = Json::array();
  for (const auto& c : calls) {
    Json j = {{"id", random_id("call_")},
              {"type", "function"},
              {"function",
               {{"name", c.name},
                {"arguments", c.arguments.dump(-1, ' ', false, Json::error_handler_t::replace)}}}};
    if (with_index) j["index"] = tool_calls_sent_;
    ++tool_calls_sent_;
    out.push_back(j);
  }
  return out;
}

namespace {
Json ollama_tool_calls(const std::vector<ParsedToolCall>& calls) {
  Json out = Json::array();
  int i = 0;
  for (const auto& c : calls) {
    out.push_back(Json{{"function", {{"index", i++}, {"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

Json ollama_message(const OutputDelta& d) {
  Json m = {{"role", "assistant"}, {"content", d.content}};
  if (!d.thinking.empty()) m["thinking"] = d.thinking;
  if (!d.calls.empty()) m["tool_calls"] = ollama_tool_calls(d.calls);
  return m;
}
}  // namespace

std::string Generation::chunk(const OutputDelta& d, bool first) {
  auto now = std::chrono::system_clock::now();
  switch (params_.kind) {
    case ApiKind::kGenerate: {
      Json j = {{"model", model_display_}, {"created_at", rfc3339(now)}, {"response", d.content}};
      if (!d.thinking.empty()) j["thinking"] = d.thinking;
      j["done"] = false;
      return ndjson_line(j);
    }
    case ApiKind::kChat:
      return ndjson_line(Json{{"model", model_display_},
                              {"created_at", rfc3339(now)},
                              {"message", ollama_message(d)},
                              {"done", false}});
    case ApiKind::kOpenAIChat: {
      Json delta = {{"role", "assistant"}, {"content", d.content}};
      if (!d.thinking.empty()) delta["reasoning"] = d.thinking;
      if (!d.calls.empty()) delta["tool_calls"] = openai_tool_calls(d.calls, true);
      (void)first;
      Json c = {{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}};
      return sse_event(Json{{"id", id_},
                            {"object", "chat.completion.chunk"},
                            {"created", unix_seconds(created_)},
                            {"model", model_display_},
                            {"system_fingerprint", "fp_corral"},
                            {"choices", Json::array({c})}});
    }
    case ApiKind::kOpenAICompletion: {
      Json c = {{"text", d.content}, {"index", 0}, {"finish_reason", nullptr}};
      return sse_event(Json{{"id", id_},
                            {"object", "text_completion"},
                            {"created", unix_seconds(created_)},
                            {"model", model_display_},
                            {"system_fingerprint", "fp_corral"},
                            {"choices", Json::array({c})}});
    }
  }
  return {};
}

std::string Generation::final_ollama(const GenerateResult& r, const OutputDelta& full) const {
  OutputDelta shown = params_.stream ? OutputDelta() : full;
  Json j = {{"model", model_display_}, {"created_at", rfc3339(std::chrono::system_clock::now())}};
  if (params_.kind == ApiKind::kChat) {
    j["message"] = ollama_message(shown);
  } else {
    j["response"] = shown.content;
    if (!shown.thinking.empty()) j["thinking"] = shown.thinking;
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

std::string Generation::final_openai(const GenerateResult& r, const OutputDelta& full) const {
  int64_t prompt = static_cast<int64_t>(prompt_tokens_.size());
  int64_t completion = r.stats.eval_count;
  Json usage = {
      {"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
  bool chat = params_.kind == ApiKind::kOpenAIChat;
  std::string reason = finish_reason(r);
  if (chat && (!full.calls.empty() || tool_calls_sent_ > 0)) reason = "tool_calls";
  Json head = {{"id", id_},
               {"object", chat ? "chat.completion" : "text_completion"},
               {"created", unix_seconds(created_)},
               {"model", model_display_},
               {"system_fingerprint", "fp_corral"}};
  if (!params_.stream) {
    Json c;
    if (chat) {
      Json msg = {{"role", "assistant"}, {"content", full.content}};
      if (!full.thinking.empty()) msg["reasoning"] = full.thinking;
      if (!full.calls.empty()) {
        if (full.content.empty()) msg["content"] = nullptr;
        msg["tool_calls"] = const_cast<Generation*>(this)->openai_tool_calls(full.calls, false);
      }
      c = Json{{"index", 0}, {"message", msg}, {"finish_reason", reason}};
    } else {
      c = Json{{"text", full.content}, {"index", 0}, {"finish_reason", reason}};
    }
    head["choices"] = Json::array({c});
    head["usage"] = usage;
    return head.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (chat) head["object"] = "chat.completion.chunk";
  Json c = chat ? Json{{"index", 0}, {"delta", Json::object()}, {"finish_reason", reason}}
                : Json{{"text", ""}, {"index", 0}, {"finish_reason", reason}};
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
  if (params_.grammar && token_table_) {
    const sample::SamplerOptions& so = options_.sampling;
    int keep = 0;  // whole vocabulary
    bool penalties =
        (so.repeat_penalty != 1.0f || so.presence_penalty != 0.0f || so.frequency_penalty != 0.0f) &&
        so.repeat_last_n != 0;
    if (so.logit_bias.empty() && !(penalties && so.repeat_last_n < 0)) {
      int base = so.temperature <= 0.0f ? 1 : so.top_k > 0 ? so.top_k : 0;
      // Penalties only lower logits, so the best `base` allowed tokens after them are among the
      // best base + (penalized tokens) before them.
      if (base > 0) keep = base + (penalties ? so.repeat_last_n : 0);
    }
    req.constraint = std::make_shared<sample::GrammarConstraint>(params_.grammar, token_table_, keep);
  }
  OutputDelta full;
  bool first = true;
  auto add = [&full](const OutputDelta& d) {
    full.content += d.content;
    full.thinking += d.thinking;
    full.calls.insert(full.calls.end(), d.calls.begin(), d.calls.end());
  };
  req.on_text = [&](std::string_view text) -> bool {
    OutputDelta d = process(text, false);
    if (!params_.stream) {
      add(d);
      return true;
    }
    if (d.empty()) return true;
    bool ok = write(chunk(d, first));
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
  OutputDelta tail = process("", true);
  if (params_.stream) {
    if (!tail.empty()) write(chunk(tail, first));
  } else {
    add(tail);
  }
  write(is_openai(params_.kind) ? final_openai(*result, full) : final_ollama(*result, full));
  return ok_status();
}

}  // namespace corral::server
