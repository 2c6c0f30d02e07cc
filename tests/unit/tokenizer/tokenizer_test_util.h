// Helpers of the tokenizer tests: the shared vocab GGUFs with their .inp/.out conformance cases,
// the goldens under tests/golden/tokenizer, and small in-memory vocabularies.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace corral::test {

inline std::string vocab_path(const std::string& name) {
  return std::string(CORRAL_TESTDATA_DIR) + "/tokenizers/ggml-vocab-" + name + ".gguf";
}

inline std::string golden_path(const std::string& file) {
  return std::string(CORRAL_REPO_DIR) + "/tests/golden/tokenizer/" + file;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json load_json(const std::string& path) {
  return nlohmann::json::parse(slurp(path));
}

// Loads a vocab GGUF of the shared test data into a tokenizer (fails the test on error).
inline std::unique_ptr<Tokenizer> load_tokenizer(const std::string& name) {
  auto file = GgufFile::open(vocab_path(name));
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  if (!file.ok()) return nullptr;
  auto tok = make_tokenizer(*file);
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  if (!tok.ok()) return nullptr;
  return std::move(tok).value();
}

struct ConformanceCase {
  std::string input;
  std::vector<int32_t> expected;
};

// NAME.gguf.inp holds texts separated by "\n__ggml_vocab_test__\n" (the last one followed by it
// too); NAME.gguf.out the expected ids, one line per text.
inline std::vector<ConformanceCase> load_conformance(const std::string& name) {
  const std::string inp = slurp(vocab_path(name) + ".inp");
  const std::string out = slurp(vocab_path(name) + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  size_t pos = 0;
  while (true) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) break;
    inputs.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<ConformanceCase> cases;
  std::istringstream lines(out);
  std::string line;
  for (const std::string& input : inputs) {
    if (!std::getline(lines, line)) break;
    ConformanceCase c;
    c.input = input;
    std::istringstream ids(line);
    int32_t id = 0;
    while (ids >> id) c.expected.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

// A tiny vocabulary: tokens with their types (all normal unless given).
inline Vocabulary make_vocab(VocabModel model, std::vector<std::string> tokens) {
  Vocabulary v;
  v.model = model;
  v.tokens = std::move(tokens);
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  return v;
}

}  // namespace corral::test
