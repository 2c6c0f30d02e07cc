// Runtime: the root object of a corral process. It owns what would otherwise be global —
// the environment configuration, the logger, and (as their layers land) the backend registry,
// the thread pool and the model store — and constructs everything else from them.
// Depends on every engine layer below the server; nothing below depends on it.
#pragma once

#include <memory>

#include "util/env.h"
#include "util/log.h"

namespace corral {

class Runtime {
 public:
  explicit Runtime(EnvConfig env);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  const EnvConfig& env() const { return env_; }
  Logger& logger() { return logger_; }

 private:
  EnvConfig env_;
  Logger logger_;
};

}  // namespace corral
