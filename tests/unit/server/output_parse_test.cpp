// Thinking and tool-call parsing on fixed model outputs, fed whole and in every split into two
// pieces (streaming must give the same result as one piece).
#include <gtest/gtest.h>

#include "server/output_parse.h"
#include "server/security.h"

namespace corral::server {
namespace {

struct Split {
  std::string thinking, content;
};

Split think_split(const std::string& text, size_t cut, bool inside = false) {
  ThinkingSplitter s(inside);
  Split out;
  s.feed(text.substr(0, cut), &out.thinking, &out.content);
  s.feed(text.substr(cut), &out.thinking, &out.content);
  s.finish(&out.thinking, &out.content);
  return out;
}

TEST(ThinkingSplitter, SplitsThinkBlocksAtAnyChunkBoundary) {
  const std::string text = "<think>\nLet me count: 2+2=4.\n</think>\n\nThe answer is 4.";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Split s = think_split(text, cut);
    EXPECT_EQ(s.thinking, "\nLet me count: 2+2=4.\n") << cut;
    EXPECT_EQ(s.content, "The answer is 4.") << cut;
  }
}

TEST(ThinkingSplitter, NoThinkBlockIsAllContent) {
  const std::string text = "Plain answer with <think> in the middle.";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Split s = think_split(text, cut);
    EXPECT_EQ(s.thinking, "") << cut;
    EXPECT_EQ(s.content, text) << cut;
  }
  Split partial = think_split("<thi", 2);
  EXPECT_EQ(partial.content, "<thi");
}

TEST(ThinkingSplitter, PromptOpenedTheBlock) {
  Split s = think_split("reasoning here</think>answer", 9, /*inside=*/true);
  EXPECT_EQ(s.thinking, "reasoning here");
  EXPECT_EQ(s.content, "answer");
  Split unfinished = think_split("still thinking", 5, true);
  EXPECT_EQ(unfinished.thinking, "still thinking");
  EXPECT_EQ(unfinished.content, "");
}

struct Calls {
  std::string content;
  std::vector<ParsedToolCall> calls;
};

Calls parse_tools(const std::string& text, size_t cut, std::string prefix = "<tool_call>", std::string suffix = "</tool_call>") {
  ToolCallParser p({"get_weather", "add"}, prefix, suffix);
  Calls out;
  p.feed(text.substr(0, cut), &out.content, &out.calls);
  p.feed(text.substr(cut), &out.content, &out.calls);
  p.finish(&out.content, &out.calls);
  return out;
}

TEST(ToolCallParser, TaggedCallsQwenStyle) {
  const std::string text =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
      "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Calls c = parse_tools(text, cut);
    ASSERT_EQ(c.calls.size(), 2u) << cut;
    EXPECT_EQ(c.calls[0].name, "get_weather");
    EXPECT_EQ(c.calls[0].arguments["city"], "Paris");
    EXPECT_EQ(c.calls[1].name, "add");
    EXPECT_EQ(c.calls[1].arguments["b"], 2);
    EXPECT_EQ(c.content, "") << cut;
  }
}

TEST(ToolCallParser, TextBeforeACallIsStreamed) {
  const std::string text = "Let me check. <tool_call>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}</tool_call>";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Calls c = parse_tools(text, cut);
    ASSERT_EQ(c.calls.size(), 1u) << cut;
    EXPECT_EQ(c.calls[0].arguments["city"], "Oslo");  // "parameters" as Llama-style models write it
    EXPECT_EQ(c.content, "Let me check. ") << cut;
  }
}

TEST(ToolCallParser, BareJsonAnswersAndNonCalls) {
  Calls c = parse_tools(R"({"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"})", 10, "", "");
  ASSERT_EQ(c.calls.size(), 1u);
  EXPECT_EQ(c.calls[0].arguments["city"], "Rome");  // arguments as a JSON string (OpenAI style)
  Calls list = parse_tools(R"([{"name": "add", "arguments": {"a": 1}}, {"name": "add", "arguments": {"a": 2}}])", 3);
  EXPECT_EQ(list.calls.size(), 2u);
  // Unknown tool names, malformed JSON and JSON that is not a call stay text.
  for (const std::string& text : {std::string(R"({"name": "rm_rf", "arguments": {}})"), std::string("{\"name\": \"add\""),
                                 std::string(R"({"answer": 42})"), std::string("<tool_call>not json</tool_call>"),
                                 std::string("The weather is fine.")}) {
    Calls t = parse_tools(text, text.size() / 2);
    EXPECT_TRUE(t.calls.empty()) << text;
    EXPECT_EQ(t.content, text);
  }
}

TEST(Security, HostHeaderAgainstDnsRebinding) {
  EXPECT_TRUE(host_allowed("127.0.0.1:11434", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("localhost", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("[::1]:8080", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("", "127.0.0.1"));
  EXPECT_FALSE(host_allowed("evil.example.com", "127.0.0.1"));
  EXPECT_FALSE(host_allowed("127.0.0.1.evil.com:80", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("evil.example.com", "0.0.0.0"));  // bound publicly on purpose
}

TEST(Security, CorsOrigins) {
  OriginPolicy p("https://app.example.com, http://intranet/*");
  EXPECT_TRUE(p.allowed("http://localhost:3000"));
  EXPECT_TRUE(p.allowed("http://127.0.0.1"));
  EXPECT_TRUE(p.allowed("https://app.example.com"));
  EXPECT_TRUE(p.allowed("http://intranet/x"));
  EXPECT_FALSE(p.allowed("https://evil.example.com"));
  EXPECT_FALSE(p.allowed("http://localhost.evil.com"));
  EXPECT_TRUE(OriginPolicy("*").allowed("https://anything"));
}

}  // namespace
}  // namespace corral::server
