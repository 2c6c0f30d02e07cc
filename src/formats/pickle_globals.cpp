#include "formats/pickle_globals.h"

#include <array>

namespace corral::pickle_internal {
namespace {

constexpr std::array<AllowedGlobal, 35> kAllowedGlobals = {{
    {"collections", "OrderedDict", kOrderedDict, HfDType::kU8},
    {"torch._utils", "_rebuild_tensor_v2", kRebuildTensorV2, HfDType::kU8},
    {"torch._utils", "_rebuild_tensor", kRebuildTensor, HfDType::kU8},
    {"torch._utils", "_rebuild_parameter", kRebuildParameter, HfDType::kU8},
    {"torch._utils", "_rebuild_parameter_with_state", kRebuildParameterWithState, HfDType::kU8},
    {"torch", "FloatStorage", kStorageType, HfDType::kF32},
    {"torch", "HalfStorage", kStorageType, HfDType::kF16},
    {"torch", "BFloat16Storage", kStorageType, HfDType::kBF16},
    {"torch", "DoubleStorage", kStorageType, HfDType::kF64},
    {"torch", "LongStorage", kStorageType, HfDType::kI64},
    {"torch", "IntStorage", kStorageType, HfDType::kI32},
    {"torch", "ShortStorage", kStorageType, HfDType::kI16},
    {"torch", "CharStorage", kStorageType, HfDType::kI8},
    {"torch", "ByteStorage", kStorageType, HfDType::kU8},
    {"torch", "BoolStorage", kStorageType, HfDType::kBool},
    {"torch", "UntypedStorage", kStorageType, HfDType::kU8},
    {"torch.storage", "UntypedStorage", kStorageType, HfDType::kU8},
    {"torch", "float32", kDTypeObject, HfDType::kF32},
    {"torch", "float", kDTypeObject, HfDType::kF32},
    {"torch", "float16", kDTypeObject, HfDType::kF16},
    {"torch", "half", kDTypeObject, HfDType::kF16},
    {"torch", "bfloat16", kDTypeObject, HfDType::kBF16},
    {"torch", "float64", kDTypeObject, HfDType::kF64},
    {"torch", "double", kDTypeObject, HfDType::kF64},
    {"torch", "int64", kDTypeObject, HfDType::kI64},
    {"torch", "long", kDTypeObject, HfDType::kI64},
    {"torch", "int32", kDTypeObject, HfDType::kI32},
    {"torch", "int", kDTypeObject, HfDType::kI32},
    {"torch", "int16", kDTypeObject, HfDType::kI16},
    {"torch", "short", kDTypeObject, HfDType::kI16},
    {"torch", "int8", kDTypeObject, HfDType::kI8},
    {"torch", "uint8", kDTypeObject, HfDType::kU8},
    {"torch", "bool", kDTypeObject, HfDType::kBool},
    {"torch", "float8_e4m3fn", kDTypeObject, HfDType::kF8E4M3},
    {"torch", "float8_e5m2", kDTypeObject, HfDType::kF8E5M2},
}};

}  // namespace

const AllowedGlobal* find_allowed(std::string_view module, std::string_view name) {
  for (const auto& g : kAllowedGlobals) {
    if (g.module == module && g.name == name) return &g;
  }
  return nullptr;
}

}  // namespace corral::pickle_internal
