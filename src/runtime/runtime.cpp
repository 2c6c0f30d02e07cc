#include "runtime/runtime.h"

#include "backends/cpu/builtin_backends.h"
#include "util/check.h"

namespace corral {

Runtime::Runtime(EnvConfig env) : env_(std::move(env)), logger_(env_.log_level) {
  const Status s = register_builtin_backends(backends_);
  CORRAL_CHECK(s.ok(), "registering built-in backends: %s", s.to_string().c_str());
}

ThreadPool& Runtime::thread_pool() {
  if (!pool_) pool_ = std::make_unique<ThreadPool>(env_.num_threads);
  return *pool_;
}

BackendOptions Runtime::backend_options() {
  BackendOptions o;
  o.pool = &thread_pool();
  o.num_threads = env_.num_threads;
  o.cpu_isa = env_.cpu_isa;
  o.repack_weights = env_.cpu_repack;
  return o;
}

Runtime::~Runtime() = default;

}  // namespace corral
