// Go's builtin template functions over evaluated arguments: call, html, index, slice, js, len,
// not, print, printf, println, urlquery, eq, ne, lt, le, gt, ge (and/or short-circuit and live in
// the executor). Arity is checked by the executor from the table; errors returned here become
// "error calling NAME: ...". Depends on value.h and go_fmt.h only.
#pragma once

#include <span>
#include <string_view>

#include "template/value.h"
#include "util/status.h"

namespace corral::tmpl {

struct Builtin {
  std::string_view name;
  int min_args;
  int max_args;  // -1: variadic
  Result<Value> (*fn)(std::span<const Value> args, size_t max_bytes);
};

// The builtin with that name, or nullptr. "and"/"or" are listed with a null fn.
const Builtin* find_builtin(std::string_view name);

// Go truthiness of an argument (nil and invalid are false).
bool value_truth(const Value& v);

}  // namespace corral::tmpl
