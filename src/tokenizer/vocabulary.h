// Vocabulary: everything a tokenizer needs from a model file's `tokenizer.ggml.*` metadata
// (model kind, pre-tokenizer name, token texts/types/scores, merges, special ids, add_bos/eos
// flags), validated once so the tokenizers can trust it. Built from a GgufFile or in memory.
// Depends on util and formats (the GGUF reader) only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace corral {

class GgufFile;

// Token types as GGUF stores them (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// tokenizer.ggml.model: "gpt2" (byte-level BPE), "llama" (SentencePiece), "bert" (WordPiece).
enum class VocabModel { kBpe, kSpm, kWordPiece };

constexpr int32_t kNoToken = -1;

struct Vocabulary {
  VocabModel model = VocabModel::kBpe;
  std::string pre;  // tokenizer.ggml.pre ("" when absent)
  std::vector<std::string> tokens;
  std::vector<TokenType> types;     // same size as tokens (kNormal when the file has none)
  std::vector<float> scores;        // same size as tokens, or empty
  std::vector<std::string> merges;  // "left right", rank = index (BPE)

  int32_t bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken, unk = kNoToken;
  int32_t sep = kNoToken, pad = kNoToken, cls = kNoToken, mask = kNoToken;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SentencePiece: prepend one space (as ▁) to the text

  int32_t size() const { return static_cast<int32_t>(tokens.size()); }
  bool valid_id(int32_t id) const { return id >= 0 && id < size(); }
  TokenType type(int32_t id) const { return types[static_cast<size_t>(id)]; }

  // Checks internal consistency (sizes, id ranges, types); the error names the GGUF key.
  Status validate() const;

  // Reads and validates `tokenizer.ggml.*`. Defaults follow the model kind when a flag is absent
  // (SentencePiece: add_bos and add_space_prefix on; BPE: add_bos only for the llama-bpe
  // pre-tokenizer family; WordPiece: [CLS] ... [SEP]).
  static Result<Vocabulary> from_gguf(const GgufFile& file);
};

std::string_view vocab_model_name(VocabModel model);

}  // namespace corral
