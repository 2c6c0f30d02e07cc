// keep_alive: how long a model stays loaded after a request, as Ollama reads it — a Go duration
// string ("5m", "1h30m", "300ms", "-1m") or a JSON number of seconds. Zero unloads right after
// the request; a negative value keeps the model loaded forever.
// Depends only on util (and nlohmann::json for the request value).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>

#include "util/status.h"

namespace corral::sched {

struct KeepAlive {
  std::chrono::nanoseconds duration{std::chrono::minutes(5)};
  bool forever() const { return duration.count() < 0; }
};

// Parses a Go duration string ("10m", "1h2m3.5s", "0", "-1"); a bare number means seconds.
// invalid_argument naming the text on anything else.
Result<KeepAlive> parse_keep_alive(std::string_view text);
// A request's "keep_alive" value: a string as above or a number of seconds.
Result<KeepAlive> parse_keep_alive(const nlohmann::json& value);

}  // namespace corral::sched
