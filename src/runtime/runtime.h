// Runtime: the root object of a corral process. It owns what would otherwise be global —
// the environment configuration, the logger, and (as their layers land) the backend registry,
// the thread pool and the model store — and constructs everything else from them.
// Depends on every engine layer below the server; nothing below depends on it.
#pragma once

#include <memory>

#include "ml/backend_registry.h"
#include "util/env.h"
#include "util/log.h"
#include "util/thread_pool.h"

namespace corral {

class Runtime {
 public:
  explicit Runtime(EnvConfig env);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  const EnvConfig& env() const { return env_; }
  Logger& logger() { return logger_; }
  // The backends compiled in (register_builtin_backends), filled at construction.
  const BackendRegistry& backends() const { return backends_; }
  // The process's one CPU thread pool (CORRAL_NUM_THREADS, 0 = all hardware threads), started
  // on first use so commands that compute nothing start no threads. Not thread-safe on first call.
  ThreadPool& thread_pool();
  // Options for BackendRegistry::create: the shared pool and the CORRAL_CPU_ISA override.
  BackendOptions backend_options();

 private:
  EnvConfig env_;
  Logger logger_;
  BackendRegistry backends_;
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace corral
