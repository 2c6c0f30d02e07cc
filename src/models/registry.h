// ModelRegistry: maps a GGUF "general.architecture" string to the factory that builds that
// architecture's Model (without weights; the loader binds them). Filled by the explicit list in
// models/all_models.cpp — no static self-registration. Depends on models/model.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gguf.h"
#include "models/model.h"

namespace corral {

// Builds an architecture's model from its parsed config (and any arch-specific keys of file).
using ModelFactory = Result<std::unique_ptr<Model>> (*)(const GgufFile& file, const ModelConfig& config);

class ModelRegistry {
 public:
  Status add(std::string architecture, ModelFactory factory);  // kAlreadyExists on duplicates
  ModelFactory find(std::string_view architecture) const;      // nullptr when unknown
  std::vector<std::string> architectures() const;

 private:
  std::vector<std::pair<std::string, ModelFactory>> entries_;
};

// The explicit list of architectures compiled in (models/all_models.cpp).
Status register_all_models(ModelRegistry& registry);
// A registry filled once by register_all_models (immutable afterwards; thread-safe to read).
const ModelRegistry& builtin_models();

}  // namespace corral
