// Go text/template conformance cases: tests/unit/template/gotmpl_cases.json holds one case per
// language feature and builtin (template, optional data, and the output Go produces or a
// substring of Go's error), worked out from Go's documentation of text/template and fmt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "template/gotmpl.h"
#include "template/value.h"

namespace corral::tmpl {
namespace {

struct Case {
  std::string tmpl;
  bool has_data = false;
  Json data;
  bool want_error = false;
  std::string want;
};

std::vector<Case> load_cases() {
  std::ifstream in(std::string(CORRAL_REPO_DIR) + "/tests/unit/template/gotmpl_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  Json all = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  std::vector<Case> cases;
  if (!all.is_array()) return cases;
  for (const auto& j : all) {
    Case c;
    c.tmpl = j.at("t").get<std::string>();
    if (j.contains("data")) {
      c.has_data = true;
      c.data = j.at("data");
    }
    if (j.contains("err")) {
      c.want_error = true;
      c.want = j.at("err").get<std::string>();
    } else {
      c.want = j.at("out").get<std::string>();
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = load_cases();
  return kCases;
}

Value default_data() {
  Json j = Json::parse(R"({"A":1,"S":"str","L":[1,2,3],"M":{"b":2,"a":1},"E":[],"T":true,"F":false,
    "Z":0,"N":null,"Nested":{"X":{"Y":"deep"}},"Msgs":[{"Role":"user","Content":"hi"}],
    "Grid":[[1,2],[3,4]],"M2":{"z":1,"a":2,"m":3},"Fl":1.5})");
  Value base = Value::from_json(j);
  std::vector<Value::Entry> entries(base.entries().begin(), base.entries().end());
  entries.emplace_back("add", Value::function("add", [](std::span<const Value> a) -> Result<Value> {
    if (a.size() != 2 || a[0].kind() != ValueKind::kInt || a[1].kind() != ValueKind::kInt) {
      return invalid_argument("add wants two ints");
    }
    return Value::integer(a[0].as_int() + a[1].as_int());
  }));
  entries.emplace_back(
      "Obj", Value::structure("test.Obj",
                              {{"Name", Value::string("obj")},
                               {"Greet", Value::function(
                                             "Greet",
                                             [](std::span<const Value> a) -> Result<Value> {
                                               if (a.size() != 1) return invalid_argument("Greet wants 1 arg");
                                               return Value::string("hello " + a[0].as_string());
                                             },
                                             /*method=*/true)}}));
  return Value::map(std::move(entries));
}

std::shared_ptr<const FuncMap> test_funcs() {
  auto f = std::make_shared<FuncMap>();
  (*f)["upper"] = [](std::span<const Value> a) -> Result<Value> {
    std::string s = a.empty() ? "" : a[0].as_string();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return Value::string(s);
  };
  (*f)["fail"] = [](std::span<const Value>) -> Result<Value> { return invalid_argument("boom"); };
  return f;
}

class GoTemplateCase : public ::testing::TestWithParam<size_t> {};

TEST_P(GoTemplateCase, MatchesGo) {
  const Case& c = cases()[GetParam()];
  SCOPED_TRACE("template: " + c.tmpl);
  Value data = c.has_data ? Value::from_json(c.data) : default_data();
  Result<std::string> out = Status(StatusCode::kInternal, "not run");
  auto t = Template::parse(c.tmpl, "t", test_funcs());
  if (t.ok()) {
    out = t->execute(data);
  } else {
    out = t.status();
  }
  if (c.want_error) {
    ASSERT_FALSE(out.ok()) << "expected an error containing: " << c.want << "\ngot output: " << *out;
    EXPECT_NE(out.status().message().find(c.want), std::string::npos)
        << "error: " << out.status().message() << "\nwanted substring: " << c.want;
  } else {
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(*out, c.want);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoTemplateCase, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return "case" + std::to_string(info.param); });

TEST(GoTemplateCases, FileHasAtLeast150Cases) { EXPECT_GE(cases().size(), 150u); }

}  // namespace
}  // namespace corral::tmpl
