#include "template/builtins.h"

#include <cstdio>

#include "template/go_fmt.h"

namespace corral::tmpl {
namespace {

Status bad(std::string msg) { return invalid_argument("%s", msg.c_str()); }

Result<Value> check_size(std::string s, size_t max_bytes) {
  if (s.size() > max_bytes) {
    return bad("result of " + std::to_string(s.size()) + " bytes exceeds the output limit of " +
               std::to_string(max_bytes) + " bytes");
  }
  return Value::string(std::move(s));
}

// ---- comparisons ----------------------------------------------------------------------------

enum class Basic { kInvalid, kBool, kInt, kFloat, kString };

Basic basic_kind(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool: return Basic::kBool;
    case ValueKind::kInt: return Basic::kInt;
    case ValueKind::kFloat: return Basic::kFloat;
    case ValueKind::kString: return Basic::kString;
    default: return Basic::kInvalid;
  }
}

std::string cmp_type(const Value& v) { return v.is_nil_or_invalid() ? "<nil>" : v.type_name(); }

Result<bool> eq_one(const Value& a, const Value& b) {
  Basic k1 = basic_kind(a), k2 = basic_kind(b);
  if (k1 != k2) {
    if (!a.is_nil_or_invalid() && !b.is_nil_or_invalid()) {
      return bad("incompatible types for comparison: " + cmp_type(a) + " and " + cmp_type(b));
    }
    return false;
  }
  switch (k1) {
    case Basic::kBool: return a.as_bool() == b.as_bool();
    case Basic::kInt: return a.as_int() == b.as_int();
    case Basic::kFloat: return a.as_float() == b.as_float();
    case Basic::kString: return a.as_string() == b.as_string();
    case Basic::kInvalid: break;
  }
  // Non-basic values: nil compares with anything nillable; lists and maps are not comparable.
  if (a.is_nil_or_invalid() || b.is_nil_or_invalid()) return a.is_nil_or_invalid() == b.is_nil_or_invalid();
  if (a.kind() != b.kind()) {
    return bad("non-comparable types " + go_print_action(a) + ": " + a.type_name() + ", " + b.type_name() +
               ": " + go_print_action(b));
  }
  if (a.kind() == ValueKind::kStruct) return go_print_action(a) == go_print_action(b) && a.type_name() == b.type_name();
  return bad("non-comparable type " + go_print_action(b) + ": " + b.type_name());
}

Result<bool> lt_one(const Value& a, const Value& b) {
  Basic k1 = basic_kind(a), k2 = basic_kind(b);
  if (k1 == Basic::kInvalid || k2 == Basic::kInvalid) return bad("invalid type for comparison");
  if (k1 != k2) return bad("incompatible types for comparison: " + cmp_type(a) + " and " + cmp_type(b));
  switch (k1) {
    case Basic::kBool: return bad("invalid type for comparison");
    case Basic::kInt: return a.as_int() < b.as_int();
    case Basic::kFloat: return a.as_float() < b.as_float();
    case Basic::kString: return a.as_string() < b.as_string();
    default: return bad("invalid type for comparison");
  }
}

Result<Value> fn_eq(std::span<const Value> args, size_t) {
  if (args.size() < 2) return bad("missing argument for comparison");
  for (size_t i = 1; i < args.size(); ++i) {
    CORRAL_ASSIGN_OR_RETURN(bool t, eq_one(args[0], args[i]));
    if (t) return Value::boolean(true);
  }
  return Value::boolean(false);
}

Result<Value> fn_ne(std::span<const Value> args, size_t) {
  CORRAL_ASSIGN_OR_RETURN(bool t, eq_one(args[0], args[1]));
  return Value::boolean(!t);
}

Result<Value> fn_lt(std::span<const Value> args, size_t) {
  CORRAL_ASSIGN_OR_RETURN(bool t, lt_one(args[0], args[1]));
  return Value::boolean(t);
}

Result<Value> fn_le(std::span<const Value> args, size_t) {
  CORRAL_ASSIGN_OR_RETURN(bool t, lt_one(args[0], args[1]));
  if (t) return Value::boolean(true);
  CORRAL_ASSIGN_OR_RETURN(bool e, eq_one(args[0], args[1]));
  return Value::boolean(e);
}

Result<Value> fn_gt(std::span<const Value> args, size_t m) {
  CORRAL_ASSIGN_OR_RETURN(Value le, fn_le(args, m));
  return Value::boolean(!le.as_bool());
}

Result<Value> fn_ge(std::span<const Value> args, size_t) {
  CORRAL_ASSIGN_OR_RETURN(bool t, lt_one(args[0], args[1]));
  return Value::boolean(!t);
}

// ---- the rest -------------------------------------------------------------------------------

Result<Value> fn_not(std::span<const Value> args, size_t) { return Value::boolean(!value_truth(args[0])); }

Result<Value> fn_len(std::span<const Value> args, size_t) {
  const Value& v = args[0];
  switch (v.kind()) {
    case ValueKind::kInvalid: return bad("len of untyped nil");
    case ValueKind::kNil: return bad("len of nil pointer");
    case ValueKind::kString:
    case ValueKind::kList:
    case ValueKind::kMap: return Value::integer(static_cast<int64_t>(v.size()));
    default: return bad("len of type " + v.type_name());
  }
}

Result<int64_t> index_arg(const Value& index, size_t cap) {
  if (index.is_nil_or_invalid()) return bad("cannot index slice/array with nil");
  if (index.kind() != ValueKind::kInt) return bad("cannot index slice/array with type " + index.type_name());
  int64_t x = index.as_int();
  if (x < 0 || static_cast<uint64_t>(x) > cap) return bad("index out of range: " + std::to_string(x));
  return x;
}

Result<Value> fn_index(std::span<const Value> args, size_t) {
  Value item = args[0];
  if (item.is_nil_or_invalid()) return bad("index of untyped nil");
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& index = args[i];
    if (item.is_nil_or_invalid()) return bad("index of nil pointer");
    switch (item.kind()) {
      case ValueKind::kList:
      case ValueKind::kString: {
        size_t n = item.size();
        CORRAL_ASSIGN_OR_RETURN(int64_t x, index_arg(index, n));
        if (static_cast<size_t>(x) >= n) return bad("index out of range: " + std::to_string(x));
        if (item.kind() == ValueKind::kString) {
          item = Value::integer(static_cast<unsigned char>(item.as_string()[static_cast<size_t>(x)]));
        } else {
          Value next = item.items()[static_cast<size_t>(x)];
          item = std::move(next);
        }
        break;
      }
      case ValueKind::kMap: {
        if (index.is_nil_or_invalid()) return bad("value is nil; should be of type string");
        if (index.kind() != ValueKind::kString) {
          return bad("value has type " + index.type_name() + "; should be string");
        }
        const Value* found = item.find(index.as_string());
        item = found ? *found : Value::nil();
        break;
      }
      default:
        return bad("can't index item of type " + item.type_name());
    }
  }
  return item;
}

Result<Value> fn_slice(std::span<const Value> args, size_t) {
  const Value& item = args[0];
  if (item.is_nil_or_invalid()) return bad("slice of untyped nil");
  size_t nidx = args.size() - 1;
  if (nidx > 3) return bad("too many slice indexes: " + std::to_string(nidx));
  if (item.kind() == ValueKind::kString) {
    if (nidx == 3) return bad("cannot 3-index slice a string");
  } else if (item.kind() != ValueKind::kList) {
    return bad("can't slice item of type " + item.type_name());
  }
  size_t len = item.size();
  int64_t idx[3] = {0, static_cast<int64_t>(len), static_cast<int64_t>(len)};
  for (size_t i = 0; i < nidx; ++i) {
    CORRAL_ASSIGN_OR_RETURN(int64_t x, index_arg(args[i + 1], len));
    idx[i] = x;
  }
  if (idx[0] > idx[1]) return bad("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  if (nidx == 3 && idx[1] > idx[2]) {
    return bad("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  auto b = static_cast<size_t>(idx[0]), e = static_cast<size_t>(idx[1]);
  if (item.kind() == ValueKind::kString) return Value::string(item.as_string().substr(b, e - b));
  auto items = item.items();
  return Value::list(std::vector<Value>(items.begin() + static_cast<std::ptrdiff_t>(b),
                                        items.begin() + static_cast<std::ptrdiff_t>(e)),
                     item.type_name());
}

Result<Value> fn_print(std::span<const Value> args, size_t m) { return check_size(go_sprint(args), m); }
Result<Value> fn_println(std::span<const Value> args, size_t m) { return check_size(go_sprintln(args), m); }

Result<Value> fn_printf(std::span<const Value> args, size_t m) {
  if (args[0].kind() != ValueKind::kString) {
    if (args[0].is_nil_or_invalid()) return bad("invalid value; expected string");
    return bad("wrong type for value; expected string; got " + args[0].type_name());
  }
  return check_size(go_sprintf(args[0].as_string(), args.subspan(1)), m);
}

// Text of the arguments as Go's evalArgs makes it for html/js/urlquery.
std::string eval_args(std::span<const Value> args) {
  if (args.size() == 1 && args[0].kind() == ValueKind::kString) return args[0].as_string();
  std::vector<Value> printable;
  for (const Value& a : args) {
    printable.push_back(a.is_nil_or_invalid() ? Value::string("<no value>") : a);
  }
  return go_sprint(printable);
}

Result<Value> fn_html(std::span<const Value> args, size_t m) {
  std::string s = eval_args(args), out;
  for (char c : s) {
    switch (c) {
      case '\0': out += "\xEF\xBF\xBD"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return check_size(std::move(out), m);
}

Result<Value> fn_js(std::span<const Value> args, size_t m) {
  static const char* kHex = "0123456789ABCDEF";
  std::string s = eval_args(args), out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        case '"': out += "\\\""; break;
        case '<': out += "\\u003C"; break;
        case '>': out += "\\u003E"; break;
        case '&': out += "\\u0026"; break;
        case '=': out += "\\u003D"; break;
        default:
          if (c < ' ') {
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
    if (go_is_print(r)) {
      out.append(s, i, sz);
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(r));
      out += buf;
    }
    i += sz;
  }
  return check_size(std::move(out), m);
}

Result<Value> fn_urlquery(std::span<const Value> args, size_t m) {
  static const char* kHex = "0123456789ABCDEF";
  std::string s = eval_args(args), out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return check_size(std::move(out), m);
}

Result<Value> fn_call(std::span<const Value> args, size_t) {
  // args[0] is the callee's source text (for messages), args[1] the function.
  const std::string& name = args[0].as_string();
  const Value& fn = args[1];
  if (fn.is_nil_or_invalid()) return bad("call of nil");
  if (fn.kind() != ValueKind::kFunction) return bad("non-function " + name + " of type " + fn.type_name());
  if (!fn.function()) return bad("call of nil");
  std::vector<Value> rest(args.begin() + 2, args.end());
  return fn.function()(rest);
}

constexpr Builtin kBuiltins[] = {
    {"and", 1, -1, nullptr},      {"or", 1, -1, nullptr},       {"call", 1, -1, fn_call},
    {"html", 0, -1, fn_html},     {"index", 1, -1, fn_index},   {"slice", 1, -1, fn_slice},
    {"js", 0, -1, fn_js},         {"len", 1, 1, fn_len},        {"not", 1, 1, fn_not},
    {"print", 0, -1, fn_print},   {"printf", 1, -1, fn_printf}, {"println", 0, -1, fn_println},
    {"urlquery", 0, -1, fn_urlquery},
    {"eq", 1, -1, fn_eq},         {"ne", 2, 2, fn_ne},          {"lt", 2, 2, fn_lt},
    {"le", 2, 2, fn_le},          {"gt", 2, 2, fn_gt},          {"ge", 2, 2, fn_ge},
};

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool value_truth(const Value& v) { return v.truth(); }

}  // namespace corral::tmpl
