#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace corral {

void SpecialTokenMatcher::add(int32_t id, std::string_view text) {
  if (text.empty()) return;
  by_first_byte_[static_cast<uint8_t>(text[0])].push_back({text, id});
  ++count_;
}

void SpecialTokenMatcher::finish() {
  for (auto& bucket : by_first_byte_) {
    // Longest first; equal lengths keep the lower id first (stable over insertion order).
    std::stable_sort(bucket.begin(), bucket.end(), [](const Entry& a, const Entry& b) {
      return a.text.size() > b.text.size();
    });
  }
}

void SpecialTokenMatcher::partition(std::string_view text, std::vector<TextFragment>* out) const {
  size_t raw_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto& bucket = by_first_byte_[static_cast<uint8_t>(text[pos])];
    const Entry* found = nullptr;
    for (const Entry& e : bucket) {
      if (text.size() - pos >= e.text.size() && text.compare(pos, e.text.size(), e.text) == 0) {
        found = &e;
        break;
      }
    }
    if (found == nullptr) {
      ++pos;
      continue;
    }
    if (pos > raw_begin) out->push_back({-1, text.substr(raw_begin, pos - raw_begin)});
    out->push_back({found->id, text.substr(pos, found->text.size())});
    pos += found->text.size();
    raw_begin = pos;
  }
  if (raw_begin < text.size()) out->push_back({-1, text.substr(raw_begin)});
}

}  // namespace corral
