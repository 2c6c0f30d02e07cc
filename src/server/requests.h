// Request parsing and validation for the HTTP API: the model field ("model", or Ollama's older
// "name"), generation options with Ollama's names and defaults (merged over a model's
// Modelfile PARAMETERs), and the bodies of /api/generate, /api/chat, /v1/chat/completions and
// /v1/completions translated into one GenerationParams. Every problem is invalid_argument
// naming the field (the server answers 400); parsing never throws.
// Depends on util, sample/ (SamplerOptions), template/ (chat messages) and sched/ (keep_alive).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sample/json_schema.h"
#include "sample/sampler.h"
#include "sched/keep_alive.h"
#include "server/encode.h"
#include "template/ollama.h"
#include "util/status.h"

namespace corral::server {

// Options of one generation (Ollama's "options" object).
struct RunOptions {
  sample::SamplerOptions sampling;
  int num_ctx = 4096;
  int num_predict = -1;
  int num_keep = 4;
  int num_thread = 0;
  int use_mmap = -1;  // options.use_mmap: 1 maps the GGUF, 0 reads it in, -1 the server's default
  int num_batch = 512;
  std::vector<std::string> stop;
};

// Applies an options object (Ollama's names) over `out`. Unknown keys are ignored as Ollama
// ignores them; a known key with a wrong type or an out-of-range value is invalid_argument.
Status apply_options(const nlohmann::json& options, RunOptions* out);

// The model a request names ("model", else "name"); invalid_argument "model is required".
Result<std::string> model_field(const nlohmann::json& body);

// Parses a body as a JSON object; invalid_argument on bad JSON or a non-object.
Result<nlohmann::json> parse_body(const std::string& body);

enum class ApiKind { kGenerate, kChat, kOpenAIChat, kOpenAICompletion };

// One generation request, whichever endpoint it came in on.
struct GenerationParams {
  ApiKind kind = ApiKind::kGenerate;
  std::string model;
  bool stream = true;
  // generate / completions
  std::string prompt;
  std::string suffix;
  std::string system;         // overrides the model's SYSTEM
  std::string template_text;  // overrides the model's TEMPLATE
  bool raw = false;
  std::vector<int32_t> context;
  // chat
  tmpl::ChatRequest chat;
  bool has_messages = false;  // "messages" was present (an empty list loads the model)
  nlohmann::json options = nlohmann::json::object();  // request options (applied over the model's)
  std::optional<sched::KeepAlive> keep_alive;
  bool include_usage = false;  // OpenAI stream_options.include_usage
  // Structured outputs: "format" ("json" or a JSON schema), OpenAI response_format; null: none.
  std::shared_ptr<const sample::JsonGrammar> grammar;
  // Tools offered (chat) and thinking ("think": true/false or "high"/"medium"/"low"), kept in
  // `chat` (tools, think, think_level, is_think_set) for the template.
};

// Ollama's "format": "" or null (none), "json", or a JSON schema object; the compiled grammar.
Result<std::shared_ptr<const sample::JsonGrammar>> parse_format(const nlohmann::json& format);

Result<GenerationParams> parse_generate_request(const nlohmann::json& body);
Result<GenerationParams> parse_chat_request(const nlohmann::json& body);
Result<GenerationParams> parse_openai_chat_request(const nlohmann::json& body);
Result<GenerationParams> parse_openai_completion_request(const nlohmann::json& body);

}  // namespace corral::server
