// BackendRegistry: the named backend factories of a process, owned by the Runtime (no global
// registry). register_builtin_backends() (backends/builtin) fills it with an explicit list.
// Depends on ml/backend.h and util/.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ml/backend.h"
#include "util/status.h"

namespace corral {

class ThreadPool;

struct BackendOptions {
  ThreadPool* pool = nullptr;  // shared pool (the Runtime's); a backend may create its own if null
  int num_threads = 0;         // when creating its own pool; 0 = all hardware threads
  std::string cpu_isa;         // "", "generic", "avx2", "avx512" (CORRAL_CPU_ISA)
  bool repack_weights = true;  // Backend::prepare_weights may rearrange weights (CORRAL_CPU_REPACK)
};

using BackendFactory = std::function<Result<std::unique_ptr<Backend>>(const BackendOptions&)>;

class BackendRegistry {
 public:
  Status add(std::string name, BackendFactory factory);
  Result<std::unique_ptr<Backend>> create(std::string_view name, const BackendOptions& options) const;
  std::vector<std::string> names() const;

 private:
  struct Entry {
    std::string name;
    BackendFactory factory;
  };
  std::vector<Entry> entries_;
};

}  // namespace corral
