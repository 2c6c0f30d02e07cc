// register_builtin_backends: the explicit list of backends compiled into corral (no static
// initialisers). The Runtime calls it once on its BackendRegistry. Later backends (cuda, vulkan)
// add one line here. Depends on ml/backend_registry.h.
#pragma once

#include "ml/backend_registry.h"

namespace corral {

Status register_builtin_backends(BackendRegistry& registry);

}  // namespace corral
