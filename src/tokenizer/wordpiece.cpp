#include "tokenizer/wordpiece.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace corral {
namespace {

constexpr std::string_view kWordMark = "\xE2\x96\x81";  // U+2581, GGUF's word-start marker

bool is_cjk_ideograph(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_bert_control(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  const unicode::Category c = unicode::category(cp);
  return c == unicode::Category::kCc || c == unicode::Category::kCf ||
         c == unicode::Category::kCn || c == unicode::Category::kCo ||
         c == unicode::Category::kCs;
}

bool is_bert_punctuation(uint32_t cp) {
  const bool ascii_punct = (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) ||
                           (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return ascii_punct || unicode::is_punctuation(cp);
}

bool has_ascii_upper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(Vocabulary vocab) : Tokenizer(std::move(vocab)) {
  strip_leading_space_ = true;
  size_t hash_pieces = 0, word_marks = 0;
  bool any_upper = false;
  for (int32_t id = 0; id < vocab_.size(); ++id) {
    const std::string& t = vocab_.tokens[static_cast<size_t>(id)];
    max_token_bytes_ = std::max(max_token_bytes_, t.size());
    if (vocab_.type(id) != TokenType::kNormal) continue;
    if (t.size() > 2 && t.compare(0, 2, "##") == 0) ++hash_pieces;
    if (t.compare(0, kWordMark.size(), kWordMark) == 0) ++word_marks;
    if (has_ascii_upper(t)) any_upper = true;
  }
  hash_prefix_ = hash_pieces > word_marks;
  // An uncased vocabulary (BERT-uncased, BGE, MiniLM) has no upper-case letters in its pieces.
  lowercase_ = !any_upper;
  begin_token_ = vocab_.add_bos ? (vocab_.cls != kNoToken ? vocab_.cls : vocab_.bos) : kNoToken;
  end_token_ = vocab_.add_eos ? (vocab_.sep != kNoToken ? vocab_.sep : vocab_.eos) : kNoToken;
}

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::create(Vocabulary vocab) {
  return std::unique_ptr<WordPieceTokenizer>(new WordPieceTokenizer(std::move(vocab)));
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(std::string_view text) const {
  // Normalisation as BERT's: drop NUL, U+FFFD and control characters; whitespace separates;
  // uncased: lowercase, decompose (NFD) and drop non-spacing marks.
  std::vector<uint32_t> cps;
  for (uint32_t cp : unicode::to_code_points(text)) {
    if (cp == 0 || cp == unicode::kReplacementChar || is_bert_control(cp)) continue;
    if (!lowercase_) {
      cps.push_back(cp);
      continue;
    }
    std::vector<uint32_t> decomposed;
    unicode::append_nfd(cp, &decomposed);
    for (uint32_t d : decomposed) {
      if (unicode::category(d) != unicode::Category::kMn) cps.push_back(unicode::to_lower(d));
    }
  }
  std::vector<std::string> words(1);
  for (uint32_t cp : cps) {
    if (unicode::is_white_space(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (is_bert_punctuation(cp) || is_cjk_ideograph(cp)) {
      if (!words.back().empty()) words.emplace_back();
      unicode::append_utf8(cp, &words.back());
      words.emplace_back();
      continue;
    }
    unicode::append_utf8(cp, &words.back());
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WordPieceTokenizer::encode_text(std::string_view text, bool /*starts_segment*/,
                                     std::vector<int32_t>* out) const {
  for (const std::string& word : basic_tokenize(text)) encode_word(word, out);
}

void WordPieceTokenizer::encode_word(const std::string& word, std::vector<int32_t>* out) const {
  // HF's WordPiece gives [UNK] for words longer than 100 characters.
  if (unicode::to_code_points(word).size() > 100) {
    if (vocab_.unk != kNoToken) out->push_back(vocab_.unk);
    return;
  }
  const size_t mark = hash_prefix_ ? 0 : kWordMark.size();
  const std::string marked = hash_prefix_ ? word : std::string(kWordMark) + word;
  const size_t old_size = out->size();
  std::string candidate;
  size_t pos = 0;
  while (pos < marked.size()) {
    const bool first = pos == 0;
    size_t end = std::min(marked.size(), pos + max_token_bytes_);
    int32_t found = kNoToken;
    size_t found_end = 0;
    while (end > pos) {
      // Only cut at character boundaries (the word-start marker counts as one character).
      const bool boundary = end == marked.size() || (static_cast<uint8_t>(marked[end]) & 0xC0) != 0x80;
      if (boundary && (!first || end > mark)) {
        if (hash_prefix_ && !first) {
          candidate = "##";
          candidate.append(marked, pos, end - pos);
        } else {
          candidate.assign(marked, pos, end - pos);
        }
        found = find_token(candidate);
        if (found != kNoToken) {
          found_end = end;
          break;
        }
      }
      --end;
    }
    if (found == kNoToken) {
      out->resize(old_size);
      if (vocab_.unk != kNoToken) out->push_back(vocab_.unk);
      return;
    }
    out->push_back(found);
    pos = found_end;
  }
}

void WordPieceTokenizer::append_normal_piece(int32_t id, std::string* out) const {
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  if (hash_prefix_) {
    if (text.compare(0, 2, "##") == 0) {
      out->append(text, 2, std::string::npos);
    } else {
      out->push_back(' ');
      out->append(text);
    }
    return;
  }
  if (text.compare(0, kWordMark.size(), kWordMark) == 0) {
    out->push_back(' ');
    out->append(text, kWordMark.size(), std::string::npos);
  } else {
    out->append(text);
  }
}

}  // namespace corral
