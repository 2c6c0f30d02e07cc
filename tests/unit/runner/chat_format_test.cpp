// ChatFormat: the built-in template is detected from the GGUF's Jinja chat_template (a real
// template from ../shared/testdata), chatml is the fallback, and a conversation renders in the
// format's documented layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runner/chat_format.h"
#include "template/library.h"
#include "tiny_model.h"

namespace corral {
namespace {

std::string temp_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + std::to_string(::getpid()) + ".gguf")).string();
}

TEST(ChatFormatTest, FallsBackToChatmlWithoutATemplate) {
  Result<GgufFile> f = GgufFile::open(testing::tiny_model_path());
  ASSERT_TRUE(f.ok());
  Result<ChatFormat> fmt = chat_format_for(*f);
  ASSERT_TRUE(fmt.ok()) << fmt.status().to_string();
  EXPECT_EQ(fmt->name, "chatml");
  EXPECT_EQ(fmt->detection, "fallback");
  EXPECT_EQ(fmt->stop, (std::vector<std::string>{"<|im_start|>", "<|im_end|>"}));

  Result<std::unique_ptr<Tokenizer>> tok = make_tokenizer(*f);
  ASSERT_TRUE(tok.ok());
  std::vector<tmpl::ChatMessage> msgs = {{.role = "system", .content = "Be brief."},
                                         {.role = "user", .content = "Hi"},
                                         {.role = "assistant", .content = "Hello!"},
                                         {.role = "user", .content = "Why?"}};
  Result<std::string> text = render_conversation(*fmt, msgs, **tok, 0);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  // ChatML as its specification lays it out, ending with the open assistant turn.
  EXPECT_EQ(*text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nWhy?<|im_end|>\n"
            "<|im_start|>assistant\n");
  // With a small context the oldest turns go, the system message and last turn stay.
  Result<std::string> cut = render_conversation(*fmt, msgs, **tok, 30);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->find("Hello!"), std::string::npos);
  EXPECT_NE(cut->find("Be brief."), std::string::npos);
  EXPECT_NE(cut->find("Why?"), std::string::npos);
}

TEST(ChatFormatTest, DetectsTheBuiltinTemplateFromTheJinjaTemplate) {
  // A real Jinja template that Ollama maps to a built-in name (not chatml).
  std::ifstream in(std::string(CORRAL_TESTDATA_DIR) + "/templates/ollama/testdata/templates.jsonl");
  ASSERT_TRUE(in.good());
  std::string line, name, jinja;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || j.empty()) continue;
    const std::string n = j.begin().key();
    if (n != "chatml" && n.find("llama3") != std::string::npos && tmpl::find_builtin_template(n) != nullptr) {
      name = n;
      jinja = j.begin().value().get<std::string>();
      break;
    }
  }
  ASSERT_FALSE(name.empty()) << "no llama3 template in templates.jsonl";
  const std::string path = temp_path("corral_chat_");
  ASSERT_TRUE(testing::write_tiny_model(path, {.chat_template = jinja}).ok());
  Result<GgufFile> f = GgufFile::open(path);
  ASSERT_TRUE(f.ok());
  Result<ChatFormat> fmt = chat_format_for(*f);
  std::filesystem::remove(path);
  ASSERT_TRUE(fmt.ok()) << fmt.status().to_string();
  EXPECT_EQ(fmt->name, name);
  EXPECT_NE(fmt->detection, "fallback");
  EXPECT_NE(std::find(fmt->stop.begin(), fmt->stop.end(), "<|eot_id|>"), fmt->stop.end());
}

TEST(ChatFormatTest, UnknownNameIsNotFound) {
  EXPECT_EQ(chat_format_named("no-such-template").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corral
