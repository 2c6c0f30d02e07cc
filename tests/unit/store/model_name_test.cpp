// ModelName parsing against Ollama's rules (types/model/name.go): defaults, the accepted
// forms, and a table of invalid names including path traversal attempts.
#include <gtest/gtest.h>

#include <string>

#include "store/model_name.h"

namespace corral::store {
namespace {

const std::string kHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

struct Valid {
  std::string text, host, ns, model, tag;
};

TEST(ModelNameTest, ValidNames) {
  const Valid cases[] = {
      {"llama3", "registry.ollama.ai", "library", "llama3", "latest"},
      {"llama3.2:1b", "registry.ollama.ai", "library", "llama3.2", "1b"},
      {"me/mymodel", "registry.ollama.ai", "me", "mymodel", "latest"},
      {"me/mymodel:v1.0-q4_K_M", "registry.ollama.ai", "me", "mymodel", "v1.0-q4_K_M"},
      {"example.com/team/model:tag", "example.com", "team", "model", "tag"},
      {"localhost:5000/ns/m", "localhost:5000", "ns", "m", "latest"},
      {"localhost:5000/ns/m:t", "localhost:5000", "ns", "m", "t"},
      {"https://example.com/ns/m", "example.com", "ns", "m", "latest"},
      {"http://127.0.0.1:5000/ns/m:x", "127.0.0.1:5000", "ns", "m", "x"},
      {"_/_/_:_", "_", "_", "_", "_"},
      {"Mixed-Case/Model_1:TAG", "registry.ollama.ai", "Mixed-Case", "Model_1", "TAG"},
      {"hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M", "hf.co", "bartowski",
       "SmolLM2-135M-Instruct-GGUF", "Q4_K_M"},
      {"m:" + std::string(80, 't'), "registry.ollama.ai", "library", "m", std::string(80, 't')},
      {std::string(80, 'm'), "registry.ollama.ai", "library", std::string(80, 'm'), "latest"},
      {std::string(350, 'h') + "/n/m", std::string(350, 'h'), "n", "m", "latest"},
  };
  for (const Valid& v : cases) {
    auto n = ModelName::parse(v.text);
    ASSERT_TRUE(n.ok()) << v.text << ": " << n.status().to_string();
    EXPECT_EQ(n->host(), v.host) << v.text;
    EXPECT_EQ(n->name_space(), v.ns) << v.text;
    EXPECT_EQ(n->model(), v.model) << v.text;
    EXPECT_EQ(n->tag(), v.tag) << v.text;
    EXPECT_FALSE(n->digest().has_value());
  }
}

TEST(ModelNameTest, Digest) {
  auto n = ModelName::parse("me/m:t@sha256:" + kHex);
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  ASSERT_TRUE(n->digest().has_value());
  EXPECT_EQ(n->digest()->hex(), kHex);
  EXPECT_EQ(n->tag(), "t");
  EXPECT_FALSE(ModelName::parse("m@sha256:1234").ok());
  EXPECT_FALSE(ModelName::parse("m@sha256:" + kHex + "/../x").ok());
  EXPECT_FALSE(ModelName::parse("m@").ok());
  EXPECT_FALSE(ModelName::parse("@sha256:" + kHex).ok());
}

TEST(ModelNameTest, InvalidNames) {
  const std::string bad[] = {
      "",
      ":",
      "m:",
      ":tag",
      "/m",
      "ns/",
      "ns//m",
      "a/b/c/d",             // too many parts
      "a/b/c/d:e",
      "..",
      "../m",
      "ns/../m",
      "../../etc/passwd",
      "h/../m",
      "h/ns/..",
      "m/..:x",
      "a..b",                // Ollama allows it; we ban ".." outright
      "m:..",
      "m:a..b",
      ".hidden",
      "-dash",
      "m:-tag",
      "m:.tag",
      "name.with.dot/m",     // namespace: no '.'
      "%2e%2e/m",
      "%2e%2e",
      "m%2fx",
      "m\\x",
      "..\\..\\windows",
      "m x",
      " m",
      "m ",
      "m\n",
      "m\tx",
      "mod\xC3\xA9le",       // non-ASCII
      "\xE2\x80\xAE" "m",    // right-to-left override
      "m:t:u",
      "ns/m:t/x",
      "m@x",
      std::string(81, 'm'),
      "m:" + std::string(81, 't'),
      std::string(81, 'n') + "/m",
      std::string(351, 'h') + "/n/m",
      std::string(2000, 'a'),
      std::string("m\0x", 3),
      "ftp://h/n/m",
  };
  for (const std::string& b : bad) {
    auto n = ModelName::parse(b);
    EXPECT_FALSE(n.ok()) << "accepted '" << b << "' as " << (n.ok() ? n->full() : "");
    if (!n.ok()) {
      EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(ModelNameTest, ErrorsNameThePart) {
  auto n = ModelName::parse("name.with.dot/m");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("namespace"), std::string::npos) << n.status().message();
  auto t = ModelName::parse("m:" + std::string(81, 't'));
  EXPECT_NE(t.status().message().find("tag"), std::string::npos) << t.status().message();
}

TEST(ModelNameTest, DisplayDropsDefaults) {
  EXPECT_EQ(ModelName::parse("llama3")->display(), "llama3");
  EXPECT_EQ(ModelName::parse("llama3:8b")->display(), "llama3:8b");
  EXPECT_EQ(ModelName::parse("registry.ollama.ai/library/llama3:latest")->display(), "llama3");
  EXPECT_EQ(ModelName::parse("me/m")->display(), "me/m");
  EXPECT_EQ(ModelName::parse("h.io/library/m")->display(), "h.io/library/m");
  EXPECT_EQ(ModelName::parse("h.io/ns/m:t")->display(), "h.io/ns/m:t");
  EXPECT_EQ(ModelName::parse("REGISTRY.OLLAMA.AI/Library/m:Latest")->display(), "m");
  EXPECT_EQ(ModelName::parse("llama3")->display_with_tag(), "llama3:latest");
  EXPECT_EQ(ModelName::parse("llama3")->full(), "registry.ollama.ai/library/llama3:latest");
  EXPECT_EQ(ModelName::parse("me/m:t")->manifest_path(), "registry.ollama.ai/me/m/t");
}

TEST(ModelNameTest, ConfigurableDefaults) {
  NameDefaults d;
  d.host = "localhost:5000";
  auto n = ModelName::parse("m", d);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->host(), "localhost:5000");
  EXPECT_EQ(n->display(d), "m");
  EXPECT_EQ(n->display(), "localhost:5000/library/m");
}

TEST(ModelNameTest, CaseInsensitiveComparison) {
  auto a = ModelName::parse("Me/Model:Tag");
  auto b = ModelName::parse("registry.OLLAMA.ai/me/model:tag");
  auto c = ModelName::parse("me/model:tag2");
  EXPECT_TRUE(a->equal_fold(*b));
  EXPECT_FALSE(a->equal_fold(*c));
  EXPECT_EQ(a->model(), "Model");  // case is kept
  EXPECT_TRUE(equal_fold("ABC", "abc"));
  EXPECT_FALSE(equal_fold("abc", "abd"));
  EXPECT_FALSE(equal_fold("\xC3\x89", "\xC3\xA9"));  // ASCII folding only
}

TEST(ModelNameTest, FromPartsValidatesEachPart) {
  EXPECT_TRUE(ModelName::from_parts("h", "n", "m", "t").ok());
  EXPECT_FALSE(ModelName::from_parts("h", "n", "..", "t").ok());
  EXPECT_FALSE(ModelName::from_parts("h", "n/x", "m", "t").ok());
  EXPECT_FALSE(ModelName::from_parts("h", "n", "m", "").ok());
  EXPECT_FALSE(ModelName::from_parts("", "n", "m", "t").ok());
}

}  // namespace
}  // namespace corral::store
