// Malformed and hostile templates: every one fails with a "template: ..." message or renders
// within the limits — never a crash, hang or unbounded allocation.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "template/library.h"
#include "template/ollama.h"

namespace corral::tmpl {
namespace {

Value sample_data() {
  return Value::from_json(Json::parse(R"({"A":1,"S":"s","L":[1,2,3],"M":{"k":"v"},"N":null})"));
}

Status run(std::string_view text, const ExecOptions& opts = {}) {
  auto t = Template::parse(text, "m", chat_functions());
  if (!t.ok()) return t.status();
  auto out = t->execute(sample_data(), opts);
  return out.ok() ? ok_status() : out.status();
}

void expect_error(std::string_view text, std::string_view substring) {
  Status s = run(text);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.message().rfind("template: ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.message();
}

TEST(MalformedTemplates, ParseErrors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"{{", "unclosed action"},
      {"{{.", "illegal number syntax: \".\""},
      {"{{ \"abc", "unterminated quoted string"},
      {"{{ 'a", "unterminated character constant"},
      {"{{ `abc", "unterminated raw quoted string"},
      {"{{/*", "unclosed comment"},
      {"{{if 1}}", "unexpected EOF"},
      {"{{range .L}}{{else}}", "unexpected EOF"},
      {"{{with 1}}{{else}}{{else}}{{end}}", "expected end"},
      {"{{define}}", "in define clause"},
      {"{{define \"x\"}}", "unexpected EOF"},
      {"{{define \"x\" 1}}{{end}}", "in define clause"},
      {"{{template}}", "in template clause"},
      {"{{block \"b\"}}{{end}}", "missing value for block clause"},
      {"{{end}}{{if}}", "unexpected {{end}}"},
      {"{{((((1}}", "unclosed left paren"},
      {"{{1))}}", "unexpected"},
      {"{{$}}{{$x.}}", "undefined variable"},
      {"{{.A | | .B}}", "unexpected"},
      {"{{0x}}", "illegal number syntax"},
      {"{{1e}}", "illegal number syntax"},
      {"{{--1}}", "bad number syntax"},
      {"{{1.2.3}}", "unexpected \".3\" in operand"},
      {"{{\xff}}", "unrecognized character"},
      {"{{.A\xff}}", "bad character"},
      {"{{ 1i }}", "complex constants are not supported"},
      {"{{ 1+2i }}", "complex constants are not supported"},
      {"{{ \"\\xZZ\" }}", "invalid syntax"},
      {"{{ \"\\ud800\" }}", "invalid syntax"},
      {"{{range $a, $b, $c := 1}}{{end}}", "too many declarations"},
      {"{{$a, $b := 1}}", "too many declarations"},
      {"{{continue}}", "outside {{range}}"},
  };
  for (const auto& [text, want] : kCases) {
    SCOPED_TRACE(text);
    expect_error(text, want);
  }
}

TEST(MalformedTemplates, DeepNestingIsRejectedNotRecursedInto) {
  std::string parens = std::string(100000, '(');
  expect_error("{{" + parens + "1" + std::string(100000, ')') + "}}", "nesting too deep");
  std::string ifs;
  for (int i = 0; i < 50000; ++i) ifs += "{{if 1}}";
  expect_error(ifs, "nesting too deep");
  std::string ranges;
  for (int i = 0; i < 50000; ++i) ranges += "{{range .L}}";
  expect_error(ranges, "nesting too deep");
}

TEST(MalformedTemplates, ExecutionIsBounded) {
  auto start = std::chrono::steady_clock::now();
  expect_error("{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}", "exceeded maximum template depth");
  expect_error("{{define \"r\"}}x{{template \"r\" .}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
               "exceeded maximum template depth");
  expect_error("{{range 1000000000}}0123456789{{end}}", "limit");
  expect_error("{{range 100000}}{{range 100000}}{{end}}{{end}}", "steps");
  expect_error("{{$x := \"0123456789\"}}{{range 60}}{{$x = printf \"%s%s\" $x $x}}{{end}}", "limit");
  expect_error("{{$x := \"0123456789\"}}{{range 60}}{{$x = print $x $x}}{{end}}{{$x}}", "limit");
  EXPECT_TRUE(run("{{printf \"%999999999999d\" 1 | len}}").ok());  // width is capped
  ExecOptions small;
  small.max_output_bytes = 100;
  Status s = run("{{range 1000}}x{{end}}", small);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("output exceeds the limit of 100 bytes"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(MalformedTemplates, RuntimeErrorsCarryLineAndColumn) {
  Status s = run("line one\n  {{ index .L 9 }}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "template: m:2:5: executing \"m\" at <index .L 9>: error calling index: index out of range: 9");
}

// Random token soup from a fixed seed: each input parses or fails cleanly and executes within
// the limits. (The libFuzzer target fuzz/gotmpl_fuzzer.cpp explores far more.)
TEST(MalformedTemplates, RandomTokenSoup) {
  static const char* kPieces[] = {
      "{{", "}}", "{{-", "-}}", " ", "\n", ".A", ".S", ".L", ".M", ".N", "$", "$x", ":=", "=", "|", "(", ")",
      "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "\"s\"", "`r`",
      "'c'", "1", "-2", "3.5", "0x1f", "nil", "true", "print", "printf", "\"%d %s\"", "len", "index", "slice",
      "eq", "lt", "and", "or", "not", "call", "html", "js", "json", "tojson", "trim", "/*", "*/", ",", "text",
      "\xe2\x82\xac", "\xff", "\"\\x41\"", "{{end}}", "{{range .L}}", "{{if .A}}", "{{else}}", "{{$x := 1}}"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> piece(0, std::size(kPieces) - 1), len(1, 40);
  size_t parsed = 0;
  ExecOptions opts;
  opts.max_steps = 100000;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    for (size_t n = len(rng); n > 0; --n) text += kPieces[piece(rng)];
    auto t = Template::parse(text, "soup", chat_functions());
    if (!t.ok()) {
      EXPECT_EQ(t.status().message().rfind("template: soup:", 0), 0u) << t.status().message();
      continue;
    }
    ++parsed;
    auto out = t->execute(sample_data(), opts);
    if (!out.ok()) {
      EXPECT_EQ(out.status().message().rfind("template: ", 0), 0u) << out.status().message();
    }
  }
  EXPECT_GT(parsed, 100u);
}

TEST(MalformedTemplates, DetectionHandlesHostileInput) {
  EXPECT_FALSE(detect_template(std::string(2u << 20, 'x')).has_value());
  EXPECT_FALSE(detect_template("\xff\xfe\xfd").has_value());
  std::string near_huge(200000, '{');
  EXPECT_FALSE(detect_template(near_huge).has_value());
}

}  // namespace
}  // namespace corral::tmpl
