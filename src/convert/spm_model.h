// Reader for SentencePiece's tokenizer.model (a protobuf ModelProto): the pieces with their
// scores and types, the trainer's model type and special ids, and the normalizer's
// add_dummy_prefix. A small wire-format parser; unknown fields are skipped, every length is
// checked against the input. Depends on util only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/status.h"

namespace corral::convert {

// Piece types as sentencepiece numbers them (the same numbers as GGUF token types).
enum class SpmPieceType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct SpmPiece {
  std::string piece;
  float score = 0.0f;
  SpmPieceType type = SpmPieceType::kNormal;
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  int32_t model_type = 1;  // trainer_spec.model_type: 1 unigram, 2 bpe, 3 word, 4 char
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  bool add_dummy_prefix = true;
  bool byte_fallback = false;
};

// corrupt("tokenizer.model: ...") naming the field and byte offset on malformed input.
Result<SpmModel> parse_spm_model(std::span<const std::byte> bytes);

}  // namespace corral::convert
