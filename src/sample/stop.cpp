#include "sample/stop.h"

#include <algorithm>

namespace corral::sample {

namespace {

// Bytes at the end of s that start a UTF-8 sequence not yet complete (0 if none).
size_t incomplete_utf8_tail(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

// Length of the longest suffix of s that is a proper prefix of stop.
size_t partial_match(std::string_view s, std::string_view stop) {
  size_t max_len = std::min(s.size(), stop.size() - 1);
  for (size_t len = max_len; len > 0; --len) {
    if (s.substr(s.size() - len) == stop.substr(0, len)) return len;
  }
  return 0;
}

}  // namespace

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty()) continue;
    stops_.push_back(std::move(stops[i]));
    index_.push_back(static_cast<int>(i));
  }
}

StopMatcher::Step StopMatcher::push(std::string_view piece) {
  Step out;
  if (stopped_) {
    out.stopped = true;
    out.stop_index = stop_index_;
    return out;
  }
  pending_.append(piece);
  // The earliest occurrence of any stop string wins; at equal positions the first listed.
  size_t best_pos = std::string::npos;
  int best = -1;
  for (size_t i = 0; i < stops_.size(); ++i) {
    size_t pos = pending_.find(stops_[i]);
    if (pos < best_pos) {
      best_pos = pos;
      best = static_cast<int>(i);
    }
  }
  if (best >= 0) {
    out.text = pending_.substr(0, best_pos);
    out.stopped = true;
    out.stop_index = index_[static_cast<size_t>(best)];
    stopped_ = true;
    stop_index_ = out.stop_index;
    pending_.clear();
    return out;
  }
  size_t hold = incomplete_utf8_tail(pending_);
  for (const std::string& stop : stops_) hold = std::max(hold, partial_match(pending_, stop));
  out.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopMatcher::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace corral::sample
