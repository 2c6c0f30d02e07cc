// Detokenizer: streaming ids -> text for generation. Token pieces are accumulated and only
// complete UTF-8 is handed out, so a character split across byte tokens (emoji, CJK) is held
// until its last byte arrives; ill-formed bytes become U+FFFD. One per sequence; not
// thread-safe. Depends on tokenizer.h only.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace corral {

class Detokenizer {
 public:
  struct Options {
    bool render_special = false;  // control tokens as their text (else nothing)
    // Drop one leading space of the first piece (SentencePiece's space prefix). Default: as
    // the tokenizer's decode() does; turn off when continuing text after a prompt.
    bool strip_leading_space = true;
  };

  explicit Detokenizer(const Tokenizer& tokenizer) : Detokenizer(tokenizer, Options()) {}
  Detokenizer(const Tokenizer& tokenizer, Options options);

  // Adds one token; returns the text that became complete (possibly "").
  std::string push(int32_t id);
  // Returns what is still held (incomplete sequences as U+FFFD) and starts over.
  std::string flush();
  // Bytes held back waiting for the rest of a character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  std::string take_complete(bool final);

  const Tokenizer& tokenizer_;
  Options options_;
  bool at_start_ = true;
  std::string pending_;
};

}  // namespace corral
