// Pre-tokenizers of byte-level BPE models: the regex sequences that cut text into words before
// merges, selected by `tokenizer.ggml.pre` (gpt-2, llama-bpe, qwen2, smollm, deepseek-*,
// falcon, mpt, gpt-4o, ...). Regexes run on PCRE2 (UTF + Unicode properties, JIT).
// Depends on util and PCRE2 only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace corral {

struct PreTokenizerPreset {
  std::string_view name;
  std::vector<std::string_view> patterns;  // applied in order, each splitting every fragment
  bool ignore_merges = false;              // a word that is a whole token is taken as is
};

// The preset for a `tokenizer.ggml.pre` name (aliases included), or nullptr.
const PreTokenizerPreset* find_pretokenizer_preset(std::string_view pre);
// Canonical preset names, for listing and tests.
std::vector<std::string_view> pretokenizer_preset_names();

class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  // Compiles the patterns; a pattern PCRE2 rejects gives an error naming it and the offset.
  static Result<PreTokenizer> create(const std::vector<std::string_view>& patterns);
  static Result<PreTokenizer> create(const PreTokenizerPreset& preset);

  // Cuts `text` into words (views into text), matches and the gaps between them alike, as
  // Hugging Face's Split(behavior="isolated") does; each pattern splits the pieces left by the
  // previous one. Concatenating the words gives back `text`. Invalid UTF-8 never matches and is
  // kept in the gaps.
  void split(std::string_view text, std::vector<std::string_view>* words) const;
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  struct Regex;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace corral
