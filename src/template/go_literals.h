// Go literal syntax, as text/template's parser reads it: quoted strings and chars (strconv's
// Unquote) and number literals (base-0 unsigned integers and floats, with Go's underscores).
// Pure string functions; depends on nothing but the standard library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace corral::tmpl {

// Go string/char literal decoding (strconv.Unquote / UnquoteChar). False on invalid syntax.
bool go_unquote(std::string_view lit, std::string* out);

// strconv.ParseUint(s, 0, 64) without sign: 0x/0o/0b/0 prefixes and underscores. False on a
// syntax error or overflow (*overflow tells which).
bool parse_uint_base0(std::string_view s, uint64_t* out, bool* overflow);

// strconv.ParseFloat(s, 64) for template number literals (decimal and hex floats, underscores).
bool parse_go_float(std::string_view text, double* out);

}  // namespace corral::tmpl
