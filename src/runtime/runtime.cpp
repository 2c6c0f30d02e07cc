#include "runtime/runtime.h"

namespace corral {

Runtime::Runtime(EnvConfig env) : env_(std::move(env)), logger_(env_.log_level) {}

Runtime::~Runtime() = default;

}  // namespace corral
