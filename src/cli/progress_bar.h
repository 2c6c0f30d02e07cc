// TransferProgress: the CLI's rendering of registry pull/push progress events. On a terminal,
// one redrawn bar per layer (label, percent, bar, bytes, rate, ETA); otherwise one line per
// status and one per finished layer (with the bytes resumed from an earlier pull), so logs stay
// short. CLI-only; uses registry/client.h's Progress.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "registry/client.h"

namespace corral::cli {

class TransferProgress {
 public:
  explicit TransferProgress(std::FILE* out);
  void update(const registry::Progress& p);
  // Ends an unfinished bar line (after a failure).
  void finish();

 private:
  void draw(const registry::Progress& p, bool final_line);

  std::FILE* out_;
  bool tty_ = false;
  bool open_line_ = false;
  std::string digest_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  uint64_t start_bytes_ = 0;
};

}  // namespace corral::cli
