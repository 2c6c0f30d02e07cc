#include "template/lexer.h"

#include <cstdio>

#include "template/go_fmt.h"

namespace corral::tmpl {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr size_t kTrimMarkerLen = 2;

bool is_space(char32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

bool is_letter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  // Without Unicode tables: treat printable non-ASCII runes outside the punctuation, symbol and
  // space blocks as letters.
  if (!go_is_print(r) || (r >= 0xFFF0 && r <= 0xFFFF)) return false;
  if (r <= 0xBF || r == 0xD7 || r == 0xF7) return false;
  if ((r >= 0x2000 && r <= 0x2BFF) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFE30 && r <= 0xFE4F) ||
      (r >= 0xFF00 && r <= 0xFF0F) || (r >= 0x1F000 && r <= 0x1FAFF)) {
    return false;
  }
  return true;
}

bool is_alnum(char32_t r) { return r == '_' || is_letter(r) || (r >= '0' && r <= '9'); }

bool has_left_trim(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(static_cast<unsigned char>(s[1])); }
bool has_right_trim(std::string_view s) { return s.size() >= 2 && is_space(static_cast<unsigned char>(s[0])) && s[1] == '-'; }

size_t right_trim_length(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && is_space(static_cast<unsigned char>(s[n - 1]))) --n;
  return s.size() - n;
}

size_t left_trim_length(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_space(static_cast<unsigned char>(s[n]))) ++n;
  return n;
}

std::string rune_desc(char32_t r) {
  char buf[64];
  std::string ch;
  append_utf8(ch, r);
  std::snprintf(buf, sizeof buf, "U+%04X '%s'", static_cast<unsigned>(r), ch.c_str());
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> run() {
    State st = State::kText;
    while (st != State::kDone) {
      switch (st) {
        case State::kText: st = lex_text(); break;
        case State::kLeftDelim: st = lex_left_delim(); break;
        case State::kComment: st = lex_comment(); break;
        case State::kRightDelim: st = lex_right_delim(); break;
        case State::kInside: st = lex_inside(); break;
        case State::kDone: break;
      }
    }
    return std::move(out_);
  }

 private:
  enum class State { kText, kLeftDelim, kComment, kRightDelim, kInside, kDone };
  static constexpr char32_t kEofRune = 0xFFFFFFFF;

  char32_t next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEofRune;
    }
    size_t sz = 1;
    char32_t r = decode_rune(in_, pos_, &sz);
    width_ = sz;
    pos_ += sz;
    return r;
  }
  char32_t peek() {
    char32_t r = next();
    backup();
    return r;
  }
  void backup() { pos_ -= width_; }
  void emit(Tok t) {
    out_.push_back(Token{t, start_, std::string(in_.substr(start_, pos_ - start_))});
    start_ = pos_;
  }
  void ignore() { start_ = pos_; }
  State error(std::string msg) {
    out_.push_back(Token{Tok::kError, start_, std::move(msg)});
    return State::kDone;
  }
  bool accept(std::string_view valid) {
    char32_t r = next();
    if (r != kEofRune && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) return true;
    backup();
    return false;
  }
  void accept_run(std::string_view valid) {
    while (accept(valid)) {
    }
  }

  bool at_right_delim(bool* trim) {
    std::string_view rest = in_.substr(pos_);
    if (rest.substr(0, 2) == kRightDelim) {
      *trim = false;
      return true;
    }
    if (has_right_trim(rest) && rest.substr(kTrimMarkerLen, 2) == kRightDelim) {
      *trim = true;
      return true;
    }
    return false;
  }

  bool at_terminator() {
    char32_t r = peek();
    if (r == kEofRune || is_space(r)) return true;
    switch (r) {
      case '.': case ',': case '|': case ':': case ')': case '(': case '}':
        return true;
      default:
        return false;
    }
  }

  State lex_text() {
    width_ = 0;
    size_t x = in_.find(kLeftDelim, pos_);
    if (x != std::string_view::npos) {
      pos_ = x;
      size_t trim = 0;
      if (has_left_trim(in_.substr(pos_ + kLeftDelim.size()))) {
        trim = right_trim_length(in_.substr(start_, pos_ - start_));
      }
      pos_ -= trim;
      if (pos_ > start_) emit(Tok::kText);
      pos_ += trim;
      ignore();
      return State::kLeftDelim;
    }
    pos_ = in_.size();
    if (pos_ > start_) emit(Tok::kText);
    emit(Tok::kEof);
    return State::kDone;
  }

  State lex_left_delim() {
    pos_ += kLeftDelim.size();
    bool trim = has_left_trim(in_.substr(pos_));
    size_t after = trim ? kTrimMarkerLen : 0;
    if (in_.substr(pos_ + after, 2) == "/*") {
      pos_ += after;
      ignore();
      return State::kComment;
    }
    emit(Tok::kLeftDelim);
    pos_ += after;
    ignore();
    paren_depth_ = 0;
    return State::kInside;
  }

  State lex_comment() {
    pos_ += 2;
    size_t i = in_.find("*/", pos_);
    if (i == std::string_view::npos) return error("unclosed comment");
    pos_ = i + 2;
    bool trim = false;
    if (!at_right_delim(&trim)) return error("comment ends before closing delimiter");
    if (trim) pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    if (trim) pos_ += left_trim_length(in_.substr(pos_));
    ignore();
    return State::kText;
  }

  State lex_right_delim() {
    bool trim = has_right_trim(in_.substr(pos_));
    if (trim) {
      pos_ += kTrimMarkerLen;
      ignore();
    }
    pos_ += kRightDelim.size();
    emit(Tok::kRightDelim);
    if (trim) {
      pos_ += left_trim_length(in_.substr(pos_));
      ignore();
    }
    return State::kText;
  }

  State lex_inside() {
    bool trim = false;
    if (at_right_delim(&trim)) {
      if (paren_depth_ == 0) return State::kRightDelim;
      return error("unclosed left paren");
    }
    char32_t r = next();
    if (r == kEofRune) return error("unclosed action");
    if (is_space(r)) {
      backup();
      return lex_space();
    }
    switch (r) {
      case '=': emit(Tok::kAssign); return State::kInside;
      case ':':
        if (next() != '=') return error("expected :=");
        emit(Tok::kDeclare);
        return State::kInside;
      case '|': emit(Tok::kPipe); return State::kInside;
      case '"': return lex_quote();
      case '`': return lex_raw_quote();
      case '$': return lex_variable();
      case '\'': return lex_char();
      case '(':
        emit(Tok::kLeftParen);
        ++paren_depth_;
        return State::kInside;
      case ')':
        emit(Tok::kRightParen);
        --paren_depth_;
        if (paren_depth_ < 0) return error("unexpected right paren");
        return State::kInside;
      default: break;
    }
    if (r == '.') {
      if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) return lex_field_or_variable(Tok::kField);
      backup();
      return lex_number();
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      backup();
      return lex_number();
    }
    if (is_alnum(r)) {
      backup();
      return lex_identifier();
    }
    if (r < 0x7F && r >= 0x20) {
      emit(Tok::kChar);
      return State::kInside;
    }
    return error("unrecognized character in action: " + rune_desc(r));
  }

  State lex_space() {
    int spaces = 0;
    while (is_space(peek())) {
      next();
      ++spaces;
    }
    // A trim-marked closing delimiter starts with a space: leave that space to it.
    if (has_right_trim(in_.substr(pos_ - 1)) && in_.substr(pos_ - 1 + kTrimMarkerLen, 2) == kRightDelim) {
      backup_bytes(1);
      if (spaces == 1) return State::kRightDelim;
    }
    emit(Tok::kSpace);
    return State::kInside;
  }
  void backup_bytes(size_t n) { pos_ -= n; }

  State lex_identifier() {
    char32_t r;
    while (true) {
      r = next();
      if (!is_alnum(r)) {
        backup();
        break;
      }
    }
    std::string_view word = in_.substr(start_, pos_ - start_);
    if (!at_terminator()) return error("bad character " + rune_desc(peek()));
    static const struct {
      std::string_view word;
      Tok tok;
    } kKeywords[] = {{"block", Tok::kBlock}, {"break", Tok::kBreak},     {"continue", Tok::kContinue},
                     {"define", Tok::kDefine}, {"else", Tok::kElse},     {"end", Tok::kEnd},
                     {"if", Tok::kIf},         {"range", Tok::kRange},   {"nil", Tok::kNil},
                     {"template", Tok::kTemplate}, {"with", Tok::kWith}};
    for (const auto& k : kKeywords) {
      if (k.word == word) {
        emit(k.tok);
        return State::kInside;
      }
    }
    emit(word == "true" || word == "false" ? Tok::kBool : Tok::kIdentifier);
    return State::kInside;
  }

  State lex_variable() {
    if (at_terminator()) {
      emit(Tok::kVariable);
      return State::kInside;
    }
    return lex_field_or_variable(Tok::kVariable);
  }

  State lex_field_or_variable(Tok typ) {
    if (at_terminator()) {
      emit(typ == Tok::kVariable ? Tok::kVariable : Tok::kDot);
      return State::kInside;
    }
    while (true) {
      char32_t r = next();
      if (!is_alnum(r)) {
        backup();
        break;
      }
    }
    if (!at_terminator()) return error("bad character " + rune_desc(peek()));
    emit(typ);
    return State::kInside;
  }

  State lex_char() {
    while (true) {
      char32_t r = next();
      if (r == '\\') {
        char32_t e = next();
        if (e != kEofRune && e != '\n') continue;
        return error("unterminated character constant");
      }
      if (r == kEofRune || r == '\n') return error("unterminated character constant");
      if (r == '\'') break;
    }
    emit(Tok::kCharConstant);
    return State::kInside;
  }

  bool scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (is_alnum(peek())) {
      next();
      return false;
    }
    return true;
  }

  State lex_number() {
    if (!scan_number()) return error("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
    char32_t sign = peek();
    if (sign == '+' || sign == '-') {
      if (!scan_number() || in_[pos_ - 1] != 'i') {
        return error("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_)));
      }
      emit(Tok::kComplex);
    } else {
      emit(Tok::kNumber);
    }
    return State::kInside;
  }

  State lex_quote() {
    while (true) {
      char32_t r = next();
      if (r == '\\') {
        char32_t e = next();
        if (e != kEofRune && e != '\n') continue;
        return error("unterminated quoted string");
      }
      if (r == kEofRune || r == '\n') return error("unterminated quoted string");
      if (r == '"') break;
    }
    emit(Tok::kString);
    return State::kInside;
  }

  State lex_raw_quote() {
    while (true) {
      char32_t r = next();
      if (r == kEofRune) return error("unterminated raw quoted string");
      if (r == '`') break;
    }
    emit(Tok::kRawString);
    return State::kInside;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lex_template(std::string_view text) { return Lexer(text).run(); }

std::string describe_token(const Token& t) {
  switch (t.type) {
    case Tok::kEof: return "EOF";
    case Tok::kError: return t.text;
    case Tok::kBlock: case Tok::kBreak: case Tok::kContinue: case Tok::kDot: case Tok::kDefine:
    case Tok::kElse: case Tok::kEnd: case Tok::kIf: case Tok::kNil: case Tok::kRange:
    case Tok::kTemplate: case Tok::kWith:
      return "<" + t.text + ">";
    default: break;
  }
  if (t.text.size() > 10) {
    // Go prints %.10q: the first ten runes, quoted, then "...".
    size_t i = 0, n = 0;
    while (i < t.text.size() && n < 10) {
      size_t sz = 1;
      decode_rune(t.text, i, &sz);
      i += sz;
      ++n;
    }
    return go_quote(std::string_view(t.text).substr(0, i)) + "...";
  }
  return go_quote(t.text);
}

}  // namespace corral::tmpl
