// JSON writers for template values: Go's encoding/json (json.Marshal: sorted map keys, HTML-safe
// escapes, Go float forms) and Python's json.dumps(ensure_ascii=False) as Hugging Face's
// `tojson` filter writes it (", " and ": " separators, optional indent, source key order).
// Depends only on value.h.
#pragma once

#include <string>

#include "template/value.h"

namespace corral::tmpl {

// json.Marshal(v); empty string when Go would fail (functions, NaN, Inf), as Ollama's `json`.
std::string go_json(const Value& v);
std::string go_json(const Json& j);
// json.dumps(v, ensure_ascii=False, indent=indent) with indent < 0 meaning no indent.
std::string python_json(const Value& v, int indent = -1);
std::string python_json(const Json& j, int indent = -1);

}  // namespace corral::tmpl
