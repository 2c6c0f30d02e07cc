#include "tokenizer/bpe.h"

#include <algorithm>
#include <queue>

#include "tokenizer/unicode.h"
#include "util/log.h"

namespace corral {

BpeTokenizer::BpeTokenizer(Vocabulary vocab) : Tokenizer(std::move(vocab)) {}

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::create(Vocabulary vocab, Logger* logger) {
  std::string pre = vocab.pre;
  if (pre.empty()) {
    if (logger != nullptr) {
      CORRAL_LOG(*logger, kWarn, "tokenizer",
                 "tokenizer.ggml.pre is missing: using the default pre-tokenizer; "
                 "the encoding may be wrong for this model");
    }
    pre = "default";
  }
  const PreTokenizerPreset* preset = find_pretokenizer_preset(pre);
  if (preset == nullptr) {
    return unsupported("tokenizer.ggml.pre '%s' is not a known pre-tokenizer", pre.c_str());
  }
  std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer(std::move(vocab)));
  tok->preset_ = preset;
  CORRAL_ASSIGN_OR_RETURN(tok->pre_, PreTokenizer::create(*preset));
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<uint8_t>(b);
    tok->byte_chars_[byte] = unicode::to_utf8(unicode::byte_to_code_point(byte));
    tok->byte_token_[byte] = tok->find_token(tok->byte_chars_[byte]);
  }
  tok->build_merges();
  return tok;
}

void BpeTokenizer::build_merges() {
  merges_.reserve(vocab_.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& m = vocab_.merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos) {
      ++skipped_merges_;
      continue;
    }
    const std::string_view left(m.data(), space);
    const std::string_view right(m.data() + space + 1, m.size() - space - 1);
    joined.assign(left);
    joined.append(right);
    const int32_t l = find_token(left), r = find_token(right), result = find_token(joined);
    if (l == kNoToken || r == kNoToken || result == kNoToken) {
      ++skipped_merges_;
      continue;
    }
    merges_.emplace(pair_key(l, r), Merge{static_cast<int32_t>(rank), result});  // first rank wins
  }
}

void BpeTokenizer::encode_text(std::string_view text, bool /*starts_segment*/,
                               std::vector<int32_t>* out) const {
  std::vector<std::string_view> words;
  pre_.split(text, &words);
  for (std::string_view word : words) encode_word(word, out);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int32_t>* out) const {
  const bool cacheable = word.size() <= kCacheWordBytes;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (auto it = cache_.find(word); it != cache_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  if (preset_->ignore_merges) {
    std::string mapped;
    for (char c : word) mapped += byte_chars_[static_cast<uint8_t>(c)];
    if (const int32_t id = find_token(mapped); id != kNoToken) ids.push_back(id);
  }
  if (ids.empty()) merge_word(word, &ids);
  out->insert(out->end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_.emplace(std::string(word), std::move(ids));
  }
}

void BpeTokenizer::merge_word(std::string_view word, std::vector<int32_t>* out) const {
  // Symbols in a doubly linked list over the word's bytes; candidate merges in a min-heap of
  // (rank, left position). A popped candidate is stale when either symbol has changed since.
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t left_id;
    int32_t right_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  const auto n = static_cast<int32_t>(word.size());
  std::vector<Symbol> syms(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    syms[static_cast<size_t>(i)] = {byte_token_[static_cast<uint8_t>(word[static_cast<size_t>(i)])],
                                    i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    const Symbol& l = syms[static_cast<size_t>(left)];
    if (l.next < 0 || l.id < 0) return;
    const Symbol& r = syms[static_cast<size_t>(l.next)];
    if (r.id < 0) return;
    auto it = merges_.find(pair_key(l.id, r.id));
    if (it != merges_.end()) heap.push({it->second.rank, left, l.id, r.id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = syms[static_cast<size_t>(c.left)];
    if (l.id != c.left_id || l.next < 0) continue;
    Symbol& r = syms[static_cast<size_t>(l.next)];
    if (r.id != c.right_id) continue;
    l.id = merges_.find(pair_key(c.left_id, c.right_id))->second.result;
    r.id = -2;  // removed
    l.next = r.next;
    if (r.next >= 0) syms[static_cast<size_t>(r.next)].prev = c.left;
    consider(l.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = syms[static_cast<size_t>(i)].next) {
    const int32_t id = syms[static_cast<size_t>(i)].id;
    if (id >= 0) {
      out->push_back(id);
    } else if (vocab_.unk != kNoToken && vocab_.type(vocab_.unk) == TokenType::kUnknown) {
      // A byte whose character is not in the vocabulary (some vocabularies lack the bytes
      // that never occur in UTF-8). Dropped, as llama.cpp does, unless there is a true
      // unknown token: some files name <|endoftext|> as unk, which must not enter a prompt.
      out->push_back(vocab_.unk);
    }
  }
}

void BpeTokenizer::append_normal_piece(int32_t id, std::string* out) const {
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    const size_t n = unicode::decode_utf8(text, pos, &cp);
    if (n == 0) {
      out->push_back(text[pos]);
      pos += 1;
      continue;
    }
    const int byte = unicode::byte_from_code_point(cp);
    if (byte >= 0) {
      out->push_back(static_cast<char>(byte));
    } else {
      out->append(text, pos, n);  // not a byte-level character: keep it as written
    }
    pos += n;
  }
}

}  // namespace corral
