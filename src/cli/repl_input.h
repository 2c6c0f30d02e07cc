// Line input for the REPL: reads stdin with read(2) so that a SIGINT (installed here, no
// SA_RESTART) interrupts a pending read; the handler only sets a flag. Also the cancellation
// flag generation polls. CLI only; POSIX.
#pragma once

#include <atomic>
#include <string>

namespace corral::cli {

// Installs the SIGINT handler (once) and returns the flag it sets.
std::atomic<bool>& install_interrupt_flag();

class LineReader {
 public:
  enum class Outcome { kLine, kEof, kInterrupted };
  // Prints `prompt` to stdout and reads one line (without its newline) into *line.
  Outcome read_line(const char* prompt, std::string* line);

 private:
  std::string buffer_;  // bytes read past the last returned line
};

}  // namespace corral::cli
