// Tokenizer: text <-> token ids for a model, built from GGUF metadata (make_tokenizer). One
// interface over byte-level BPE (bpe.h), SentencePiece (sentencepiece.h) and WordPiece
// (wordpiece.h); special/control tokens, BOS/EOS and end-of-generation are handled here.
// Immutable after construction and safe to share between threads. Depends on util and formats.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/special_tokens.h"
#include "tokenizer/vocabulary.h"
#include "util/status.h"

namespace corral {

class GgufFile;
class Logger;

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Text to ids. add_special: add BOS/EOS (WordPiece: [CLS]/[SEP]) as the vocabulary asks.
  // parse_special: text spelling a control token (e.g. "<|im_start|>") becomes that token;
  // user-defined tokens are always matched, as llama.cpp does. Never fails: bytes that no token
  // covers become byte tokens or the unknown token.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // Ids to text (raw bytes, not checked for UTF-8). Control tokens render as nothing unless
  // render_special; ids outside the vocabulary are skipped. SentencePiece/WordPiece drop the
  // space their word prefix stands for at the very start.
  std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

  // The bytes token `id` stands for in decoded text (byte tokens give one raw byte, maybe a
  // piece of a multi-byte character; a leading space is kept). "" for an id out of range.
  std::string token_piece(int32_t id, bool render_special = false) const;
  // The token's text as stored in the vocabulary ("" for an id out of range).
  std::string_view token_text(int32_t id) const;
  int32_t find_token(std::string_view text) const;  // kNoToken when absent

  bool is_eog(int32_t id) const;      // end of generation: eos, eot, eom, <|im_end|>, ...
  bool is_control(int32_t id) const;  // control (or unknown) token
  int32_t bos() const { return vocab_.bos; }
  int32_t eos() const { return vocab_.eos; }
  int32_t vocab_size() const { return vocab_.size(); }
  const Vocabulary& vocab() const { return vocab_; }
  VocabModel model() const { return vocab_.model; }
  // Whether decoding drops one leading space of the first piece.
  bool strips_leading_space() const { return strip_leading_space_; }

 protected:
  explicit Tokenizer(Vocabulary vocab);

  // Encodes text that holds no special tokens. `starts_segment`: the text opens the input or
  // follows a special token (SentencePiece adds its space prefix there).
  virtual void encode_text(std::string_view text, bool starts_segment,
                           std::vector<int32_t>* out) const = 0;
  // Appends the decoded bytes of a normal token.
  virtual void append_normal_piece(int32_t id, std::string* out) const = 0;

  Vocabulary vocab_;
  std::unordered_map<std::string_view, int32_t> token_to_id_;  // views into vocab_.tokens
  bool strip_leading_space_ = false;
  int32_t begin_token_ = kNoToken;  // added at the start by add_special
  int32_t end_token_ = kNoToken;    // added at the end by add_special

 private:
  SpecialTokenMatcher always_matched_;   // user-defined tokens
  SpecialTokenMatcher special_matched_;  // + control and unknown tokens (parse_special)
  std::vector<uint8_t> eog_;
};

// Builds the tokenizer `tokenizer.ggml.model` names. Unknown model kinds and unknown
// `tokenizer.ggml.pre` names are errors naming them; a missing pre uses the default
// pre-tokenizer with a warning on `logger` (when given), as llama.cpp does.
Result<std::unique_ptr<Tokenizer>> make_tokenizer(const GgufFile& file, Logger* logger = nullptr);
Result<std::unique_ptr<Tokenizer>> make_tokenizer(Vocabulary vocab, Logger* logger = nullptr);

}  // namespace corral
