#include "tokenizer/detokenizer.h"

#include "tokenizer/unicode.h"

namespace corral {

Detokenizer::Detokenizer(const Tokenizer& tokenizer, Options options)
    : tokenizer_(tokenizer), options_(options) {
  options_.strip_leading_space = options.strip_leading_space && tokenizer.strips_leading_space();
}

std::string Detokenizer::push(int32_t id) {
  std::string piece = tokenizer_.token_piece(id, options_.render_special);
  if (piece.empty()) return {};
  if (at_start_ && options_.strip_leading_space && piece[0] == ' ') piece.erase(0, 1);
  at_start_ = false;
  pending_ += piece;
  return take_complete(false);
}

std::string Detokenizer::flush() {
  std::string out = take_complete(true);
  pending_.clear();
  at_start_ = true;
  return out;
}

std::string Detokenizer::take_complete(bool final) {
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    uint32_t cp = 0;
    bool incomplete = false;
    const size_t n = unicode::decode_utf8_prefix(pending_, pos, &cp, &incomplete);
    if (n > 0) {
      out.append(pending_, pos, n);
      pos += n;
    } else if (incomplete && !final) {
      break;  // the rest of this character may come with the next token
    } else {
      unicode::append_utf8(unicode::kReplacementChar, &out);
      pos += unicode::invalid_utf8_length(pending_, pos);
    }
  }
  pending_.erase(0, pos);
  return out;
}

}  // namespace corral
