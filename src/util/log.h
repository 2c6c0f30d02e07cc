// Leveled, structured logging: one line per event, `level module: message key=value ...`.
// A Logger is owned by the Runtime and passed down; there is no global logger.
// Thread-safe: each line is written with a single fwrite under a mutex.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace corral {

enum class LogLevel { kError = 0, kWarn, kInfo, kDebug, kTrace };

std::string_view log_level_name(LogLevel level);
// Parses "error", "warn", "info", "debug", "trace" (or "1" meaning debug).
bool parse_log_level(std::string_view text, LogLevel* out);

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kWarn, FILE* sink = stderr) : level_(level), sink_(sink) {}
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(LogLevel level) const { return level <= level_; }
  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }

  void log(LogLevel level, std::string_view module, const char* fmt, ...)
      __attribute__((format(printf, 4, 5)));

 private:
  LogLevel level_;
  FILE* sink_;
  std::mutex mu_;
};

}  // namespace corral

#define CORRAL_LOG(logger, lvl, module, ...)                                 \
  do {                                                                       \
    if ((logger).enabled(::corral::LogLevel::lvl)) {                         \
      (logger).log(::corral::LogLevel::lvl, module, __VA_ARGS__);            \
    }                                                                        \
  } while (0)
