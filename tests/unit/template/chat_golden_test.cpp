// Chat rendering against independent references: Ollama's own template files with their
// expected renderings (../shared/testdata/templates/ollama, read at test time), and corral's
// built-in templates against jinja2 renderings of each family's real Jinja chat template
// (tests/golden/templates, made by tools/make_template_goldens.py). Also template detection
// against Ollama's detection data (testdata/templates.jsonl).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "template/library.h"
#include "template/ollama.h"

namespace corral::tmpl {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kOllamaDir = fs::path(CORRAL_TESTDATA_DIR) / "templates" / "ollama";
const fs::path kGoldenDir = fs::path(CORRAL_REPO_DIR) / "tests" / "golden" / "templates";

ChatMessage msg(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

std::vector<ChatMessage> conversation(const std::string& case_name) {
  const ChatMessage sys = msg("system", "You are a helpful assistant.");
  const ChatMessage u1 = msg("user", "Hello, how are you?");
  const ChatMessage a1 = msg("assistant", "I'm doing great. How can I help you today?");
  const ChatMessage u2 = msg("user", "I'd like to show off how chat templating works!");
  if (case_name == "user") return {u1};
  if (case_name == "user-assistant-user") return {u1, a1, u2};
  if (case_name == "system-user-assistant-user") return {sys, u1, a1, u2};
  return {};
}

TEST(OllamaTemplates, EveryExpectedRenderingMatches) {
  ASSERT_TRUE(fs::is_directory(kOllamaDir)) << kOllamaDir;
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(kOllamaDir)) {
    if (entry.path().extension() != ".gotmpl") continue;
    std::string name = entry.path().stem().string();
    SCOPED_TRACE(name);
    auto t = parse_chat_template(read_all(entry.path()), name);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    fs::path cases = kOllamaDir / "testdata" / entry.path().filename();
    ASSERT_TRUE(fs::is_directory(cases)) << cases;
    for (const auto& c : fs::directory_iterator(cases)) {
      std::string case_name = c.path().filename().string();
      SCOPED_TRACE(case_name);
      ChatRequest req;
      req.messages = conversation(case_name);
      ASSERT_FALSE(req.messages.empty()) << "unknown case " << case_name;
      auto out = render_chat(*t, req);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      std::string want = read_all(c.path());
      std::string got = *out;
      static const char* kTrailingSpace[] = {"chatqa", "llama2-chat", "mistral-instruct", "openchat", "vicuna"};
      for (const char* n : kTrailingSpace) {
        if (name == n && !got.empty() && got.back() == ' ') got.pop_back();
      }
      EXPECT_EQ(got, want);
      ++checked;
    }
  }
  EXPECT_GE(checked, 60u);
}

ChatRequest request_from_golden(const Json& c) {
  Json j = Json::object();
  j["messages"] = c.at("messages");
  if (c.contains("tools")) j["tools"] = c.at("tools");
  auto r = chat_request_from_json(j);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : ChatRequest{};
}

TEST(BuiltinTemplates, MatchJinjaRenderingsOfTheRealTemplates) {
  ASSERT_TRUE(fs::is_directory(kGoldenDir)) << kGoldenDir;
  size_t families = 0, checked = 0;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() != ".json") continue;
    Json doc = Json::parse(read_all(entry.path()), nullptr, false);
    ASSERT_TRUE(doc.is_object()) << entry.path();
    std::string family = doc.at("family").get<std::string>();
    SCOPED_TRACE(family);
    const BuiltinTemplate* b = find_builtin_template(family);
    ASSERT_NE(b, nullptr) << "no built-in template for " << family;
    auto t = parse_chat_template(b->text, family);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    ++families;
    for (const auto& c : doc.at("cases")) {
      SCOPED_TRACE(c.at("case").get<std::string>());
      auto out = render_chat(*t, request_from_golden(c));
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(*out, c.at("expected").get<std::string>());
      ++checked;
    }
    // The family's own Jinja text is recognised as the family.
    auto m = detect_template(doc.at("jinja").get<std::string>());
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->tmpl->name, family);
  }
  EXPECT_GE(families, 24u);
  EXPECT_GE(checked, 80u);
}

TEST(BuiltinTemplates, EveryBuiltinParsesAndHasStops) {
  for (const auto& b : builtin_templates()) {
    SCOPED_TRACE(std::string(b.name));
    auto t = parse_chat_template(b.text, std::string(b.name));
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_FALSE(b.stop.empty());
    EXPECT_TRUE(fs::exists(kGoldenDir / (std::string(b.name) + ".json")));
  }
}

TEST(Detection, OllamaDetectionDataIsDetected) {
  std::ifstream in(kOllamaDir / "testdata" / "templates.jsonl");
  ASSERT_TRUE(in.good());
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object());
    for (auto it = j.begin(); it != j.end(); ++it) {
      SCOPED_TRACE(it.key());
      auto m = detect_template(it.value().get<std::string>());
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->tmpl->name, it.key());
      ++n;
    }
  }
  EXPECT_GE(n, 35u);
}

TEST(Detection, WhitespaceAndSmallEditsStillMatch) {
  const std::string chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
      "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
  auto exact = detect_template(chatml);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->how, TemplateMatch::How::kExact);
  EXPECT_EQ(exact->tmpl->name, "chatml");

  std::string spaced = chatml;
  spaced.insert(spaced.find("{% endfor %}"), "\n   ");
  auto ws = detect_template(spaced);
  ASSERT_TRUE(ws.has_value());
  EXPECT_EQ(ws->how, TemplateMatch::How::kWhitespace);
  EXPECT_EQ(ws->tmpl->name, "chatml");

  std::string edited = chatml;
  edited.replace(edited.find("message['role']"), 15, "msg['role']");
  auto near = detect_template(edited);
  ASSERT_TRUE(near.has_value());
  EXPECT_EQ(near->how, TemplateMatch::How::kEditDistance);
  EXPECT_EQ(near->distance, 4u);
  EXPECT_EQ(near->tmpl->name, "chatml");

  EXPECT_FALSE(detect_template("{{ messages }} something entirely different from any known chat template at all").has_value());
  EXPECT_FALSE(detect_template("").has_value());
}

TEST(Detection, BoundedEditDistance) {
  EXPECT_EQ(bounded_edit_distance("kitten", "sitting", 100), 3u);
  EXPECT_EQ(bounded_edit_distance("", "abc", 100), 3u);
  EXPECT_EQ(bounded_edit_distance("abc", "abc", 100), 0u);
  EXPECT_EQ(bounded_edit_distance("héllo", "hello", 100), 1u);  // code points, not bytes
  EXPECT_EQ(bounded_edit_distance(std::string(500, 'a'), std::string(500, 'b'), 100), 100u);
  EXPECT_EQ(bounded_edit_distance("abcdef", "azcdxf", 2), 2u);
  EXPECT_EQ(bounded_edit_distance("abcdef", "azcdxf", 3), 2u);
}

}  // namespace
}  // namespace corral::tmpl
