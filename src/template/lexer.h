// Lexer of Go's text/template language: splits template text into text, delimiter and action
// tokens (identifiers, fields, variables, strings, numbers, keywords), applying the `{{- -}}`
// whitespace trimming and dropping comments exactly as Go's lexer does.
// Depends on nothing but the standard library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::tmpl {

enum class Tok : uint8_t {
  kError,  // text holds the message; always the last token
  kBool,
  kChar,  // a printable ASCII character, e.g. ','
  kCharConstant,
  kComplex,
  kAssign,   // =
  kDeclare,  // :=
  kEof,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  // keywords
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type = Tok::kEof;
  size_t pos = 0;    // byte offset in the template text
  std::string text;  // the token's text (or the error message)
};

// Tokenizes the whole text; the result ends with kEof or kError.
std::vector<Token> lex_template(std::string_view text);

// Go's token description for "unexpected X in Y" messages.
std::string describe_token(const Token& t);

}  // namespace corral::tmpl
