// Vocabulary::from_gguf: reading `tokenizer.ggml.*` with type checks that name the key.
#include <cmath>
#include <limits>

#include "formats/gguf.h"
#include "tokenizer/vocabulary.h"

namespace corral {
namespace {

bool is_integer_type(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kU16: case GgufType::kI16:
    case GgufType::kU32: case GgufType::kI32: case GgufType::kU64: case GgufType::kI64:
      return true;
    default:
      return false;
  }
}

// Reads an optional token id. Absent keeps *id; negative values (some writers store -1) mean
// "no such token".
Status read_id(const GgufFile& file, const char* key, int32_t* id) {
  const GgufValue* v = file.find(key);
  if (v == nullptr) return ok_status();
  if (!is_integer_type(v->type())) {
    return corrupt("%s has type %s, expected an integer", key,
                   std::string(gguf_type_name(v->type())).c_str());
  }
  const std::optional<int64_t> value = v->as_int();
  if (!value.has_value() || *value > std::numeric_limits<int32_t>::max()) {
    return corrupt("%s is too large for a token id", key);
  }
  *id = *value < 0 ? kNoToken : static_cast<int32_t>(*value);
  return ok_status();
}

Status read_bool(const GgufFile& file, const char* key, bool* out, bool* present) {
  const GgufValue* v = file.find(key);
  if (present != nullptr) *present = v != nullptr;
  if (v == nullptr) return ok_status();
  const std::optional<bool> b = v->as_bool();
  if (v->type() != GgufType::kBool || !b.has_value()) {
    return corrupt("%s has type %s, expected bool", key,
                   std::string(gguf_type_name(v->type())).c_str());
  }
  *out = *b;
  return ok_status();
}

Result<const GgufArray*> read_array(const GgufFile& file, const char* key, bool required) {
  const GgufValue* v = file.find(key);
  if (v == nullptr) {
    if (required) return not_found("%s is missing", key);
    return static_cast<const GgufArray*>(nullptr);
  }
  const GgufArray* a = v->as_array();
  if (a == nullptr) {
    return corrupt("%s has type %s, expected an array", key,
                   std::string(gguf_type_name(v->type())).c_str());
  }
  return a;
}

Status wrong_element(const char* key, const GgufArray& a, const char* expected) {
  return corrupt("%s is an array of %s, expected %s", key,
                 std::string(gguf_type_name(a.element_type)).c_str(), expected);
}

bool is_llama3_family(std::string_view pre) {
  return pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3" || pre == "falcon3" ||
         pre == "pixtral" || pre == "tekken";
}

}  // namespace

Result<Vocabulary> Vocabulary::from_gguf(const GgufFile& file) {
  Vocabulary vocab;
  const GgufValue* model_value = file.find("tokenizer.ggml.model");
  if (model_value == nullptr) return not_found("tokenizer.ggml.model is missing (no tokenizer)");
  const std::string* model = model_value->as_string();
  if (model == nullptr) return corrupt("tokenizer.ggml.model is not a string");
  if (*model == "gpt2") {
    vocab.model = VocabModel::kBpe;
  } else if (*model == "llama") {
    vocab.model = VocabModel::kSpm;
  } else if (*model == "bert") {
    vocab.model = VocabModel::kWordPiece;
  } else {
    return unsupported("tokenizer.ggml.model '%s' is not supported (gpt2, llama, bert are)",
                       model->c_str());
  }
  if (const GgufValue* pre = file.find("tokenizer.ggml.pre"); pre != nullptr) {
    if (pre->as_string() == nullptr) return corrupt("tokenizer.ggml.pre is not a string");
    vocab.pre = *pre->as_string();
  }

  CORRAL_ASSIGN_OR_RETURN(const GgufArray* tokens, read_array(file, "tokenizer.ggml.tokens", true));
  if (tokens->element_type != GgufType::kString) {
    return wrong_element("tokenizer.ggml.tokens", *tokens, "string");
  }
  vocab.tokens = tokens->strings;

  CORRAL_ASSIGN_OR_RETURN(const GgufArray* types, read_array(file, "tokenizer.ggml.token_type", false));
  if (types != nullptr) {
    if (!is_integer_type(types->element_type)) {
      return wrong_element("tokenizer.ggml.token_type", *types, "integers");
    }
    if (types->ints.size() != vocab.tokens.size()) {
      return corrupt("tokenizer.ggml.token_type has %zu entries but tokenizer.ggml.tokens has %zu",
                     types->ints.size(), vocab.tokens.size());
    }
    vocab.types.reserve(types->ints.size());
    for (size_t i = 0; i < types->ints.size(); ++i) {
      const int64_t t = types->ints[i];
      if (t < 0 || t > static_cast<int64_t>(TokenType::kByte)) {
        return corrupt("tokenizer.ggml.token_type[%zu] = %lld is not a known token type (0..6)", i,
                       static_cast<long long>(t));
      }
      vocab.types.push_back(static_cast<TokenType>(t));
    }
  } else {
    vocab.types.assign(vocab.tokens.size(), TokenType::kNormal);
  }

  CORRAL_ASSIGN_OR_RETURN(const GgufArray* scores, read_array(file, "tokenizer.ggml.scores", false));
  if (scores != nullptr) {
    if (scores->element_type != GgufType::kF32 && scores->element_type != GgufType::kF64) {
      return wrong_element("tokenizer.ggml.scores", *scores, "floats");
    }
    vocab.scores.reserve(scores->floats.size());
    for (size_t i = 0; i < scores->floats.size(); ++i) {
      const double s = scores->floats[i];
      if (std::isnan(s)) return corrupt("tokenizer.ggml.scores[%zu] is NaN", i);
      vocab.scores.push_back(static_cast<float>(s));
    }
  }

  CORRAL_ASSIGN_OR_RETURN(const GgufArray* merges, read_array(file, "tokenizer.ggml.merges", false));
  if (merges != nullptr) {
    if (merges->element_type != GgufType::kString) {
      return wrong_element("tokenizer.ggml.merges", *merges, "string");
    }
    vocab.merges = merges->strings;
  }

  // Defaults by model kind, then the file's values.
  bool explicit_bos = false, explicit_eos = false;
  if (vocab.model == VocabModel::kSpm) {
    // SentencePiece's conventional ids, used when the file names none and they exist.
    const auto default_id = [&](const char* key, int32_t id) {
      return file.find(key) == nullptr && id < static_cast<int32_t>(vocab.tokens.size()) ? id : kNoToken;
    };
    vocab.bos = default_id("tokenizer.ggml.bos_token_id", 1);
    vocab.eos = default_id("tokenizer.ggml.eos_token_id", 2);
    vocab.unk = default_id("tokenizer.ggml.unknown_token_id", 0);
    vocab.add_bos = true;
    vocab.add_space_prefix = true;
  } else if (vocab.model == VocabModel::kBpe) {
    vocab.add_bos = is_llama3_family(vocab.pre);
  } else {
    vocab.add_bos = true;
    vocab.add_eos = true;
  }
  CORRAL_TRY(read_id(file, "tokenizer.ggml.bos_token_id", &vocab.bos));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.eos_token_id", &vocab.eos));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.eot_token_id", &vocab.eot));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.eom_token_id", &vocab.eom));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.unknown_token_id", &vocab.unk));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.seperator_token_id", &vocab.sep));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.separator_token_id", &vocab.sep));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.padding_token_id", &vocab.pad));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.cls_token_id", &vocab.cls));
  CORRAL_TRY(read_id(file, "tokenizer.ggml.mask_token_id", &vocab.mask));
  CORRAL_TRY(read_bool(file, "tokenizer.ggml.add_bos_token", &vocab.add_bos, &explicit_bos));
  CORRAL_TRY(read_bool(file, "tokenizer.ggml.add_eos_token", &vocab.add_eos, &explicit_eos));
  CORRAL_TRY(read_bool(file, "tokenizer.ggml.add_space_prefix", &vocab.add_space_prefix, nullptr));

  // A default flag without its token is dropped; an explicit one is an error (in validate()).
  if (!explicit_bos && vocab.bos == kNoToken && vocab.cls == kNoToken) vocab.add_bos = false;
  if (!explicit_eos && vocab.eos == kNoToken && vocab.sep == kNoToken) vocab.add_eos = false;
  CORRAL_TRY(vocab.validate());
  return vocab;
}

}  // namespace corral
