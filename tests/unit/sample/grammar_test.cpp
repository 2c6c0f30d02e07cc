// JSON-schema grammar and matcher against goldens whose validity the Python `jsonschema`
// package decided (make_grammar_goldens.py), plus the token constraint on a toy vocabulary.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sample/grammar.h"
#include "sample/json_schema.h"

namespace corral::sample {
namespace {

using nlohmann::json;

bool matches(const std::shared_ptr<const JsonGrammar>& g, const std::string& text) {
  JsonMatcher m(g);
  return m.feed(text) && m.accepted();
}

TEST(JsonGrammar, AgreesWithJsonschemaOnGoldens) {
  std::ifstream f(std::string(CORRAL_REPO_DIR) + "/tests/unit/sample/grammar_goldens.json");
  ASSERT_TRUE(f.good()) << "missing grammar_goldens.json";
  json goldens = json::parse(f);
  int checked = 0, accepted_valid = 0;
  for (const auto& c : goldens["cases"]) {
    auto g = JsonGrammar::from_schema(c["schema"]);
    ASSERT_TRUE(g.ok()) << c["schema"].dump() << ": " << g.status().message();
    for (const auto& d : c["docs"]) {
      const std::string text = d["text"];
      const bool valid = d["valid"], canonical = d["canonical"];
      const bool ok = matches(*g, text);
      if (ok) {
        EXPECT_TRUE(valid) << "accepted an invalid document " << text << " for " << c["schema"].dump();
        ++accepted_valid;
      } else if (canonical) {
        EXPECT_FALSE(valid) << "rejected a valid document " << text << " for " << c["schema"].dump();
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(accepted_valid, 100);
}

TEST(JsonGrammar, FormatJsonIsAnyObject) {
  auto g = JsonGrammar::any_object();
  EXPECT_TRUE(matches(g, R"({"a": [1, {"b": null}], "c": "x"})"));
  EXPECT_TRUE(matches(g, "{}"));
  EXPECT_FALSE(matches(g, "[1]"));
  EXPECT_FALSE(matches(g, "\"x\""));
  EXPECT_FALSE(matches(g, R"({"a": 1)"));
}

TEST(JsonGrammar, PrefixesStayAliveUntilTheyFail) {
  auto g = *JsonGrammar::from_schema(json::parse(R"({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]})"));
  JsonMatcher m(g);
  EXPECT_TRUE(m.feed("{\"n\": 1"));
  EXPECT_FALSE(m.accepted());
  JsonMatcher copy = m;
  EXPECT_FALSE(copy.feed("."));  // integers have no fraction
  EXPECT_TRUE(m.feed("2}"));
  EXPECT_TRUE(m.accepted());
  EXPECT_FALSE(m.feed(" "));  // nothing after the value
}

TEST(JsonGrammar, WhitespaceRunsAreBounded) {
  auto g = JsonGrammar::any_object();
  JsonMatcher m(g);
  EXPECT_TRUE(m.feed("{" + std::string(20, ' ')));
  EXPECT_FALSE(m.feed(" "));
}

TEST(JsonGrammar, RefusesWhatItCannotEnforce) {
  for (const char* s : {R"({"type":"string","pattern":"a+"})", R"({"type":"string","minLength":3})",
                        R"({"type":"array","minItems":3,"maxItems":1})", R"({"type":"object","properties":{"a":false},"required":["a"]})",
                        R"({"anyOf":[{"type":"object"},{"type":"object","properties":{"a":{}}}]})",
                        R"({"$ref":"#/$defs/missing"})", R"({"type":"colour"})",
                        R"({"type":"object","properties":{},"required":["x"]})", R"({"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"})"}) {
    auto g = JsonGrammar::from_schema(json::parse(s));
    EXPECT_FALSE(g.ok()) << s;
    if (!g.ok()) {
      EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument) << s;
    }
  }
  auto g = JsonGrammar::from_schema(json::parse(R"({"type":"string","pattern":"a+"})"));
  EXPECT_NE(g.status().message().find("'pattern'"), std::string::npos) << g.status().message();
}

std::shared_ptr<TokenTable> toy_vocab() {
  auto t = std::make_shared<TokenTable>();
  t->bytes = {"{", "}", "\"", "a", "\":", " 1", "2", "hello", "{\"a\": ", "<eos>", "", ",", " ", "\"a\""};
  t->eog.assign(t->bytes.size(), false);
  t->eog[9] = true;
  t->bytes[9] = "";
  return t;
}

TEST(GrammarConstraint, MasksTokensThatLeaveTheGrammar) {
  auto g = *JsonGrammar::from_schema(json::parse(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})"));
  auto vocab = toy_vocab();
  for (int keep : {0, 1, 3}) {
    GrammarConstraint c(g, vocab, keep);
    std::vector<float> logits(vocab->bytes.size(), 0.0f);
    logits[7] = 5.0f;  // "hello" is the model's favourite
    logits[8] = 1.0f;
    c.apply(logits);
    EXPECT_TRUE(std::isinf(logits[7])) << keep;
    EXPECT_TRUE(std::isinf(logits[9])) << "end of generation before the value is complete";
    EXPECT_EQ(logits[8], 1.0f) << keep;
    if (keep == 0) {
      EXPECT_EQ(logits[0], 0.0f);
    }
    EXPECT_TRUE(c.accept(8));  // {"a":
    std::fill(logits.begin(), logits.end(), 0.0f);
    c.apply(logits);
    if (keep != 1) {
      EXPECT_EQ(logits[6], 0.0f);  // "2"
    }
    EXPECT_TRUE(std::isinf(logits[3]));
    EXPECT_TRUE(c.accept(6));
    EXPECT_TRUE(c.accept(1));  // }
    EXPECT_TRUE(c.accepted());
    std::fill(logits.begin(), logits.end(), 0.0f);
    c.apply(logits);
    for (size_t i = 0; i < logits.size(); ++i) EXPECT_EQ(std::isinf(logits[i]), i != 9) << i;
  }
}

}  // namespace
}  // namespace corral::sample
