#include "tokenizer/sentencepiece.h"

#include <cstdio>
#include <queue>

#include "tokenizer/unicode.h"

namespace corral {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

}  // namespace

SpmTokenizer::SpmTokenizer(Vocabulary vocab) : Tokenizer(std::move(vocab)) {
  strip_leading_space_ = vocab_.add_space_prefix;
  char name[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byte_tokens_[static_cast<size_t>(b)] = find_token(name);
  }
}

std::unique_ptr<SpmTokenizer> SpmTokenizer::create(Vocabulary vocab) {
  return std::unique_ptr<SpmTokenizer>(new SpmTokenizer(std::move(vocab)));
}

float SpmTokenizer::score(int32_t id) const {
  return vocab_.scores.empty() ? 0.0f : vocab_.scores[static_cast<size_t>(id)];
}

void SpmTokenizer::encode_text(std::string_view text, bool starts_segment,
                               std::vector<int32_t>* out) const {
  // SentencePiece has no pre-tokenizer, so the merge state grows with the text: very long
  // texts are cut before a space that follows a non-space (pieces do not span such a point).
  const size_t chunk = chunk_bytes_;
  while (text.size() > chunk) {
    size_t cut = text.rfind(' ', chunk);
    while (cut != std::string_view::npos && cut > 0 && text[cut - 1] == ' ') cut = text.rfind(' ', cut - 1);
    if (cut == std::string_view::npos || cut == 0) {
      cut = chunk;  // no space: cut at a character boundary
      while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
      if (cut == 0) cut = chunk;
    }
    encode_chunk(text.substr(0, cut), starts_segment, out);
    text.remove_prefix(cut);
    starts_segment = false;
  }
  encode_chunk(text, starts_segment, out);
}

void SpmTokenizer::encode_chunk(std::string_view text, bool starts_segment,
                                std::vector<int32_t>* out) const {
  std::string escaped;
  escaped.reserve(text.size() + 8);
  if (vocab_.add_space_prefix && starts_segment) escaped += kSpaceMark;
  for (char c : text) {
    if (c == ' ') {
      escaped += kSpaceMark;
    } else {
      escaped.push_back(c);
    }
  }
  if (escaped.empty()) return;

  // Symbols are byte ranges of `escaped` in a linked list; a merge joins two neighbours.
  struct Symbol {
    uint32_t begin;
    uint32_t length;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    float score;
    int32_t left;
    int32_t right;
    uint32_t length;  // combined length when queued: a mismatch means the candidate is stale
    bool operator<(const Candidate& o) const {  // priority: higher score, then leftmost
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::vector<Symbol> syms;
  for (size_t pos = 0; pos < escaped.size();) {
    const size_t n = unicode::char_length_at(escaped, pos);
    const auto index = static_cast<int32_t>(syms.size());
    syms.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(n), index - 1, index + 1});
    pos += n;
  }
  syms.back().next = -1;

  std::priority_queue<Candidate> heap;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms[static_cast<size_t>(left)];
    const Symbol& r = syms[static_cast<size_t>(right)];
    const std::string_view joined(escaped.data() + l.begin, l.length + r.length);
    const int32_t id = find_token(joined);
    if (id == kNoToken) return;
    heap.push({score(id), left, right, l.length + r.length});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) consider(i, i + 1);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = syms[static_cast<size_t>(c.left)];
    Symbol& r = syms[static_cast<size_t>(c.right)];
    if (l.length == 0 || r.length == 0 || l.length + r.length != c.length || l.next != c.right) {
      continue;
    }
    l.length += r.length;
    r.length = 0;
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }

  for (int32_t i = 0; i >= 0; i = syms[static_cast<size_t>(i)].next) {
    const Symbol& s = syms[static_cast<size_t>(i)];
    const std::string_view piece(escaped.data() + s.begin, s.length);
    const int32_t id = find_token(piece);
    if (id != kNoToken) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {  // byte fallback
      const int32_t byte_id = byte_tokens_[static_cast<uint8_t>(c)];
      if (byte_id != kNoToken) {
        out->push_back(byte_id);
      } else if (vocab_.unk != kNoToken) {
        out->push_back(vocab_.unk);
        break;  // one unknown token for the whole character
      }
    }
  }
}

void SpmTokenizer::append_normal_piece(int32_t id, std::string* out) const {
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
      out->push_back(' ');
      pos += kSpaceMark.size();
    } else {
      out->push_back(text[pos]);
      ++pos;
    }
  }
}

}  // namespace corral
