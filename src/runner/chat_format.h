// ChatFormat: how a conversation becomes a model's prompt — the built-in Go chat template that
// matches the GGUF's Jinja tokenizer.chat_template (template/'s detection; chatml when there is
// none or nothing matches), its stop strings, and rendering of a message history truncated to
// the context. Depends on template/, tokenizer/, formats/ and util/; knows no model or backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "template/ollama.h"
#include "tokenizer/tokenizer.h"
#include "util/status.h"

namespace corral {

struct ChatFormat {
  std::string name;               // built-in template name ("smollm2", "chatml", ...)
  std::string detection;          // how it was chosen: "exact", "whitespace", "edit distance N", "fallback"
  tmpl::Template tmpl;            // parsed with Ollama's chat functions
  std::vector<std::string> stop;  // the template's stop strings
};

// The built-in template named `name` (kNotFound naming it when there is none).
Result<ChatFormat> chat_format_named(std::string_view name);

// The format for a model: detected from `tokenizer.chat_template`, else chatml.
Result<ChatFormat> chat_format_for(const GgufFile& file);

// Renders `messages` (system messages included) with the format's template, dropping the oldest
// turns until the prompt fits num_ctx tokens (0: no limit), as Ollama does.
Result<std::string> render_conversation(const ChatFormat& format, const std::vector<tmpl::ChatMessage>& messages,
                                        const Tokenizer& tokenizer, size_t num_ctx);

}  // namespace corral
