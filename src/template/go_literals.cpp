// Go literal syntax for the template parser: string and char literals (strconv.Unquote) and
// number literals (strconv.ParseUint base 0 and ParseFloat with underscores, hex floats).
#include "template/go_literals.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "template/go_fmt.h"

namespace corral::tmpl {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one character or escape of a quoted literal at s[i]; quote is the delimiter.
bool unquote_char(std::string_view s, size_t& i, char quote, std::string& out) {
  if (i >= s.size()) return false;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) return false;
  if (c != '\\') {
    size_t sz = 1;
    decode_rune(s, i, &sz);
    out.append(s.substr(i, sz));
    i += sz;
    return true;
  }
  if (i + 1 >= s.size()) return false;
  char e = s[i + 1];
  i += 2;
  switch (e) {
    case 'a':
      out.push_back('\a');
      return true;
    case 'b':
      out.push_back('\b');
      return true;
    case 'f':
      out.push_back('\f');
      return true;
    case 'n':
      out.push_back('\n');
      return true;
    case 'r':
      out.push_back('\r');
      return true;
    case 't':
      out.push_back('\t');
      return true;
    case 'v':
      out.push_back('\v');
      return true;
    case '\\':
      out.push_back('\\');
      return true;
    case '\'':
    case '"':
      if (e != quote) return false;
      out.push_back(e);
      return true;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
      if (i + n > s.size()) return false;
      uint32_t v = 0;
      for (size_t k = 0; k < n; ++k) {
        int h = hex_value(s[i + k]);
        if (h < 0) return false;
        v = v * 16 + static_cast<uint32_t>(h);
      }
      i += n;
      if (e == 'x') {
        out.push_back(static_cast<char>(v));
        return true;
      }
      if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
      append_utf8(out, v);
      return true;
    }
    default:
      if (e >= '0' && e <= '7') {
        if (i + 2 > s.size()) return false;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          char d = s[i + k];
          if (d < '0' || d > '7') return false;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        if (v > 255) return false;
        i += 2;
        out.push_back(static_cast<char>(v));
        return true;
      }
      return false;
  }
}

}  // namespace

bool go_unquote(std::string_view lit, std::string* out) {
  out->clear();
  if (lit.size() < 2) return false;
  char q = lit.front();
  if (lit.back() != q) return false;
  std::string_view body = lit.substr(1, lit.size() - 2);
  if (q == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    for (char c : body) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  if (q != '"' && q != '\'') return false;
  if (q == '"' && body.find('\n') != std::string_view::npos) return false;
  size_t i = 0;
  while (i < body.size()) {
    if (!unquote_char(body, i, q, *out)) return false;
    if (q == '\'' && i < body.size()) return false;  // exactly one character
  }
  if (q == '\'' && out->empty()) return false;
  return true;
}

namespace {

bool underscores_ok(std::string_view s) {
  // Go: '_' must separate digits (or follow a base prefix).
  char prev = '.';
  bool hex = s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      bool prev_ok = std::isalnum(static_cast<unsigned char>(prev)) &&
                     !(!hex && (prev == 'e' || prev == 'E')) && !(prev == 'p' || prev == 'P');
      bool next_ok = i + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[i + 1]));
      if (!prev_ok || !next_ok || i == 0) return false;
    }
    prev = c;
  }
  return true;
}

std::string strip_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

}  // namespace

// strconv.ParseUint(s, 0, 64) without sign; returns false on syntax error or overflow.
bool parse_uint_base0(std::string_view s, uint64_t* out, bool* overflow) {
  *overflow = false;
  if (s.empty()) return false;
  int base = 10;
  std::string_view digits = s;
  bool prefixed = false;
  if (s.size() > 1 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      digits = s.substr(2);
      prefixed = true;
    } else if (p == 'o' || p == 'O') {
      base = 8;
      digits = s.substr(2);
      prefixed = true;
    } else if (p == 'b' || p == 'B') {
      base = 2;
      digits = s.substr(2);
      prefixed = true;
    } else {
      base = 8;
      digits = s.substr(1);
    }
  }
  if (!underscores_ok(s)) return false;
  std::string d = strip_underscores(digits);
  if (d.empty()) return prefixed ? false : (s == "0");
  uint64_t v = 0;
  for (char c : d) {
    int h = hex_value(c);
    if (h < 0 || h >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(h)) / static_cast<uint64_t>(base)) {
      *overflow = true;
      return false;
    }
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(h);
  }
  *out = v;
  return true;
}

bool parse_go_float(std::string_view text, double* out) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !underscores_ok(s)) return false;
  std::string t = strip_underscores(s);
  double v = 0;
  std::from_chars_result r;
  if (t.size() > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    std::string h = t.substr(2);
    if (h.empty() || h.find_first_of("pP") == std::string::npos) {
      if (h.find('.') != std::string::npos) return false;  // hex mantissa needs a p exponent
    }
    r = std::from_chars(h.data(), h.data() + h.size(), v, std::chars_format::hex);
    if (r.ec != std::errc() || r.ptr != h.data() + h.size()) return false;
  } else {
    if (t.find_first_of("pPxX") != std::string::npos) return false;
    r = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
    if (r.ptr != t.data() + t.size()) return false;
    if (r.ec == std::errc::result_out_of_range) {
      v = HUGE_VAL;  // Go reports a range error; treat as a syntax error below
      return false;
    }
    if (r.ec != std::errc()) return false;
  }
  *out = neg ? -v : v;
  return true;
}

}  // namespace corral::tmpl
