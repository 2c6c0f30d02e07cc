// The allow-list of the restricted unpickler (formats/pickle.cpp): the only globals a torch
// checkpoint may name, and what each one is. Internal to formats/. Depends on hf_tensor only.
#pragma once

#include <cstdint>
#include <string_view>

#include "formats/hf_tensor.h"

namespace corral::pickle_internal {

// What an allowed global is. Only kOrderedDict and the rebuild functions may be called.
enum GlobalKind : uint8_t {
  kOrderedDict = 1,
  kRebuildTensorV2,
  kRebuildTensor,
  kRebuildParameter,
  kRebuildParameterWithState,
  kStorageType,
  kDTypeObject,
};

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
  GlobalKind kind;
  HfDType dtype;
};

// The allowed global `module.name`, or nullptr.
const AllowedGlobal* find_allowed(std::string_view module, std::string_view name);

}  // namespace corral::pickle_internal
