// render_chat and Ollama's template data: legacy prompt/response templates, context truncation,
// the SYSTEM prompt, fill-in-the-middle, tools and tool calls, think fields, request parsing.
// Expected strings follow Ollama's documented template behaviour and Go's json.Marshal.
#include <gtest/gtest.h>

#include <regex>

#include "template/library.h"
#include "template/ollama.h"

namespace corral::tmpl {
namespace {

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

Template parse(std::string_view text) {
  auto t = parse_chat_template(text, "t");
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return t.ok() ? *t : Template();
}

std::string render(const Template& t, const ChatRequest& r, const RenderOptions& o = {}) {
  auto out = render_chat(t, r, o);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? *out : std::string("<error>");
}

const char* kLegacy = "{{ if .System }}<|system|>{{ .System }}{{ end }}<|user|>{{ .Prompt }}<|assistant|>{{ .Response }}<|end|>";

TEST(RenderChat, LegacyTemplatesRunTurnByTurn) {
  ChatRequest r;
  r.messages = {msg("system", "S"), msg("user", "U1"), msg("assistant", "A1"), msg("user", "U2")};
  EXPECT_EQ(render(parse(kLegacy), r), "<|system|>S<|user|>U1<|assistant|>A1<|end|><|user|>U2<|assistant|>");
}

TEST(RenderChat, LegacyTemplateWithoutResponseGetsOneAppended) {
  ChatRequest r;
  r.messages = {msg("user", "U1"), msg("assistant", "A1"), msg("user", "U2")};
  EXPECT_EQ(render(parse("[{{ .Prompt }}]"), r), "[U1]A1[U2]");
}

TEST(RenderChat, ForcedLegacyMatchesMessagesPathForChatml) {
  // A legacy-style chatml and the messages chatml agree on a conversation (Ollama's own check).
  Template legacy = parse(
      "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{ if .Prompt }}<|im_start|>user\n"
      "{{ .Prompt }}<|im_end|>\n{{ end }}<|im_start|>assistant\n{{ .Response }}<|im_end|>\n");
  Template modern = parse(find_builtin_template("chatml")->text);
  ChatRequest r;
  r.messages = {msg("system", "S"), msg("user", "U1"), msg("assistant", "A1"), msg("user", "U2")};
  EXPECT_EQ(render(legacy, r), render(modern, r));
}

const char* kChatmlS_U3 = "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU3<|im_end|>\n<|im_start|>assistant\n";

TEST(RenderChat, TruncatesOldTurnsKeepingSystem) {
  Template t = parse(find_builtin_template("chatml")->text);
  ChatRequest r;
  r.messages = {msg("system", "S"), msg("user", "U1"), msg("assistant", "A1"),
                msg("user", "U2"), msg("assistant", "A2"), msg("user", "U3")};
  RenderOptions o;
  o.count_tokens = [](std::string_view s) -> Result<size_t> { return s.size(); };  // one token per byte
  o.num_ctx = 1;  // nothing fits: the last message (and the system message) still go in
  EXPECT_EQ(render(t, r, o), kChatmlS_U3);
  const std::string two_turns =
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n"
      "<|im_start|>user\nU3<|im_end|>\n<|im_start|>assistant\n";
  o.num_ctx = two_turns.size();
  EXPECT_EQ(render(t, r, o), two_turns);
  o.num_ctx = two_turns.size() + 10;  // not enough for the assistant turn A1 as well
  EXPECT_EQ(render(t, r, o), two_turns);
  o.num_ctx = 100000;
  RenderOptions none;
  EXPECT_EQ(render(t, r, o), render(t, r, none));
}

TEST(RenderChat, ImagesCountAgainstTheContext) {
  Template t = parse(find_builtin_template("chatml")->text);
  ChatRequest r;
  r.messages = {msg("system", "S"), msg("user", "U1"), msg("assistant", "A1"), msg("user", "U3")};
  r.messages[1].images = {"img"};
  RenderOptions o;
  o.count_tokens = [](std::string_view s) -> Result<size_t> { return s.size(); };
  o.num_ctx = 700;
  o.tokens_per_image = 768;
  std::string out = render(t, r, o);
  EXPECT_EQ(out.find("U1"), std::string::npos);
  EXPECT_NE(out.find("A1"), std::string::npos);
}

TEST(RenderChat, SystemPromptIsInsertedUnlessMessagesStartWithOne) {
  Template t = parse(find_builtin_template("chatml")->text);
  ChatRequest r;
  r.system = "S";
  r.messages = {msg("user", "U3")};
  EXPECT_EQ(render(t, r), kChatmlS_U3);
  r.messages = {msg("system", "Other"), msg("user", "U3")};
  EXPECT_EQ(render(t, r).find("\nS<|im_end|>"), std::string::npos);
}

TEST(RenderChat, ConsecutiveMessagesOfOneRoleMerge) {
  Template t = parse("{{ range .Messages }}[{{ .Role }}:{{ .Content }}]{{ end }}|{{ .System }}");
  ChatRequest r;
  r.messages = {msg("system", "a"), msg("system", "b"), msg("user", "x"), msg("user", "y"),
                msg("tool", "t1"), msg("tool", "t2")};
  EXPECT_EQ(render(t, r), "[system:a\n\nb][user:x\n\ny][tool:t1][tool:t2]|a\n\nb");
}

TEST(RenderChat, FillInTheMiddle) {
  Template t = parse("<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>");
  ChatRequest r;
  r.prompt = "def f(";
  r.suffix = "):";
  EXPECT_EQ(render(t, r), "<PRE> def f( <SUF>): <MID>");
}

ChatRequest tool_request() {
  Json j = Json::parse(R"({
    "messages": [
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "get_weather", "arguments": {"unit": "c", "location": "Paris <FR>"}}}]},
      {"role": "tool", "content": "22", "tool_name": "get_weather"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get weather",
      "parameters": {"type": "object", "required": ["location"],
        "properties": {"unit": {"type": "string", "enum": ["c", "f"]},
                       "location": {"type": "string", "description": "City"}}}}}]})");
  auto r = chat_request_from_json(j);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return *r;
}

TEST(RenderChat, ToolsAndToolCallsInTheDataModel) {
  ChatRequest r = tool_request();
  EXPECT_EQ(render(parse("{{ range .Tools }}{{ .Type }} {{ .Function.Name }}:{{ range $k, $v := "
                         ".Function.Parameters.Properties }}{{ $k }}={{ $v.Type }}{{ $v.Enum }},{{ end }}"
                         "{{ .Function.Parameters.Required }}{{ end }}{{ if .Messages }}{{ end }}"),
                   r),
            "function get_weather:location=string[],unit=string[c f],[location]");
  // Go's json.Marshal order and escaping: sorted map keys, struct field order, \u003c.
  EXPECT_EQ(render(parse("{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}|{{ json "
                         ".Function.Arguments }}|{{ tojson .Function.Arguments }}{{ end }}{{ end }}"),
                   r),
            R"({"location":"Paris \u003cFR\u003e","unit":"c"}|{"location":"Paris \u003cFR\u003e","unit":"c"}|)"
            R"({"unit": "c", "location": "Paris <FR>"})");
  EXPECT_EQ(render(parse("{{ range .Tools }}{{ .Function }}{{ end }}{{ .Messages | len }}"), r),
            R"({"name":"get_weather","description":"Get weather","parameters":{"type":"object",)"
            R"("required":["location"],"properties":{"location":{"type":"string","description":"City"},)"
            R"("unit":{"type":"string","enum":["c","f"]}}}}3)");
  EXPECT_EQ(render(parse("{{ range .Messages }}{{ .ToolName }}{{ end }}"), r), "get_weather");
  EXPECT_EQ(render(parse("{{ range .Tools }}{{ range .Function.Parameters.Properties }}{{ toTypeScriptType . }};"
                         "{{ end }}{{ end }}{{ .Messages | len }}"),
                   r),
            "string;\"c\" | \"f\";3");
}

TEST(RenderChat, ThinkFields) {
  Json j = Json::parse(R"({"messages":[{"role":"user","content":"x"}],"think":"high"})");
  auto r = chat_request_from_json(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(render(parse("{{ .Think }} {{ .ThinkLevel }} {{ .IsThinkSet }}{{ if .Messages }}{{ end }}"), *r),
            "true high true");
  ChatRequest plain;
  plain.messages = {msg("user", "x")};
  EXPECT_EQ(render(parse("{{ .Think }} {{ .IsThinkSet }}{{ if .Messages }}{{ end }}"), plain), "false false");
}

TEST(RenderChat, UnknownFieldsOfMessagesAreErrors) {
  ChatRequest r;
  r.messages = {msg("user", "x")};
  auto out = render_chat(parse("{{ range .Messages }}{{ .Foo }}{{ end }}"), r);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("can't evaluate field Foo in type api.Message"), std::string::npos);
  // Top-level keys Ollama does not set are zero values (missingkey=zero): they print <no value>.
  EXPECT_EQ(render(parse("{{ .Nope }}{{ .Messages | len }}"), r), "<no value>1");
}

TEST(RenderChat, CurrentDate) {
  ChatRequest r;
  r.messages = {msg("user", "x")};
  std::string out = render(parse("{{ currentDate }} {{ yesterdayDate }}{{ if .Messages }}{{ end }}"), r);
  EXPECT_TRUE(std::regex_match(out, std::regex(R"(\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2})"))) << out;
}

TEST(RenderChat, RequestJsonErrorsNameTheProblem) {
  auto bad = [](const char* text) {
    auto r = chat_request_from_json(Json::parse(text));
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(bad(R"({"messages": 3})").find("\"messages\" must be an array"), std::string::npos);
  EXPECT_NE(bad(R"({"messages": [{"content": "x"}]})").find("message 0 has no role"), std::string::npos);
  EXPECT_NE(bad(R"({"messages": [{"role": "user", "content": 5}]})").find("content must be a string"), std::string::npos);
  EXPECT_NE(bad(R"({"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{bad"}}]}]})")
                .find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(bad(R"({"tools": {}})").find("\"tools\" must be an array"), std::string::npos);
  EXPECT_NE(bad(R"([1])").find("expected a JSON object"), std::string::npos);
  // OpenAI-style string arguments and content parts are accepted.
  auto ok = chat_request_from_json(Json::parse(
      R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
          {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{\"x\": 1}"}}]}]})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->messages[0].content, "ab");
  EXPECT_EQ(ok->messages[1].tool_calls[0].arguments.dump(), R"({"x":1})");
}

TEST(RenderChat, ContextLengthNeedsACounter) {
  ChatRequest r;
  r.messages = {msg("user", "a"), msg("user", "b"), msg("assistant", "c")};
  RenderOptions o;
  o.num_ctx = 10;
  EXPECT_FALSE(render_chat(parse(find_builtin_template("chatml")->text), r, o).ok());
}

}  // namespace
}  // namespace corral::tmpl
