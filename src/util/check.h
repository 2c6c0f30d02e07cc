// CORRAL_CHECK: aborts with file:line and a message on a broken invariant (a bug, never bad
// user input — that is a Status). CORRAL_DCHECK is compiled out of release builds.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace corral::internal {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
[[noreturn]] void check_failed(const char* file, int line, const char* cond);
}  // namespace corral::internal

#define CORRAL_CHECK(cond, ...)                                                 \
  do {                                                                          \
    if (__builtin_expect(!(cond), 0)) {                                         \
      ::corral::internal::check_failed(__FILE__, __LINE__, #cond __VA_OPT__(, ) __VA_ARGS__); \
    }                                                                           \
  } while (0)

#ifdef NDEBUG
#define CORRAL_DCHECK(cond, ...) \
  do {                           \
  } while (0)
#else
#define CORRAL_DCHECK(cond, ...) CORRAL_CHECK(cond __VA_OPT__(, ) __VA_ARGS__)
#endif
