// The tokenizer section of a converted GGUF, read from an HF model folder: tokenizer.json
// (byte-level BPE: vocab, merges, added tokens, pre-tokenizer -> tokenizer.ggml.pre) or a
// SentencePiece tokenizer.model (pieces, scores, types), plus tokenizer_config.json (special
// tokens, add_bos/add_eos, chat_template), chat_template.jinja, config.json and
// generation_config.json (special ids). Depends on util, formats, tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "util/status.h"

namespace corral::convert {

// GGUF token types.
enum class TokenType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct HfVocab {
  std::string model;  // "gpt2" or "llama"
  std::string pre;    // tokenizer.ggml.pre ("llama-bpe", "qwen2", "default", ...)
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<float> scores;        // SentencePiece only
  std::vector<std::string> merges;  // BPE only, "a b"
  std::optional<int64_t> bos_id, eos_id, unk_id, pad_id;
  std::optional<bool> add_bos, add_eos, add_sep, add_space_prefix;
  std::optional<std::string> chat_template;
  std::vector<std::string> warnings;  // for the user (e.g. an unknown pre-tokenizer)
  int64_t id_limit = int64_t{1} << 24;  // token ids must be below this (config.json's vocab_size)

  // Writes every tokenizer.* key.
  void write(GgufWriter* writer) const;
};

// Reads the tokenizer of `dir`; `vocab_size` (config.json's, 0 = unknown) pads the token list
// with "[PAD<i>]" (type unused). not_found when the folder holds no tokenizer at all.
Result<HfVocab> read_hf_vocab(const std::string& dir, int64_t vocab_size);

}  // namespace corral::convert
