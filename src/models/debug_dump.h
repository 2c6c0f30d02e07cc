// Forward-pass dumps for debugging a model against its research implementation: with
// CORRAL_DEBUG_DUMP=DIR (EnvConfig::dump_dir) every named intermediate tensor is written as
// DIR/<step>/<name>[.<layer>].npy in PyTorch order ([n_tokens, heads, head_dim] ...), filtered
// by the CORRAL_DUMP_FILTER regex over "name" / "name.layer", and the names are appended to
// DIR/<step>/order.txt in graph (computation) order. tools/compare_dumps.py compares two such
// folders (e.g. against tools/capture_hf_dump.py). Depends on ml/ (dump.h, backend.h) and util/.
#pragma once

#include <memory>
#include <regex>
#include <string>

#include "ml/backend.h"
#include "util/env.h"
#include "util/status.h"

namespace corral {

struct DumpOptions {
  std::string dir;     // empty: dumping off
  std::string filter;  // ECMAScript regex; empty: every named tensor
  bool per_step = true;  // a sub-folder per forward pass ("0000", "0001", ...); false: dir itself
};

DumpOptions dump_options_from_env(const EnvConfig& env);

// Hands out one observer per forward pass. Thread-compatible.
class DebugDumper {
 public:
  // kInvalidArgument for a bad regex; the directory is created lazily.
  static Result<std::unique_ptr<DebugDumper>> create(const DumpOptions& options);

  // The observer for the next forward pass (set it on the Backend before compute()). The
  // folder is created here: kIo when it cannot be.
  Result<GraphObserver> next_step();
  // The first write error any observer met (ok when none).
  Status status() const { return *error_; }
  int steps() const { return step_; }

 private:
  explicit DebugDumper(DumpOptions options, std::regex filter)
      : options_(std::move(options)), filter_(std::move(filter)), error_(std::make_shared<Status>()) {}

  DumpOptions options_;
  std::regex filter_;
  std::shared_ptr<Status> error_;
  int step_ = 0;
};

}  // namespace corral
