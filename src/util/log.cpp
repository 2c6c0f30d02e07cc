#include "util/log.h"

#include <cstdarg>
#include <ctime>
#include <string>

#include "util/status.h"

namespace corral {

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "?";
}

bool parse_log_level(std::string_view text, LogLevel* out) {
  static constexpr LogLevel kAll[] = {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo,
                                      LogLevel::kDebug, LogLevel::kTrace};
  for (LogLevel l : kAll) {
    if (text == log_level_name(l)) {
      *out = l;
      return true;
    }
  }
  if (text == "1" || text == "true") {
    *out = LogLevel::kDebug;
    return true;
  }
  return false;
}

void Logger::log(LogLevel level, std::string_view module, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string msg(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(msg.data(), msg.size() + 1, fmt, args);
  va_end(args);

  std::string line;
  line.reserve(msg.size() + module.size() + 16);
  line += log_level_name(level);
  line += ' ';
  line += module;
  line += ": ";
  line += msg;
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), sink_);
}

}  // namespace corral
