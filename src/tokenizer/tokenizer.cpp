#include "tokenizer/tokenizer.h"

#include "formats/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/sentencepiece.h"
#include "tokenizer/wordpiece.h"

namespace corral {
namespace {

// Token texts that end generation whatever their ids (chat turn ends, end-of-text markers).
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>",    "<|im_end|>",    "<|end|>",    "<|return|>",      "<|call|>",
    "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",           "_<EOT>",
    "<|end_of_text|>", "<end_of_utterance>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
};

// "<0xAB>" -> 0xAB, or -1.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = text[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

}  // namespace

Tokenizer::Tokenizer(Vocabulary vocab) : vocab_(std::move(vocab)) {
  token_to_id_.reserve(vocab_.tokens.size());
  for (int32_t id = 0; id < vocab_.size(); ++id) {
    token_to_id_.emplace(vocab_.tokens[static_cast<size_t>(id)], id);  // first id wins
  }
  eog_.assign(vocab_.tokens.size(), 0);
  for (int32_t id : {vocab_.eos, vocab_.eot, vocab_.eom}) {
    if (vocab_.valid_id(id)) eog_[static_cast<size_t>(id)] = 1;
  }
  for (std::string_view text : kEogTexts) {
    if (auto it = token_to_id_.find(text); it != token_to_id_.end()) {
      eog_[static_cast<size_t>(it->second)] = 1;
    }
  }
  for (int32_t id = 0; id < vocab_.size(); ++id) {
    const TokenType type = vocab_.type(id);
    const std::string_view text = vocab_.tokens[static_cast<size_t>(id)];
    if (type == TokenType::kUserDefined) {
      always_matched_.add(id, text);
      special_matched_.add(id, text);
    } else if (type == TokenType::kControl || type == TokenType::kUnknown) {
      special_matched_.add(id, text);
    }
  }
  always_matched_.finish();
  special_matched_.finish();
  begin_token_ = vocab_.add_bos ? vocab_.bos : kNoToken;
  end_token_ = vocab_.add_eos ? vocab_.eos : kNoToken;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && begin_token_ != kNoToken) out.push_back(begin_token_);
  std::vector<TextFragment> fragments;
  const SpecialTokenMatcher& matcher = parse_special ? special_matched_ : always_matched_;
  if (matcher.empty()) {
    if (!text.empty()) fragments.push_back({-1, text});
  } else {
    matcher.partition(text, &fragments);
  }
  bool starts_segment = true;
  for (const TextFragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      starts_segment = true;
    } else {
      encode_text(f.text, starts_segment, &out);
      starts_segment = false;
    }
  }
  if (add_special && end_token_ != kNoToken) out.push_back(end_token_);
  return out;
}

std::string Tokenizer::token_piece(int32_t id, bool render_special) const {
  std::string out;
  if (!vocab_.valid_id(id)) return out;
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  switch (vocab_.type(id)) {
    case TokenType::kControl:
      if (render_special) out = text;
      break;
    case TokenType::kUserDefined:
    case TokenType::kUnknown:
      out = text;
      break;
    case TokenType::kByte: {
      const int byte = parse_byte_token(text);
      if (byte >= 0) {
        out.push_back(static_cast<char>(byte));
      } else {
        append_normal_piece(id, &out);
      }
      break;
    }
    default:
      append_normal_piece(id, &out);
      break;
  }
  return out;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  bool strip = strip_leading_space_;
  for (int32_t id : ids) {
    std::string piece = token_piece(id, render_special);
    if (piece.empty()) continue;
    if (strip && piece[0] == ' ') piece.erase(0, 1);
    strip = false;
    out += piece;
  }
  return out;
}

std::string_view Tokenizer::token_text(int32_t id) const {
  return vocab_.valid_id(id) ? std::string_view(vocab_.tokens[static_cast<size_t>(id)]) : "";
}

int32_t Tokenizer::find_token(std::string_view text) const {
  auto it = token_to_id_.find(text);
  return it == token_to_id_.end() ? kNoToken : it->second;
}

bool Tokenizer::is_eog(int32_t id) const {
  return vocab_.valid_id(id) && eog_[static_cast<size_t>(id)] != 0;
}

bool Tokenizer::is_control(int32_t id) const {
  if (!vocab_.valid_id(id)) return false;
  const TokenType t = vocab_.type(id);
  return t == TokenType::kControl || t == TokenType::kUnknown;
}

Result<std::unique_ptr<Tokenizer>> make_tokenizer(Vocabulary vocab, Logger* logger) {
  CORRAL_TRY(vocab.validate());
  switch (vocab.model) {
    case VocabModel::kBpe: {
      CORRAL_ASSIGN_OR_RETURN(auto tok, BpeTokenizer::create(std::move(vocab), logger));
      return std::unique_ptr<Tokenizer>(std::move(tok));
    }
    case VocabModel::kSpm:
      return std::unique_ptr<Tokenizer>(SpmTokenizer::create(std::move(vocab)));
    case VocabModel::kWordPiece:
      return std::unique_ptr<Tokenizer>(WordPieceTokenizer::create(std::move(vocab)));
  }
  return internal_error("unknown vocabulary model");
}

Result<std::unique_ptr<Tokenizer>> make_tokenizer(const GgufFile& file, Logger* logger) {
  CORRAL_ASSIGN_OR_RETURN(Vocabulary vocab, Vocabulary::from_gguf(file));
  return make_tokenizer(std::move(vocab), logger);
}

}  // namespace corral
