#include "cli/repl_input.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace corral::cli {
namespace {

std::atomic<bool> g_interrupted{false};  // set by the signal handler only

extern "C" void on_sigint(int) { g_interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

std::atomic<bool>& install_interrupt_flag() {
  static const bool installed = [] {
    struct sigaction sa = {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
    return sigaction(SIGINT, &sa, nullptr) == 0;
  }();
  (void)installed;
  return g_interrupted;
}

LineReader::Outcome LineReader::read_line(const char* prompt, std::string* line) {
  std::fputs(prompt, stdout);
  std::fflush(stdout);
  for (;;) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line->assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return Outcome::kLine;
    }
    char chunk[4096];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) {
      if (g_interrupted.exchange(false)) {
        buffer_.clear();
        return Outcome::kInterrupted;
      }
      continue;
    }
    if (n <= 0) {
      if (buffer_.empty()) return Outcome::kEof;
      *line = std::move(buffer_);  // last line without a newline
      buffer_.clear();
      return Outcome::kLine;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace corral::cli
