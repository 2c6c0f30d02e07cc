// One generation request from admission to its last byte: resolves options (the model's
// PARAMETERs under the request's), acquires the model from the scheduler, renders the prompt
// (raw, the request's TEMPLATE, the model's TEMPLATE layer, or the GGUF's detected chat
// format), tokenizes it, runs it and writes the response in the endpoint's wire format —
// Ollama NDJSON chunks or one JSON object, OpenAI SSE chunks or one JSON object.
// The transport enters as a write callback, so this file knows no HTTP library.
// Depends on sched/, runner/, template/, store/ and server/ helpers.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "sched/scheduler.h"
#include "server/models.h"
#include "server/output_parse.h"
#include "server/requests.h"

namespace corral::server {

// Writes bytes to the client; false when the client is gone (the generation is cancelled).
using WriteFn = std::function<bool(const std::string& bytes)>;

// Token bytes of each loaded vocabulary for constrained decoding, computed once per model file.
class TokenTables {
 public:
  std::shared_ptr<const sample::TokenTable> get(const Runner& runner);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const sample::TokenTable>> tables_;
};

struct GenerationDefaults {
  sched::KeepAlive keep_alive;  // CORRAL_KEEP_ALIVE
  TokenTables* token_tables = nullptr;
};

// What one piece of generated text became after thinking and tool-call parsing.
struct OutputDelta {
  std::string content;
  std::string thinking;
  std::vector<ParsedToolCall> calls;
  bool empty() const { return content.empty() && thinking.empty() && calls.empty(); }
};

class Generation {
 public:
  // Everything that can fail with an HTTP status happens here, before any byte is written:
  // bad options (400), model load errors, a full queue (503), prompt rendering.
  static Result<std::unique_ptr<Generation>> prepare(sched::Scheduler& sched, const GenerationDefaults& defaults,
                                                     const ResolvedModel& model, GenerationParams params);
  bool streaming() const { return params_.stream; }
  // The Content-Type of the response.
  std::string content_type() const;
  // Runs and writes the response. An error after streaming started is written into the stream
  // (Ollama: {"error": ...} line; OpenAI: an error event) and also returned.
  Status run(const WriteFn& write);

 private:
  Generation() = default;
  Status render(const ResolvedModel& model);
  std::string final_ollama(const GenerateResult& r, const OutputDelta& full) const;
  std::string final_openai(const GenerateResult& r, const OutputDelta& full) const;
  std::string chunk(const OutputDelta& d, bool first);
  OutputDelta process(std::string_view text, bool final);
  Json openai_tool_calls(const std::vector<ParsedToolCall>& calls, bool with_index);
  std::string load_only_response() const;

  GenerationParams params_;
  RunOptions options_;
  std::string model_display_;
  std::unique_ptr<sched::Scheduler::Lease> lease_;
  sched::Scheduler* sched_ = nullptr;
  std::vector<int32_t> prompt_tokens_;
  bool load_only_ = false;
  bool unload_after_ = false;
  std::string id_;  // OpenAI response id
  std::chrono::system_clock::time_point created_;
  std::atomic<bool> cancel_{false};
  std::shared_ptr<const sample::TokenTable> token_table_;
  TokenTables* defaults_tables_ = nullptr;
  std::optional<ThinkingSplitter> thinking_;
  std::optional<ToolCallParser> tools_;
  int tool_calls_sent_ = 0;
};

}  // namespace corral::server
