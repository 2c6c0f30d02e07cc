// Built-in chat templates: Go templates written for corral for the common model families, each
// with its stop strings, and detection of the family from a model's Jinja chat_template (exact,
// whitespace-insensitive, then nearest known Jinja text by edit distance, as Ollama does when a
// model is created). Depends on nothing but the standard library.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corral::tmpl {

struct BuiltinTemplate {
  std::string_view name;
  std::string_view text;  // Go template source, for parse_chat_template()
  std::vector<std::string_view> stop;
};

std::span<const BuiltinTemplate> builtin_templates();
const BuiltinTemplate* find_builtin_template(std::string_view name);

struct TemplateMatch {
  const BuiltinTemplate* tmpl = nullptr;
  enum class How { kExact, kWhitespace, kEditDistance } how = How::kExact;
  size_t distance = 0;  // edit distance in Unicode code points (0 unless kEditDistance)
};

// Jinja edit-distance threshold: nearer known texts match (Ollama uses 100).
constexpr size_t kMaxTemplateDistance = 100;

// The built-in template for a Jinja chat template, or nullopt when none is near enough.
std::optional<TemplateMatch> detect_template(std::string_view jinja);

// Levenshtein distance over code points if it is below `limit`, else `limit` (banded, O(n*limit)).
size_t bounded_edit_distance(std::string_view a, std::string_view b, size_t limit);

}  // namespace corral::tmpl
