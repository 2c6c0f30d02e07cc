// The architectures corral runs: one line per architecture (docs/adding-a-model.md).
#include "models/llama/model.h"
#include "models/qwen2/model.h"
#include "models/registry.h"

namespace corral {

Status register_all_models(ModelRegistry& registry) {
  CORRAL_TRY(registry.add("llama", &make_llama));
  CORRAL_TRY(registry.add("qwen2", &make_qwen2));
  return ok_status();
}

}  // namespace corral
