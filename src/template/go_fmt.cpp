#include "template/go_fmt.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "template/json_out.h"

namespace corral::tmpl {
namespace {

// ---- UTF-8 helpers -------------------------------------------------------------------------

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    size_t sz = 1;
    decode_rune(s, i, &sz);
    i += sz;
    ++n;
  }
  return n;
}

// ---- decimal digit strings (strconv's decimal: value = 0.digits * 10^dp) ---------------------

struct Decimal {
  std::string digits;  // no leading or trailing zeros; empty for zero
  int dp = 0;
};

Decimal shortest_decimal(double d) {
  Decimal out;
  d = std::fabs(d);
  if (d == 0) return out;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = s.find('e');
  std::string mant(s.substr(0, e));
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  for (char c : mant) {
    if (c != '.') out.digits.push_back(c);
  }
  while (!out.digits.empty() && out.digits.back() == '0') out.digits.pop_back();
  out.dp = exp + 1;
  return out;
}

// Rounded to `sig` significant digits (sig >= 1), trailing zeros trimmed.
Decimal rounded_decimal(double d, int sig) {
  Decimal out;
  d = std::fabs(d);
  if (d == 0) return out;
  if (sig > 400) sig = 400;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*e", sig - 1, d);
  std::string_view s(buf);
  size_t e = s.find('e');
  std::string mant(s.substr(0, e));
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  for (char c : mant) {
    if (c != '.') out.digits.push_back(c);
  }
  while (!out.digits.empty() && out.digits.back() == '0') out.digits.pop_back();
  out.dp = exp + 1;
  return out;
}

// %e: d.ddddde±dd with `prec` digits after the point.
std::string fmt_e(const Decimal& dec, int prec, char e) {
  std::string out;
  out.push_back(dec.digits.empty() ? '0' : dec.digits[0]);
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      out.push_back(static_cast<size_t>(i) < dec.digits.size() ? dec.digits[static_cast<size_t>(i)] : '0');
    }
  }
  out.push_back(e);
  int exp = dec.digits.empty() ? 0 : dec.dp - 1;
  out.push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
  return out;
}

// %f: ddd.ddd with `prec` digits after the point.
std::string fmt_f(const Decimal& dec, int prec) {
  std::string out;
  auto digit = [&](int i) -> char {
    return (i >= 0 && static_cast<size_t>(i) < dec.digits.size()) ? dec.digits[static_cast<size_t>(i)] : '0';
  };
  if (dec.dp > 0) {
    for (int i = 0; i < dec.dp; ++i) out.push_back(digit(i));
  } else {
    out.push_back('0');
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 0; i < prec; ++i) out.push_back(digit(dec.dp + i));
  }
  return out;
}

// strconv.FormatFloat for |d| (sign handled by the caller).
std::string format_abs(double d, char fmt, int prec) {
  const bool shortest = prec < 0;
  switch (fmt) {
    case 'e':
    case 'E': {
      if (shortest) {
        Decimal dec = shortest_decimal(d);
        int p = dec.digits.empty() ? 0 : static_cast<int>(dec.digits.size()) - 1;
        return fmt_e(dec, p, fmt);
      }
      char buf[512];
      std::snprintf(buf, sizeof buf, fmt == 'e' ? "%.*e" : "%.*E", std::min(prec, 400), std::fabs(d));
      return buf;
    }
    case 'f':
    case 'F': {
      if (shortest) {
        Decimal dec = shortest_decimal(d);
        return fmt_f(dec, std::max(static_cast<int>(dec.digits.size()) - dec.dp, 0));
      }
      if (std::fabs(d) >= 1e300 && prec > 50) prec = 50;
      std::string buf(512 + 320, '\0');
      int n = std::snprintf(buf.data(), buf.size(), "%.*f", std::min(prec, 400), std::fabs(d));
      buf.resize(static_cast<size_t>(std::max(n, 0)));
      return buf;
    }
    default: {  // g, G
      Decimal dec;
      int eprec = prec;
      if (shortest) {
        dec = shortest_decimal(d);
        eprec = 6;
      } else {
        if (prec == 0) prec = 1;
        dec = rounded_decimal(d, prec);
        eprec = prec;
        int nd = static_cast<int>(dec.digits.size());
        if (eprec > nd && nd >= dec.dp) eprec = nd;
      }
      int nd = static_cast<int>(dec.digits.size());
      int exp = dec.digits.empty() ? 0 : dec.dp - 1;
      if (exp < -4 || exp >= eprec) {
        int p = shortest ? nd : prec;
        if (p > nd) p = nd;
        return fmt_e(dec, std::max(p - 1, 0), fmt == 'g' ? 'e' : 'E');
      }
      int p = shortest ? nd : prec;
      if (p > dec.dp) p = nd;
      return fmt_f(dec, std::max(p - dec.dp, 0));
    }
  }
}

// ---- one verb --------------------------------------------------------------------------------

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  bool has_width = false, has_prec = false;
  int width = 0, prec = 0;
};

void pad(std::string& out, std::string_view s, const Spec& sp, bool zero_ok = true) {
  size_t n = rune_count(s);
  size_t w = sp.has_width && sp.width > 0 ? static_cast<size_t>(sp.width) : 0;
  if (n >= w) {
    out += s;
    return;
  }
  size_t fill = w - n;
  if (sp.minus) {
    out += s;
    out.append(fill, ' ');
  } else {
    out.append(fill, (sp.zero && zero_ok) ? '0' : ' ');
    out += s;
  }
}

void format_value(std::string& out, const Value& v, char verb, const Spec& sp, int depth);

void bad_verb(std::string& out, const Value& v, char verb) {
  out += "%!";
  out.push_back(verb);
  out.push_back('(');
  if (v.is_nil_or_invalid()) {
    out += "<nil>";
  } else {
    out += v.type_name();
    out.push_back('=');
    format_value(out, v, 'v', Spec{}, 0);
  }
  out.push_back(')');
}

void fmt_integer(std::string& out, int64_t value, char verb, const Spec& sp) {
  if (verb == 'c') {
    std::string s;
    append_utf8(s, (value < 0 || value > 0x10FFFF) ? U'\uFFFD' : static_cast<char32_t>(value));
    pad(out, s, sp, false);
    return;
  }
  if (verb == 'q') {
    char32_t r = (value < 0 || value > 0x10FFFF || (value >= 0xD800 && value < 0xE000))
                     ? U'\uFFFD'
                     : static_cast<char32_t>(value);
    std::string s;
    append_utf8(s, r);
    std::string q = go_quote(s, sp.plus);
    q.front() = '\'';
    q.back() = '\'';
    if (r == '\'') q = "'\\''";
    if (r == '"') q = "'\"'";
    pad(out, q, sp, false);
    return;
  }
  if (verb == 'U') {
    char buf[32];
    std::snprintf(buf, sizeof buf, "U+%04llX", static_cast<unsigned long long>(value));
    std::string s = buf;
    if (sp.sharp && value >= 0 && value <= 0x10FFFF && go_is_print(static_cast<char32_t>(value))) {
      s += " '";
      append_utf8(s, static_cast<char32_t>(value));
      s += "'";
    }
    pad(out, s, sp, false);
    return;
  }
  int base = 10;
  bool upper = false;
  switch (verb) {
    case 'b': base = 2; break;
    case 'o': case 'O': base = 8; break;
    case 'x': base = 16; break;
    case 'X': base = 16; upper = true; break;
    default: break;
  }
  bool neg = value < 0;
  uint64_t u = neg ? (~static_cast<uint64_t>(value) + 1) : static_cast<uint64_t>(value);
  std::string digits;
  const char* dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  while (u > 0) {
    digits.insert(digits.begin(), dig[u % static_cast<uint64_t>(base)]);
    u /= static_cast<uint64_t>(base);
  }
  int prec = -1;
  if (sp.has_prec) {
    prec = sp.prec;
  } else if (sp.zero && sp.has_width && !sp.minus) {
    prec = sp.width;
    if (neg || sp.plus || sp.space) --prec;
  }
  if (prec < 0 && digits.empty()) digits = "0";
  if (prec > 0 && static_cast<int>(digits.size()) < prec) {
    digits.insert(0, static_cast<size_t>(prec) - digits.size(), '0');
  }
  std::string prefix;
  if (sp.sharp) {
    if (base == 8 && (digits.empty() || digits[0] != '0')) prefix = "0";
    if (base == 16) prefix = upper ? "0X" : "0x";
    if (base == 2) prefix = "0b";
  }
  if (verb == 'O') prefix = "0o";
  std::string s;
  if (neg) s = "-";
  else if (sp.plus) s = "+";
  else if (sp.space) s = " ";
  s += prefix + digits;
  Spec nz = sp;
  nz.zero = false;
  pad(out, s, nz);
}

void fmt_float(std::string& out, double d, char verb, const Spec& sp) {
  char fmt = verb == 'v' ? 'g' : verb;
  int prec = sp.has_prec ? sp.prec : -1;
  if (!sp.has_prec && (fmt == 'e' || fmt == 'E' || fmt == 'f' || fmt == 'F')) prec = 6;
  std::string num;
  bool neg = std::signbit(d);
  if (std::isnan(d)) {
    num = "NaN";
    neg = false;
  } else if (std::isinf(d)) {
    num = "Inf";
  } else if (fmt == 'x' || fmt == 'X') {
    char buf[128];
    if (prec >= 0) {
      std::snprintf(buf, sizeof buf, fmt == 'x' ? "%.*a" : "%.*A", prec, std::fabs(d));
    } else {
      std::snprintf(buf, sizeof buf, fmt == 'x' ? "%a" : "%A", std::fabs(d));
    }
    num = buf;
    // Go writes at least two exponent digits.
    size_t p = num.find_last_of("pP");
    if (p != std::string::npos && num.size() - (p + 2) == 1) num.insert(p + 2, "0");
  } else {
    num = format_abs(d, fmt == 'F' ? 'f' : fmt, prec);
  }
  std::string sign;
  if (neg) sign = "-";
  else if (sp.plus || std::isinf(d)) sign = "+";
  else if (sp.space) sign = " ";
  if (std::isnan(d) && sp.plus) sign = "+";
  bool finite = std::isfinite(d);
  if (sp.zero && sp.has_width && !sp.minus && finite) {
    int w = sp.width - static_cast<int>(sign.size());
    if (static_cast<int>(num.size()) < w) num.insert(0, static_cast<size_t>(w) - num.size(), '0');
  }
  Spec nz = sp;
  nz.zero = false;
  pad(out, sign + num, nz);
}

void fmt_string(std::string& out, const std::string& s, char verb, const Spec& sp) {
  switch (verb) {
    case 'v':
    case 's': {
      if (sp.has_prec) {
        size_t i = 0, n = 0;
        while (i < s.size() && n < static_cast<size_t>(std::max(sp.prec, 0))) {
          size_t sz = 1;
          decode_rune(s, i, &sz);
          i += sz;
          ++n;
        }
        pad(out, std::string_view(s).substr(0, i), sp);
      } else {
        pad(out, s, sp);
      }
      return;
    }
    case 'q': {
      std::string q;
      if (sp.sharp && s.find('`') == std::string::npos) {
        bool ok = true;
        for (size_t i = 0; i < s.size();) {
          size_t sz = 1;
          char32_t r = decode_rune(s, i, &sz);
          if ((r == U'\uFFFD' && sz == 1) || (r < ' ' && r != '\t') || r == 0x7f || r == 0xFEFF) ok = false;
          i += sz;
        }
        if (ok) q = "`" + s + "`";
      }
      if (q.empty()) q = go_quote(s, sp.plus);
      pad(out, q, sp);
      return;
    }
    case 'x':
    case 'X': {
      const char* dig = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
      std::string h;
      size_t n = s.size();
      if (sp.has_prec && static_cast<size_t>(std::max(sp.prec, 0)) < n) n = static_cast<size_t>(sp.prec);
      for (size_t i = 0; i < n; ++i) {
        if (sp.space && i > 0) h.push_back(' ');
        if (sp.sharp && (sp.space || i == 0)) h += verb == 'x' ? "0x" : "0X";
        unsigned char c = static_cast<unsigned char>(s[i]);
        h.push_back(dig[c >> 4]);
        h.push_back(dig[c & 15]);
      }
      pad(out, h, sp);
      return;
    }
    default:
      bad_verb(out, Value::string(s), verb);
  }
}

void format_value(std::string& out, const Value& v, char verb, const Spec& sp, int depth) {
  // Stringer: String() handles the string verbs.
  if (v.stringer() == Stringer::kGoJson &&
      (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')) {
    fmt_string(out, go_json(v), verb, sp);
    return;
  }
  switch (v.kind()) {
    case ValueKind::kInvalid:
    case ValueKind::kNil:
      if (verb == 'v') {
        pad(out, "<nil>", sp, false);
      } else {
        bad_verb(out, v, verb);
      }
      return;
    case ValueKind::kBool:
      if (verb == 't' || verb == 'v') {
        pad(out, v.as_bool() ? "true" : "false", sp, false);
      } else {
        bad_verb(out, v, verb);
      }
      return;
    case ValueKind::kInt:
      switch (verb) {
        case 'v': case 'd': case 'b': case 'o': case 'O': case 'x': case 'X': case 'c': case 'q': case 'U':
          fmt_integer(out, v.as_int(), verb == 'v' ? 'd' : verb, sp);
          return;
        default:
          bad_verb(out, v, verb);
          return;
      }
    case ValueKind::kFloat:
      switch (verb) {
        case 'v': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'x': case 'X':
          fmt_float(out, v.as_float(), verb, sp);
          return;
        default:
          bad_verb(out, v, verb);
          return;
      }
    case ValueKind::kString:
      fmt_string(out, v.as_string(), verb, sp);
      return;
    case ValueKind::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.items()) {
        if (!first) out.push_back(' ');
        first = false;
        format_value(out, e, verb, sp, depth + 1);
      }
      out.push_back(']');
      return;
    }
    case ValueKind::kMap: {
      out += "map[";
      bool first = true;
      for (const auto& [k, e] : v.entries()) {
        if (!first) out.push_back(' ');
        first = false;
        fmt_string(out, k, verb, sp);
        out.push_back(':');
        format_value(out, e, verb, sp, depth + 1);
      }
      out.push_back(']');
      return;
    }
    case ValueKind::kStruct: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.entries()) {
        if (e.kind() == ValueKind::kFunction && e.is_method()) continue;
        if (!first) out.push_back(' ');
        first = false;
        if (sp.plus) out += k + ":";
        format_value(out, e, verb, sp, depth + 1);
      }
      out.push_back('}');
      return;
    }
    case ValueKind::kFunction:
      if (verb == 'v' || verb == 'p') {
        pad(out, "func:" + v.function_name(), sp, false);
      } else {
        bad_verb(out, v, verb);
      }
      return;
  }
}

bool is_string_arg(const Value& v) { return v.kind() == ValueKind::kString; }

}  // namespace

char32_t decode_rune(std::string_view s, size_t i, size_t* size) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *size = 1;
  if (c < 0x80) return c;
  size_t need;
  char32_t r;
  char32_t min;
  if ((c & 0xE0) == 0xC0) {
    need = 1; r = c & 0x1F; min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    need = 2; r = c & 0x0F; min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    need = 3; r = c & 0x07; min = 0x10000;
  } else {
    return U'\uFFFD';
  }
  if (i + need >= s.size()) return U'\uFFFD';
  for (size_t k = 1; k <= need; ++k) {
    unsigned char cc = b(i + k);
    if ((cc & 0xC0) != 0x80) return U'\uFFFD';
    r = (r << 6) | (cc & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return U'\uFFFD';
  *size = need + 1;
  return r;
}

void append_utf8(std::string& out, char32_t r) {
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool go_is_print(char32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r >= 0x80 && r <= 0xA0) return false;
  if (r == 0xAD || r == 0x1680 || r == 0x180E) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;  // surrogates and private use
  if (r >= 0xFFF0 && r <= 0xFFFB) return false;
  if ((r & 0xFFFE) == 0xFFFE) return false;  // non-characters
  if (r >= 0xF0000) return false;            // supplementary private use
  if (r >= 0xE0000 && r <= 0xE007F) return false;  // tags
  return r <= 0x10FFFF;
}

std::string go_quote(std::string_view s, bool ascii_only) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t sz = 1;
    char32_t r = decode_rune(s, i, &sz);
    if (r == U'\uFFFD' && sz == 1 && !(s.size() - i >= 3 && s.substr(i, 3) == "\xEF\xBF\xBD")) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
      i += 1;
      continue;
    }
    i += sz;
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
      continue;
    }
    if (ascii_only ? (r < 0x80 && go_is_print(r)) : go_is_print(r)) {
      append_utf8(out, r);
      continue;
    }
    switch (r) {
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    char buf[16];
    if (r < ' ' || r == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(r));
    } else if (r < 0x10000) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
    } else {
      std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(r));
    }
    out += buf;
  }
  out.push_back('"');
  return out;
}

std::string go_format_float(double d, char fmt, int prec) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  std::string s = format_abs(d, fmt, prec);
  return std::signbit(d) ? "-" + s : s;
}

std::string go_sprint(std::span<const Value> args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !is_string_arg(args[i]) && !is_string_arg(args[i - 1])) out.push_back(' ');
    format_value(out, args[i], 'v', Spec{}, 0);
  }
  return out;
}

std::string go_sprintln(std::span<const Value> args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    format_value(out, args[i], 'v', Spec{}, 0);
  }
  out.push_back('\n');
  return out;
}

std::string go_print_action(const Value& v) {
  if (!v.is_valid()) return "<no value>";
  std::string out;
  format_value(out, v, 'v', Spec{}, 0);
  return out;
}

std::string go_sprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  size_t argi = 0;
  bool reordered = false;
  bool good_argnum = true;
  const size_t n = format.size();
  // Parses "[n]" at format[i]; updates argi. Returns false on a malformed index.
  auto arg_number = [&](size_t& i) {
    if (i >= n || format[i] != '[') return;
    reordered = true;
    size_t j = i + 1;
    int64_t num = 0;
    bool digits = false;
    while (j < n && format[j] >= '0' && format[j] <= '9' && num < 1000000) {
      num = num * 10 + (format[j] - '0');
      digits = true;
      ++j;
    }
    if (j < n && format[j] == ']' && digits && num >= 1 && static_cast<size_t>(num) <= args.size()) {
      argi = static_cast<size_t>(num - 1);
      i = j + 1;
      good_argnum = true;
    } else {
      good_argnum = false;
      while (j < n && format[j] != ']') ++j;
      i = j < n ? j + 1 : j;
    }
  };
  // Reads a number (width/precision) or '*' argument.
  auto star_or_num = [&](size_t& i, int& val, bool& has, bool& bad) {
    arg_number(i);
    if (i < n && format[i] == '*') {
      ++i;
      if (argi < args.size() && args[argi].kind() == ValueKind::kInt &&
          args[argi].as_int() >= -1000000 && args[argi].as_int() <= 1000000) {
        val = static_cast<int>(args[argi].as_int());
        has = true;
      } else {
        bad = true;
      }
      ++argi;
      return true;
    }
    int v = 0;
    bool any = false;
    while (i < n && format[i] >= '0' && format[i] <= '9') {
      if (v < 1000000) v = v * 10 + (format[i] - '0');
      any = true;
      ++i;
    }
    if (any) {
      val = v;
      has = true;
    }
    return any;
  };

  for (size_t i = 0; i < n;) {
    if (format[i] != '%') {
      size_t j = format.find('%', i);
      if (j == std::string_view::npos) j = n;
      out.append(format.substr(i, j - i));
      i = j;
      continue;
    }
    ++i;
    Spec sp;
    for (; i < n; ++i) {
      char c = format[i];
      if (c == '#') sp.sharp = true;
      else if (c == '0') sp.zero = !sp.minus;
      else if (c == '+') sp.plus = true;
      else if (c == '-') { sp.minus = true; sp.zero = false; }
      else if (c == ' ') sp.space = true;
      else break;
    }
    good_argnum = true;
    bool bad_width = false, bad_prec = false;
    star_or_num(i, sp.width, sp.has_width, bad_width);
    if (sp.has_width && sp.width < 0) {
      sp.minus = true;
      sp.zero = false;
      sp.width = -sp.width;
    }
    if (bad_width) out += "%!(BADWIDTH)";
    if (i < n && format[i] == '.') {
      ++i;
      sp.has_prec = true;
      sp.prec = 0;
      bool has = false;
      star_or_num(i, sp.prec, has, bad_prec);
      if (bad_prec || sp.prec < 0) {
        sp.has_prec = false;
        if (bad_prec) out += "%!(BADPREC)";
      }
    }
    arg_number(i);
    if (i >= n) {
      out += "%!(NOVERB)";
      break;
    }
    size_t vsz = 1;
    char32_t verb = decode_rune(format, i, &vsz);
    i += vsz;
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    std::string vs;
    append_utf8(vs, verb);
    if (!good_argnum) {
      out += "%!" + vs + "(BADINDEX)";
      continue;
    }
    if (argi >= args.size()) {
      out += "%!" + vs + "(MISSING)";
      continue;
    }
    const Value& arg = args[argi++];
    if (verb == 'w') verb = 'v';
    if (verb >= 0x80) {
      out += "%!" + vs + "(";
      out += arg.is_nil_or_invalid() ? "<nil>" : arg.type_name() + "=" + go_print_action(arg);
      out += ")";
      continue;
    }
    if (verb == 'v' && sp.sharp) sp.sharp = false;  // %#v (Go syntax) prints like %v here
    format_value(out, arg, static_cast<char>(verb), sp, 0);
  }
  if (!reordered && argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      if (args[k].is_nil_or_invalid()) {
        out += "<nil>";
      } else {
        out += args[k].type_name() + "=";
        format_value(out, args[k], 'v', Spec{}, 0);
      }
    }
    out += ")";
  }
  return out;
}

}  // namespace corral::tmpl
