#include "runner/chat_format.h"

#include "template/library.h"

namespace corral {

Result<ChatFormat> chat_format_named(std::string_view name) {
  const tmpl::BuiltinTemplate* builtin = tmpl::find_builtin_template(name);
  if (builtin == nullptr) return not_found("chat template '%.*s' is not a built-in template", int(name.size()), name.data());
  ChatFormat f;
  f.name = std::string(builtin->name);
  CORRAL_ASSIGN_OR_RETURN(f.tmpl, tmpl::parse_chat_template(builtin->text, f.name));
  for (std::string_view s : builtin->stop) f.stop.emplace_back(s);
  return f;
}

Result<ChatFormat> chat_format_for(const GgufFile& file) {
  std::optional<std::string> jinja = file.get_string("tokenizer.chat_template");
  if (jinja && !jinja->empty()) {
    if (std::optional<tmpl::TemplateMatch> m = tmpl::detect_template(*jinja)) {
      CORRAL_ASSIGN_OR_RETURN(ChatFormat f, chat_format_named(m->tmpl->name));
      switch (m->how) {
        case tmpl::TemplateMatch::How::kExact: f.detection = "exact"; break;
        case tmpl::TemplateMatch::How::kWhitespace: f.detection = "whitespace"; break;
        case tmpl::TemplateMatch::How::kEditDistance: f.detection = "edit distance " + std::to_string(m->distance); break;
      }
      return f;
    }
  }
  CORRAL_ASSIGN_OR_RETURN(ChatFormat f, chat_format_named("chatml"));
  f.detection = "fallback";
  return f;
}

Result<std::string> render_conversation(const ChatFormat& format, const std::vector<tmpl::ChatMessage>& messages,
                                        const Tokenizer& tokenizer, size_t num_ctx) {
  tmpl::ChatRequest req;
  req.messages = messages;
  tmpl::RenderOptions opts;
  opts.num_ctx = num_ctx;
  if (num_ctx > 0) {
    opts.count_tokens = [&tokenizer](std::string_view text) -> Result<size_t> {
      return tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/true).size();
    };
  }
  return tmpl::render_chat(format.tmpl, req, opts);
}

}  // namespace corral
