// SentencePiece BPE (tokenizer.ggml.model = "llama"): spaces become U+2581 "▁" (with one
// prepended at the start of each segment when add_space_prefix), then adjacent symbols merge
// greedily by the score of the token they form (highest first, leftmost on ties); characters
// no token covers fall back to byte tokens <0xXX>, or the unknown token.
// Depends on util only (through tokenizer.h).
#pragma once

#include <array>
#include <memory>

#include "tokenizer/tokenizer.h"

namespace corral {

class SpmTokenizer final : public Tokenizer {
 public:
  static std::unique_ptr<SpmTokenizer> create(Vocabulary vocab);

  // Texts longer than this are encoded in pieces cut before a space that follows a non-space,
  // which bounds memory (default 16 MiB). Settable for tests.
  void set_chunk_bytes(size_t bytes) { chunk_bytes_ = bytes < 16 ? 16 : bytes; }

 protected:
  void encode_text(std::string_view text, bool starts_segment,
                   std::vector<int32_t>* out) const override;
  void append_normal_piece(int32_t id, std::string* out) const override;

 private:
  explicit SpmTokenizer(Vocabulary vocab);
  void encode_chunk(std::string_view text, bool starts_segment, std::vector<int32_t>* out) const;
  float score(int32_t id) const;
  std::array<int32_t, 256> byte_tokens_{};
  size_t chunk_bytes_ = size_t{1} << 24;  // <0xXX> tokens, kNoToken when absent
};

}  // namespace corral
