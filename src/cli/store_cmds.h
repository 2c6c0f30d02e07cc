// Helpers shared by the store commands (create, list, rm, cp, quantize, show NAME): opening the
// store of CORRAL_MODELS, resolving a model name to its GGUF blob, Ollama-style sizes and ages.
// CLI-only; may include any layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"
#include "store/store.h"
#include "util/status.h"

namespace corral::cli {

Result<store::Store> open_store(const Runtime& runtime);
// The path of a stored model's GGUF blob (the model layer); not_found naming the model.
Result<std::string> store_model_path(const Runtime& runtime, std::string_view name);
// "4.7 GB", "135 MB", "12 B" (decimal units, as Ollama prints sizes).
std::string human_bytes(uint64_t bytes);
// "2 days ago", "About a minute ago", "Less than a second ago".
std::string human_age(std::chrono::system_clock::duration age);
// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)" (what the server writes) to a time point; nullopt if
// the text is not such a time.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);
// Prints rows as a table: columns padded to the widest cell plus 4 spaces, no trailing blanks.
void print_table(const std::vector<std::vector<std::string>>& rows);
// Prints "Error: <message>" to stderr and returns 1.
int print_error(const Status& status);

}  // namespace corral::cli
