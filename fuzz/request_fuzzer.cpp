// libFuzzer target for the HTTP API's request parsers: the first input byte picks the parser,
// the rest is the body. Bodies of /api/generate, /api/chat, /v1/chat/completions and
// /v1/completions; an "options" object; a "format" (json or a JSON schema compiled to a grammar);
// the model output parsers (thinking split, tool calls). Besides "no crash, no leak, no hang",
// a parse that succeeds must keep its invariants (num_ctx in range, a compiled grammar present).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/output_parse.h"
#include "server/requests.h"

namespace {

using corral::server::GenerationParams;

void require(bool cond) {
  if (!cond) std::abort();
}

void check_params(const corral::Result<GenerationParams>& p) {
  if (!p.ok()) {
    require(!p.status().message().empty());
    return;
  }
  // The request's options must also apply cleanly or fail with a message.
  corral::server::RunOptions opts;
  corral::Status s = corral::server::apply_options(p->options, &opts);
  if (s.ok())
    require(opts.num_ctx >= 1 && opts.num_thread >= 0 && opts.num_predict >= -2);
  else
    require(!s.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1u << 16)) return 0;
  const uint8_t which = data[0] % 8;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (which == 6 || which == 7) {  // model output: thinking split and tool calls, fed in two pieces
    const size_t cut = text.size() / 2;
    std::string thinking, content;
    corral::server::ThinkingSplitter split(which == 7);
    split.feed(std::string_view(text).substr(0, cut), &thinking, &content);
    split.feed(std::string_view(text).substr(cut), &thinking, &content);
    split.finish(&thinking, &content);
    std::vector<corral::server::ParsedToolCall> calls;
    std::string out;
    corral::server::ToolCallParser tools({"get_weather", "add"});
    tools.feed(std::string_view(text).substr(0, cut), &out, &calls);
    tools.feed(std::string_view(text).substr(cut), &out, &calls);
    return 0;
  }

  auto body = corral::server::parse_body(text);
  if (!body.ok()) return 0;
  switch (which) {
    case 0:
      check_params(corral::server::parse_generate_request(*body));
      break;
    case 1:
      check_params(corral::server::parse_chat_request(*body));
      break;
    case 2:
      check_params(corral::server::parse_openai_chat_request(*body));
      break;
    case 3:
      check_params(corral::server::parse_openai_completion_request(*body));
      break;
    case 4: {
      corral::server::RunOptions opts;
      corral::Status s = corral::server::apply_options(*body, &opts);
      if (s.ok()) require(opts.num_ctx >= 1 && opts.num_ctx <= (1 << 20) && opts.num_thread >= 0);
      break;
    }
    default: {  // "format": the object itself is the schema (or {"format": ...})
      auto it = body->find("format");
      auto g = corral::server::parse_format(it != body->end() ? *it : *body);
      if (g.ok() && it != body->end() && it->is_string() && it->get<std::string>() == "json")
        require(*g != nullptr);
      break;
    }
  }
  return 0;
}
