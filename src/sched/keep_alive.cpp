#include "sched/keep_alive.h"

#include <cmath>
#include <string>

namespace corral::sched {
namespace {

constexpr double kNsPerSecond = 1e9;
// Durations beyond ~292 years do not fit int64 nanoseconds; they mean "forever" for our purposes.
constexpr double kMaxNs = 9.2e18;

Result<KeepAlive> from_seconds(double seconds, std::string_view text) {
  if (!std::isfinite(seconds)) return invalid_argument("keep_alive: '%.*s' is not a duration", (int)text.size(), text.data());
  double ns = seconds * kNsPerSecond;
  KeepAlive k;
  if (ns >= kMaxNs) {
    k.duration = std::chrono::nanoseconds(-1);  // effectively forever
  } else if (ns <= -kMaxNs) {
    k.duration = std::chrono::nanoseconds(-1);
  } else {
    k.duration = std::chrono::nanoseconds(static_cast<int64_t>(ns));
  }
  return k;
}

double unit_seconds(std::string_view unit) {
  if (unit == "ns") return 1e-9;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1e-6;
  if (unit == "ms") return 1e-3;
  if (unit == "s") return 1;
  if (unit == "m") return 60;
  if (unit == "h") return 3600;
  return 0;
}

}  // namespace

Result<KeepAlive> parse_keep_alive(std::string_view text) {
  auto bad = [&]() {
    return invalid_argument("keep_alive: '%.*s' is not a duration (e.g. \"5m\", \"1h\", \"-1\", or seconds)",
                            (int)text.size(), text.data());
  };
  if (text.empty() || text.size() > 64) return bad();
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  if (i == text.size()) return bad();
  const size_t body = i;
  double total = 0;
  bool any_unit = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return bad();
    std::string number(text.substr(start, i - start));
    if (number == "." || number.find('.') != number.rfind('.')) return bad();
    double value = std::strtod(number.c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // A bare number is seconds, but only as the whole value ("30", not "1m30").
      if (any_unit || start != body || i != text.size()) return bad();
      return from_seconds(negative ? -value : value, text);
    }
    double scale = unit_seconds(unit);
    if (scale == 0) return bad();
    total += value * scale;
    any_unit = true;
  }
  return from_seconds(negative ? -total : total, text);
}

Result<KeepAlive> parse_keep_alive(const nlohmann::json& value) {
  if (value.is_string()) return parse_keep_alive(std::string_view(value.get_ref<const std::string&>()));
  if (value.is_number()) {
    double seconds = value.get<double>();
    return from_seconds(seconds, "number");
  }
  return invalid_argument("keep_alive: expected a duration string or a number of seconds, got %s",
                          value.type_name());
}

}  // namespace corral::sched
