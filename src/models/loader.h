// load_model: GGUF -> Model. Looks up general.architecture in the registry, parses the config,
// lets the architecture declare its weights and binds every one zero-copy to the file's mapped
// data (mul_mat/get_rows read quantized dtypes directly), shape- and dtype-checked; a missing,
// unclaimed or mis-shaped tensor is a load error naming it. Depends on formats/, models/.
#pragma once

#include <memory>
#include <string>

#include "formats/gguf.h"
#include "models/model.h"
#include "models/registry.h"

namespace corral {

// The model's weights point into `file`'s mapping: the caller keeps `file` alive and unmoved
// for as long as the Model lives. Errors: kUnsupported (unknown architecture), kNotFound
// (missing key or tensor), kCorrupt (bad value, shape, dtype, or an unclaimed tensor).
Result<std::unique_ptr<Model>> load_model(const GgufFile& file, const ModelRegistry& registry = builtin_models());

// Opens a GGUF file and loads it; the returned Model owns the mapping.
Result<std::unique_ptr<Model>> open_model(const std::string& path, const ModelRegistry& registry = builtin_models());

}  // namespace corral
