// Finding special tokens (control, user-defined) spelled out in text, longest match first, and
// cutting the text into raw-text and special-token fragments. Depends on the standard library.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral {

struct TextFragment {
  int32_t token = -1;  // the special token, or -1 for raw text
  std::string_view text;
};

class SpecialTokenMatcher {
 public:
  void add(int32_t id, std::string_view text);  // empty texts are ignored
  void finish();                                // call once after the last add()
  bool empty() const { return count_ == 0; }

  // Cuts `text` into fragments, scanning left to right and taking at each position the longest
  // token that starts there.
  void partition(std::string_view text, std::vector<TextFragment>* out) const;

 private:
  struct Entry {
    std::string_view text;
    int32_t id;
  };
  std::array<std::vector<Entry>, 256> by_first_byte_;  // each sorted longest first
  size_t count_ = 0;
};

}  // namespace corral
