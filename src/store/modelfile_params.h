// Modelfile PARAMETER names and types (Ollama's api.Options), and their conversion into the
// params JSON object that Ollama stores as the application/vnd.ollama.image.params layer:
// typed values ({"num_ctx": 4096, "temperature": 0.7, "stop": ["<|im_end|>"]}).
// Depends only on util and nlohmann_json.
#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace corral::store {

enum class ParamType { kInt, kFloat, kBool, kStringList };

struct ParamSpec {
  std::string_view name;
  ParamType type;
};

// Every known parameter, sorted by name.
std::span<const ParamSpec> modelfile_params();
// nullptr for an unknown name (names are lowercase; the lookup ignores ASCII case).
const ParamSpec* find_modelfile_param(std::string_view name);
std::string_view param_type_name(ParamType t);  // "an integer", "a number", ...

// Converts `value` for parameter `name` and stores it in the object `params` (a string-list
// parameter appends). invalid_argument without a location prefix on an unknown name or a
// value of the wrong type.
Status add_modelfile_param(nlohmann::json& params, std::string_view name, std::string_view value);

}  // namespace corral::store
