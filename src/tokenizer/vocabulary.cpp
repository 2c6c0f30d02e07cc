#include "tokenizer/vocabulary.h"

#include <limits>

namespace corral {

std::string_view vocab_model_name(VocabModel model) {
  switch (model) {
    case VocabModel::kBpe: return "gpt2";
    case VocabModel::kSpm: return "llama";
    case VocabModel::kWordPiece: return "bert";
  }
  return "?";
}

Status Vocabulary::validate() const {
  if (tokens.empty()) return corrupt("tokenizer.ggml.tokens: the vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return corrupt("tokenizer.ggml.tokens: %zu tokens is more than token ids can address",
                   tokens.size());
  }
  if (types.size() != tokens.size()) {
    return corrupt("tokenizer.ggml.token_type has %zu entries but tokenizer.ggml.tokens has %zu",
                   types.size(), tokens.size());
  }
  if (!scores.empty() && scores.size() != tokens.size()) {
    return corrupt("tokenizer.ggml.scores has %zu entries but tokenizer.ggml.tokens has %zu",
                   scores.size(), tokens.size());
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const auto t = static_cast<int32_t>(types[i]);
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return corrupt("tokenizer.ggml.token_type[%zu] = %d is not a known token type (0..6)", i, t);
    }
  }
  struct Special {
    const char* key;
    int32_t id;
  };
  const Special specials[] = {
      {"tokenizer.ggml.bos_token_id", bos},       {"tokenizer.ggml.eos_token_id", eos},
      {"tokenizer.ggml.eot_token_id", eot},       {"tokenizer.ggml.eom_token_id", eom},
      {"tokenizer.ggml.unknown_token_id", unk},   {"tokenizer.ggml.seperator_token_id", sep},
      {"tokenizer.ggml.padding_token_id", pad},   {"tokenizer.ggml.cls_token_id", cls},
      {"tokenizer.ggml.mask_token_id", mask},
  };
  for (const Special& s : specials) {
    if (s.id != kNoToken && !valid_id(s.id)) {
      return corrupt("%s = %d is out of range (the vocabulary has %d tokens)", s.key, s.id, size());
    }
  }
  if (add_bos && bos == kNoToken && !(model == VocabModel::kWordPiece && cls != kNoToken)) {
    return corrupt("tokenizer.ggml.add_bos_token is set but there is no tokenizer.ggml.bos_token_id");
  }
  if (add_eos && eos == kNoToken && !(model == VocabModel::kWordPiece && sep != kNoToken)) {
    return corrupt("tokenizer.ggml.add_eos_token is set but there is no tokenizer.ggml.eos_token_id");
  }
  return ok_status();
}

}  // namespace corral
