// StopMatcher: applies stop sequences to the detokenized text stream. Text that could still
// become the start of a stop string (across token boundaries) is held back and released once
// it no longer can; output is cut exactly where the first stop string begins (the stop string
// is not emitted). A trailing incomplete UTF-8 sequence is held back too, so emitted text never
// ends inside a character. Depends only on the standard library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corral::sample {

class StopMatcher {
 public:
  // Empty stop strings are ignored.
  explicit StopMatcher(std::vector<std::string> stops);

  struct Step {
    std::string text;     // safe to emit now
    bool stopped = false; // a stop string was found; `text` ends right before it
    int stop_index = -1;  // which stop string (index into the constructor's list)
  };

  // Appends a piece of generated text. After a stop, every call returns an empty Step with
  // stopped = true.
  Step push(std::string_view piece);

  // End of generation without a stop: returns everything still held back.
  std::string flush();

  bool stopped() const { return stopped_; }
  size_t held_bytes() const { return pending_.size(); }

 private:
  std::vector<std::string> stops_;
  std::vector<int> index_;  // original index of each kept stop string
  std::string pending_;
  bool stopped_ = false;
  int stop_index_ = -1;
};

}  // namespace corral::sample
