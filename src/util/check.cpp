#include "util/check.h"

#include <cstdarg>

namespace corral::internal {

void check_failed(const char* file, int line, const char* cond, const char* fmt, ...) {
  std::fprintf(stderr, "corral: check failed at %s:%d: %s: ", file, line, cond);
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::abort();
}

void check_failed(const char* file, int line, const char* cond) {
  std::fprintf(stderr, "corral: check failed at %s:%d: %s\n", file, line, cond);
  std::abort();
}

}  // namespace corral::internal
