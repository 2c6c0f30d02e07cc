// Parsers of generated text for the chat APIs: ThinkingSplitter separates <think>...</think>
// into `thinking` and the rest into `content`; ToolCallParser recognises tool calls — JSON
// inside the template's tool-call tags (<tool_call>...</tool_call> for Qwen2.5/SmolLM2-style
// templates) or a bare JSON object/list of {"name", "arguments"|"parameters"} answering first —
// and holds back text that may still become one. Both work on streamed pieces. Depends on util
// and nlohmann::json only; no HTTP, no model.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace corral::server {

struct ParsedToolCall {
  std::string name;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
};

class ThinkingSplitter {
 public:
  // start_inside: the prompt already opened the thinking block (the template ends with <think>).
  explicit ThinkingSplitter(bool start_inside = false, std::string open = "<think>", std::string close = "</think>");
  // Adds generated text; appends what became final to *thinking and *content.
  void feed(std::string_view text, std::string* thinking, std::string* content);
  // End of generation: flushes what was held back.
  void finish(std::string* thinking, std::string* content);

 private:
  enum class State { kStart, kThinking, kAfter, kContent };
  std::string open_, close_;
  State state_;
  std::string held_;
};

class ToolCallParser {
 public:
  // tool_names: the names the request offered (calls of other names stay text); prefix/suffix:
  // the template's tags ("" when the template has none: only bare JSON answers are calls).
  ToolCallParser(std::vector<std::string> tool_names, std::string prefix = "<tool_call>",
                 std::string suffix = "</tool_call>");
  // Adds generated text; appends text that is certainly not a tool call to *content.
  void feed(std::string_view text, std::string* content, std::vector<ParsedToolCall>* calls);
  void finish(std::string* content, std::vector<ParsedToolCall>* calls);

  // {"name": ..., "arguments"|"parameters": {...}} or a list of them; false if `json` is not
  // exactly that with offered names.
  bool parse_calls(std::string_view json, std::vector<ParsedToolCall>* calls) const;

 private:
  void drain(std::string* content, std::vector<ParsedToolCall>* calls, bool final);
  std::vector<std::string> names_;
  std::string prefix_, suffix_;
  std::string buf_;
  bool seen_text_ = false;  // non-space text was emitted (a bare JSON call must come first)
  bool bare_json_ = false;
  bool any_calls_ = false;  // the answer started with '{' or '[': held until the end
};

}  // namespace corral::server
