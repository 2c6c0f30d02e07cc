// Test helper: writes a tiny random-weight llama GGUF (2 layers, hidden 32) that carries a real
// tokenizer — the GPT-2 vocabulary of ../shared/testdata — so a Runner can load it end to end.
#pragma once

#include <string>

#include "util/status.h"

namespace corral::testing {

struct TinyModelOptions {
  std::string chat_template;  // tokenizer.chat_template ("" = none)
  int context_length = 512;
  unsigned seed = 7;
};

// Writes the model to `path` (overwritten).
Status write_tiny_model(const std::string& path, const TinyModelOptions& options = {});

// A path under the test's temporary directory, the model written once per process.
const std::string& tiny_model_path();

std::string gpt2_vocab_path();

}  // namespace corral::testing
