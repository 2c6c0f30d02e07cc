// WordPiece (tokenizer.ggml.model = "bert"): BERT's basic tokenization (drop control chars,
// split on whitespace and punctuation, CJK ideographs as single words, and for uncased
// vocabularies lowercasing plus accent stripping), then greedy longest-match-first pieces per
// word. GGUF vocabularies mark word-initial pieces with "▁"; Hugging Face's "##" continuation
// convention is recognised too. A word with no full cover becomes [UNK].
// Depends on util only (through tokenizer.h).
#pragma once

#include <memory>

#include "tokenizer/tokenizer.h"

namespace corral {

class WordPieceTokenizer final : public Tokenizer {
 public:
  static std::unique_ptr<WordPieceTokenizer> create(Vocabulary vocab);

  bool lowercases() const { return lowercase_; }

  // BERT basic tokenization only (exposed for tests): the words, normalised.
  std::vector<std::string> basic_tokenize(std::string_view text) const;

 protected:
  void encode_text(std::string_view text, bool starts_segment,
                   std::vector<int32_t>* out) const override;
  void append_normal_piece(int32_t id, std::string* out) const override;

 private:
  explicit WordPieceTokenizer(Vocabulary vocab);
  void encode_word(const std::string& word, std::vector<int32_t>* out) const;

  bool lowercase_ = true;       // uncased vocabulary: lowercase and strip accents
  bool hash_prefix_ = false;    // continuation pieces are "##piece" (else word starts are "▁piece")
  size_t max_token_bytes_ = 0;
};

}  // namespace corral
