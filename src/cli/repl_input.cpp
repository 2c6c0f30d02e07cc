#include "cli/repl_input.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace corral::cli {
namespace {

std::atomic<bool> g_interrupted{false};  // set by the signal handler only
// Self-pipe: the handler also writes a byte here, so a SIGINT that lands between printing
// the prompt and blocking on stdin still wakes the reader (a bare read(2) would miss it).
int g_wake_pipe[2] = {-1, -1};

extern "C" void on_sigint(int) {
  const int saved = errno;
  g_interrupted.store(true, std::memory_order_relaxed);
  if (g_wake_pipe[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(g_wake_pipe[1], &byte, 1);  // async-signal-safe
  }
  errno = saved;
}

void drain_wake_pipe() {
  char sink[64];
  while (g_wake_pipe[0] >= 0 && ::read(g_wake_pipe[0], sink, sizeof(sink)) > 0) {
  }
}

}  // namespace

std::atomic<bool>& install_interrupt_flag() {
  static const bool installed = [] {
    if (::pipe(g_wake_pipe) == 0) {
      for (int fd : g_wake_pipe) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    } else {
      g_wake_pipe[0] = g_wake_pipe[1] = -1;
    }
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
  install_interrupt_flag();
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
    // Wait for input or a SIGINT. Wake-ups left over from an answer that a Ctrl+C already
    // stopped carry no flag and are just drained.
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake_pipe[0], POLLIN, 0}};
    const int ready = ::poll(fds, g_wake_pipe[0] >= 0 ? 2 : 1, -1);
    if (ready < 0 && errno != EINTR) return Outcome::kEof;
    if (ready > 0 && (fds[1].revents & POLLIN)) drain_wake_pipe();
    if (g_interrupted.exchange(false)) {
      buffer_.clear();
      return Outcome::kInterrupted;
    }
    if (ready <= 0 || fds[0].revents == 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
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
