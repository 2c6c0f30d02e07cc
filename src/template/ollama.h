// Ollama's prompt-template data model and chat rendering on top of the Go template engine:
// .System, .Prompt, .Response, .Suffix, .Messages (Role, Content, Thinking, Images, ToolCalls,
// ToolName, ToolCallID), .Tools, .Think, .ThinkLevel, .IsThinkSet, Ollama's extra functions
// (json, currentDate, yesterdayDate, toTypeScriptType) plus corral's (tojson, trim), and
// render_chat(): messages-aware or legacy turn-by-turn rendering, truncated to fit the context
// by dropping old turns while keeping system messages. The tokenizer enters as a callback.
// Depends on gotmpl.h and util/; must not depend on tokenizer, ml or formats.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "template/gotmpl.h"
#include "template/value.h"
#include "util/status.h"

namespace corral::tmpl {

struct ToolCall {
  std::string id;
  int index = 0;
  std::string name;
  Json arguments = Json::object();  // as the client sent them (key order kept)
};

struct ChatMessage {
  std::string role;  // system, user, assistant, tool
  std::string content;
  std::string thinking;
  std::vector<std::string> images;  // opaque image payloads (counted for context, not printed)
  std::vector<ToolCall> tool_calls;
  std::string tool_name;
  std::string tool_call_id;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  Json tools = Json::array();  // tool definitions as sent ([{"type":"function","function":{...}}])
  std::string system;          // the model's SYSTEM: added first unless messages start with one
  bool think = false;
  std::string think_level;
  bool is_think_set = false;
  // Generate-style fill-in-the-middle: when both are set the template gets .Prompt and .Suffix.
  std::string prompt;
  std::string suffix;
};

// Counts tokens of a rendered prompt (the tokenizer, injected).
using TokenCounter = std::function<Result<size_t>(std::string_view text)>;

struct RenderOptions {
  size_t num_ctx = 0;           // context length in tokens; 0 renders everything
  TokenCounter count_tokens;    // required when num_ctx > 0
  size_t tokens_per_image = 0;  // added per image of a kept message
  ExecOptions exec;
};

// The functions Ollama's templates may call, plus corral's helpers for the built-in templates:
// json (Go's json.Marshal), tojson (Python/Hugging Face json.dumps, optional indent), trim
// (Python str.strip), currentDate/yesterdayDate (YYYY-MM-DD), toTypeScriptType.
std::shared_ptr<const FuncMap> chat_functions();

// Parses a chat template as Ollama does: its functions, and `{{ .Response }}` appended when the
// template uses neither .Messages nor .Response.
Result<Template> parse_chat_template(std::string_view text, std::string name = "");

// Ollama's Template.Execute: one execution with .Messages when the template uses them,
// otherwise legacy System/Prompt/Response turns executed one by one and concatenated, the last
// (open) turn cut after .Response. `force_legacy` selects the legacy path regardless.
Result<std::string> execute_chat(const Template& t, const ChatRequest& req, bool force_legacy = false,
                                 const ExecOptions& opts = {});

// Ollama's chat prompt: the request's SYSTEM inserted, then the oldest messages dropped until the
// prompt fits num_ctx (the last message and all earlier system messages are always kept).
Result<std::string> render_chat(const Template& t, const ChatRequest& req, const RenderOptions& opts = {});

// The template data for messages-aware templates (exposed for tests and tools).
Value chat_data(const ChatRequest& req);

// Parses Ollama/OpenAI-style JSON: {"messages":[...], "tools":[...], "system": ...}.
Result<ChatRequest> chat_request_from_json(const Json& j);

}  // namespace corral::tmpl
