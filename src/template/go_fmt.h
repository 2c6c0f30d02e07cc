// Go's fmt and strconv formatting rules over template Values: Sprint, Sprintln, Sprintf (verbs,
// flags, width, precision, argument indexes, %!verb(...) error forms), %v of composites, Go's
// shortest float formatting and strconv.Quote. Used by the template executor and builtins.
// Depends only on value.h; must not depend on the parser or executor.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "template/value.h"

namespace corral::tmpl {

// fmt.Sprint: operands are separated by a space when neither side is a string.
std::string go_sprint(std::span<const Value> args);
// fmt.Sprintln: operands always separated by spaces, newline appended.
std::string go_sprintln(std::span<const Value> args);
// fmt.Sprintf with Go's verbs and error forms (%!d(string=x), %!d(MISSING), %!(EXTRA ...)).
std::string go_sprintf(std::string_view format, std::span<const Value> args);
// The text an action prints for a value ("<no value>" for an invalid value).
std::string go_print_action(const Value& v);
// strconv.Quote / QuoteToASCII.
std::string go_quote(std::string_view s, bool ascii_only = false);
// strconv.FormatFloat(d, fmt, prec, 64) for fmt in e, E, f, g, G; prec -1 means shortest.
std::string go_format_float(double d, char fmt, int prec);
// Decodes one UTF-8 rune at s[i]; returns U+FFFD with size 1 for invalid input.
char32_t decode_rune(std::string_view s, size_t i, size_t* size);
void append_utf8(std::string& out, char32_t r);
// unicode.IsPrint, approximated without Unicode tables (controls, format and separator
// characters, surrogates, private use and non-characters are not printable).
bool go_is_print(char32_t r);

}  // namespace corral::tmpl
