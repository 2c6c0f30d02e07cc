// Parser of Go's text/template language: turns lexer tokens into the parse tree of ast.h with
// Go's rules and messages (else-if/else-with chains, variable scopes, define/block, break and
// continue only inside range, function names checked against the known set). Nesting is bounded
// so hostile input cannot exhaust the stack.
// Depends on lexer.h, ast.h and util/status.h; must not depend on the executor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "template/ast.h"
#include "util/status.h"

namespace corral::tmpl {

struct ParseConfig {
  std::string name;  // template name used in messages ("template: NAME:LINE:COL: ...")
  // Whether an identifier names a function (builtins and the template's function map).
  std::function<bool(std::string_view)> has_function;
  int max_nesting = 100;  // nested control structures and parentheses
};

Result<std::shared_ptr<TreeSet>> parse_template(std::string_view text, const ParseConfig& config);

// "LINE:COL" of a byte offset; COL counts bytes from the start of the line, from 0, as Go does.
std::string line_col(std::string_view text, size_t pos);

}  // namespace corral::tmpl
