// Go text/template for corral: parse a template (with define/block sub-templates) and execute it
// on a Value with Go's semantics, builtins and error messages ("template: NAME:LINE:COL:
// executing ..."). Execution is bounded in template-call depth, output size and steps, so no
// template can hang or exhaust the process. The chat layer (ollama.h) builds on this.
// Depends on value.h and util/; must not depend on tokenizer, ml or formats.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "template/value.h"
#include "util/status.h"

namespace corral::tmpl {

struct TreeSet;

// Extra functions a template may call by name (besides Go's builtins).
using FuncMap = std::map<std::string, NativeFn, std::less<>>;

// What `.key` yields for a key missing from a map: Go's Option("missingkey=...").
enum class MissingKey : uint8_t { kInvalid, kZero, kError };

struct ExecOptions {
  MissingKey missing_key = MissingKey::kInvalid;
  int max_template_depth = 100;           // nested {{template}} calls
  int max_nesting = 400;                  // nested control structures and calls while executing
  size_t max_output_bytes = 16u << 20;    // also bounds any string a function builds
  uint64_t max_steps = 20'000'000;        // nodes walked, commands run, loop iterations
};

class Template {
 public:
  Template() = default;
  // Parses `text`. Identifiers must name a builtin or a function of `funcs` (as Go checks).
  static Result<Template> parse(std::string_view text, std::string name = "",
                                std::shared_ptr<const FuncMap> funcs = nullptr);

  Result<std::string> execute(const Value& data, const ExecOptions& opts = {}) const;
  // Executes the associated template `name` (defined with {{define}} or {{block}}).
  Result<std::string> execute_template(std::string_view name, const Value& data,
                                       const ExecOptions& opts = {}) const;

  const std::string& name() const;
  const std::string& source() const;
  bool valid() const { return trees_ != nullptr; }
  bool has_template(std::string_view name) const;

  // Ollama's Template.Vars(): field and variable identifiers used anywhere, lowercased, sorted,
  // unique ("messages", "prompt", "response", "$", ...).
  std::vector<std::string> identifiers() const;
  // A copy whose main template stops right after the first use of field `field`: nodes that
  // follow it in document order are dropped (how Ollama renders the last, open turn of a
  // legacy prompt/response template).
  Template cut_after_field(std::string_view field) const;
  // A copy with `{{ .FIELD }}` appended to the main template.
  Template with_field_appended(std::string_view field) const;

 private:
  std::shared_ptr<const TreeSet> trees_;
  std::shared_ptr<const FuncMap> funcs_;
};

// Names of Go's builtin template functions.
bool is_builtin_function(std::string_view name);

}  // namespace corral::tmpl
