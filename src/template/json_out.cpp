#include "template/json_out.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/go_fmt.h"

namespace corral::tmpl {
namespace {

void go_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '<': case '>': case '&':
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t sz = 1;
    char32_t r = decode_rune(s, i, &sz);
    if (r == U'\uFFFD' && sz == 1) {
      out += "\\ufffd";
    } else if (r == 0x2028 || r == 0x2029) {
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, sz));
    }
    i += sz;
  }
  out.push_back('"');
}

// Go refuses NaN and Inf; callers check finiteness first.
std::string go_float(double d) {
  double a = std::fabs(d);
  char fmt = 'f';
  if (a != 0 && (a < 1e-6 || a >= 1e21)) fmt = 'e';
  std::string s = go_format_float(d, fmt, -1);
  if (fmt == 'e') {
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  }
  return s;
}

// Returns false where json.Marshal fails (NaN, Inf, functions).
bool go_write(std::string& out, const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: out += "null"; return true;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; return true;
    case Json::value_t::number_integer: out += std::to_string(j.get<int64_t>()); return true;
    case Json::value_t::number_unsigned: out += std::to_string(j.get<uint64_t>()); return true;
    case Json::value_t::number_float:
      if (!std::isfinite(j.get<double>())) return false;
      out += go_float(j.get<double>());
      return true;
    case Json::value_t::string: go_string(out, j.get_ref<const std::string&>()); return true;
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) out.push_back(',');
        first = false;
        if (!go_write(out, e)) return false;
      }
      out.push_back(']');
      return true;
    }
    case Json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        go_string(out, it.key());
        out.push_back(':');
        if (!go_write(out, it.value())) return false;
      }
      out.push_back('}');
      return true;
    }
    default: return false;
  }
}

bool go_write(std::string& out, const Value& v) {
  if (const Json* g = v.go_json()) return go_write(out, *g);
  switch (v.kind()) {
    case ValueKind::kInvalid:
    case ValueKind::kNil: out += "null"; return true;
    case ValueKind::kBool: out += v.as_bool() ? "true" : "false"; return true;
    case ValueKind::kInt: out += std::to_string(v.as_int()); return true;
    case ValueKind::kFloat:
      if (!std::isfinite(v.as_float())) return false;
      out += go_float(v.as_float());
      return true;
    case ValueKind::kString: go_string(out, v.as_string()); return true;
    case ValueKind::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.items()) {
        if (!first) out.push_back(',');
        first = false;
        if (!go_write(out, e)) return false;
      }
      out.push_back(']');
      return true;
    }
    case ValueKind::kMap:
    case ValueKind::kStruct: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.entries()) {
        if (e.kind() == ValueKind::kFunction && e.is_method()) continue;
        if (!first) out.push_back(',');
        first = false;
        go_string(out, k);
        out.push_back(':');
        if (!go_write(out, e)) return false;
      }
      out.push_back('}');
      return true;
    }
    case ValueKind::kFunction: return false;
  }
  return false;
}

// ---- Python ---------------------------------------------------------------------------------

void py_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Python's float repr: shortest round-trip digits; scientific when exp < -4 or exp >= 16.
std::string py_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  std::string sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exp = std::atoi(sci.c_str() + e + 1);
  std::string out = std::signbit(d) ? "-" : "";
  if (exp < -4 || exp >= 16) {
    out.push_back(digits[0]);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
    return out;
  }
  int dp = exp + 1;  // digits before the point
  if (dp <= 0) {
    out += "0." + std::string(static_cast<size_t>(-dp), '0') + digits;
  } else if (static_cast<size_t>(dp) >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(dp) - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, static_cast<size_t>(dp)) + "." + digits.substr(static_cast<size_t>(dp));
  }
  return out;
}

void newline(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out.push_back('\n');
  out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
}

void py_write(std::string& out, const Json& j, int indent, int level) {
  const char* item_sep = indent < 0 ? ", " : ",";
  switch (j.type()) {
    case Json::value_t::null: out += "null"; return;
    case Json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case Json::value_t::number_integer: out += std::to_string(j.get<int64_t>()); return;
    case Json::value_t::number_unsigned: out += std::to_string(j.get<uint64_t>()); return;
    case Json::value_t::number_float: out += py_float(j.get<double>()); return;
    case Json::value_t::string: py_string(out, j.get_ref<const std::string&>()); return;
    case Json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) out += item_sep;
        first = false;
        newline(out, indent, level + 1);
        py_write(out, e, indent, level + 1);
      }
      newline(out, indent, level);
      out.push_back(']');
      return;
    }
    case Json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += item_sep;
        first = false;
        newline(out, indent, level + 1);
        py_string(out, it.key());
        out += ": ";
        py_write(out, it.value(), indent, level + 1);
      }
      newline(out, indent, level);
      out.push_back('}');
      return;
    }
    default: out += "null"; return;
  }
}

Json to_json(const Value& v) {
  if (const Json* src = v.source_json()) return *src;
  switch (v.kind()) {
    case ValueKind::kInvalid:
    case ValueKind::kNil:
    case ValueKind::kFunction: return nullptr;
    case ValueKind::kBool: return v.as_bool();
    case ValueKind::kInt: return v.as_int();
    case ValueKind::kFloat: return v.as_float();
    case ValueKind::kString: return v.as_string();
    case ValueKind::kList: {
      Json a = Json::array();
      for (const Value& e : v.items()) a.push_back(to_json(e));
      return a;
    }
    case ValueKind::kMap:
    case ValueKind::kStruct: {
      Json o = Json::object();
      for (const auto& [k, e] : v.entries()) {
        if (e.kind() == ValueKind::kFunction && e.is_method()) continue;
        o[k] = to_json(e);
      }
      return o;
    }
  }
  return nullptr;
}

}  // namespace

std::string go_json(const Value& v) {
  std::string out;
  if (!go_write(out, v)) return "";
  return out;
}

std::string go_json(const Json& j) {
  std::string out;
  if (!go_write(out, j)) return "";
  return out;
}

std::string python_json(const Json& j, int indent) {
  std::string out;
  py_write(out, j, indent, 0);
  return out;
}

std::string python_json(const Value& v, int indent) { return python_json(to_json(v), indent); }

}  // namespace corral::tmpl
