#include "backends/cpu/builtin_backends.h"

#include "backends/cpu/cpu_backend.h"

namespace corral {

Status register_builtin_backends(BackendRegistry& registry) {
  CORRAL_TRY(cpu::register_cpu_backend(registry));
  return ok_status();
}

}  // namespace corral
