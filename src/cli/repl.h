// The chat glue of `corral run`: a Conversation (settings, message history, rendering through
// the model's chat template or raw, streaming to a FILE), Ollama's --verbose statistics, and the
// interactive REPL (""" multi-line input, Ctrl+C stops an answer, Ctrl+D or /bye exits, /set,
// /show info, /clear, /?). A Conversation runs in-process on a Runner, or as a client of a
// running `corral serve` (streaming /api/chat, /api/generate for raw). CLI only: depends on
// runner/ and below (and the CLI's ApiClient).
#pragma once

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "runner/runner.h"
#include "runtime/runtime.h"

namespace corral::cli {

class ApiClient;

struct ChatSettings {
  sample::SamplerOptions sampling;
  int num_predict = -1;
  std::vector<std::string> stop;  // besides the template's
  std::string system;
  bool raw = false;      // send text as is: no template, no history
  bool verbose = false;  // print timing statistics after each answer
};

class Conversation {
 public:
  Conversation(Runner& runner, ChatSettings settings) : runner_(&runner), settings_(std::move(settings)) {}
  // A client of the server `client` talks to; `model` is a name the server resolves; num_ctx
  // 0 leaves the context to the server.
  Conversation(ApiClient& client, std::string model, ChatSettings settings, int num_ctx)
      : client_(&client), model_(std::move(model)), num_ctx_(num_ctx), settings_(std::move(settings)) {}
  bool remote() const { return client_ != nullptr; }
  // Remote only: the num_thread option sent with each request (0: the server's default).
  void set_num_thread(int n) { num_thread_ = n; }

  // Sends one user turn (raw: the text itself), streaming the answer to `out`. The exchange is
  // added to the history unless it was cancelled.
  Result<GenerateResult> send(const std::string& text, const std::atomic<bool>* cancel, FILE* out);
  // The tokens send() would evaluate for `text` (no state change; in-process only).
  Result<std::vector<int32_t>> prompt_tokens(const std::string& text) const;
  void clear() { history_.clear(); }
  ChatSettings& settings() { return settings_; }
  Runner& runner() { return *runner_; }     // in-process only
  ApiClient& client() { return *client_; }  // remote only
  const std::string& model() const { return model_; }
  size_t turns() const { return history_.size(); }

 private:
  Result<GenerateResult> send_remote(const std::string& text, const std::atomic<bool>* cancel, FILE* out);

  Runner* runner_ = nullptr;
  ApiClient* client_ = nullptr;
  std::string model_;
  int num_ctx_ = 0;
  int num_thread_ = 0;
  ChatSettings settings_;
  std::vector<tmpl::ChatMessage> history_;
};

// Writes all of text to out's descriptor (flushing out first), retrying interrupted writes.
void write_all(FILE* out, std::string_view text);

// Go's time.Duration.String() of ns ("1.234567s", "12.5ms", "1m2.5s"), as Ollama prints.
std::string go_duration(int64_t ns);
// Ollama's `--verbose` block: total duration, load duration, prompt eval count/duration/rate,
// eval count/duration/rate.
void print_stats(const GenerateStats& stats, FILE* out);

// Backend options for --threads N (0: the Runtime's shared pool).
BackendOptions backend_options_for(Runtime& runtime, int threads);

// Runs the interactive loop on stdin/stdout until Ctrl+D, /bye or a second Ctrl+C at the
// prompt. Returns the process exit code.
int run_repl(Conversation& conversation);

}  // namespace corral::cli
