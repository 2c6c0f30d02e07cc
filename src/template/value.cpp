#include "template/value.h"

#include <algorithm>

namespace corral::tmpl {
namespace {
const std::string kEmpty;
const NativeFn kNoFn;
}  // namespace

Value Value::nil() {
  Value v;
  v.kind_ = ValueKind::kNil;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = ValueKind::kBool;
  v.b_ = b;
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = ValueKind::kInt;
  v.i_ = i;
  return v;
}

Value Value::number(double d) {
  Value v;
  v.kind_ = ValueKind::kFloat;
  v.d_ = d;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = ValueKind::kString;
  v.s_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::list(std::vector<Value> items, std::string type_name) {
  auto c = std::make_shared<Composite>();
  c->items = std::move(items);
  c->type_name = std::move(type_name);
  Value v;
  v.kind_ = ValueKind::kList;
  v.c_ = std::move(c);
  return v;
}

Value Value::map(std::vector<Entry> entries, std::string type_name) {
  // Stable sort keeps insertion order among equal keys; keep the last of each run.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.first < b.first; });
  std::vector<Entry> unique;
  unique.reserve(entries.size());
  for (auto& e : entries) {
    if (!unique.empty() && unique.back().first == e.first) {
      unique.back().second = std::move(e.second);
    } else {
      unique.push_back(std::move(e));
    }
  }
  auto c = std::make_shared<Composite>();
  c->entries = std::move(unique);
  c->type_name = std::move(type_name);
  Value v;
  v.kind_ = ValueKind::kMap;
  v.c_ = std::move(c);
  return v;
}

Value Value::structure(std::string type_name, std::vector<Entry> fields) {
  auto c = std::make_shared<Composite>();
  c->entries = std::move(fields);
  c->type_name = std::move(type_name);
  Value v;
  v.kind_ = ValueKind::kStruct;
  v.c_ = std::move(c);
  return v;
}

Value Value::function(std::string name, NativeFn fn, bool method) {
  auto f = std::make_shared<FunctionBox>();
  f->name = std::move(name);
  f->fn = std::move(fn);
  f->method = method;
  Value v;
  v.kind_ = ValueKind::kFunction;
  v.f_ = std::move(f);
  return v;
}

Value Value::from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return nil();
    case Json::value_t::boolean:
      return boolean(j.get<bool>());
    case Json::value_t::number_integer:
      return integer(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return integer(static_cast<int64_t>(u));
      return number(static_cast<double>(u));
    }
    case Json::value_t::number_float:
      return number(j.get<double>());
    case Json::value_t::string:
      return string(j.get<std::string>());
    case Json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return list(std::move(items)).with_source_json(std::make_shared<const Json>(j), nullptr);
    }
    case Json::value_t::object: {
      std::vector<Entry> entries;
      entries.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) entries.emplace_back(it.key(), from_json(it.value()));
      return map(std::move(entries)).with_source_json(std::make_shared<const Json>(j), nullptr);
    }
    default:
      return Value();
  }
}

const std::string& Value::as_string() const { return s_ ? *s_ : kEmpty; }

std::span<const Value> Value::items() const {
  if (kind_ != ValueKind::kList || !c_) return {};
  return c_->items;
}

std::span<const Value::Entry> Value::entries() const {
  if ((kind_ != ValueKind::kMap && kind_ != ValueKind::kStruct) || !c_) return {};
  return c_->entries;
}

const Value* Value::find(std::string_view key) const {
  if (kind_ == ValueKind::kMap && c_) {
    auto it = std::lower_bound(c_->entries.begin(), c_->entries.end(), key,
                               [](const Entry& e, std::string_view k) { return e.first < k; });
    if (it != c_->entries.end() && it->first == key) return &it->second;
    return nullptr;
  }
  if (kind_ == ValueKind::kStruct && c_) {
    for (const auto& e : c_->entries) {
      if (e.first == key) return &e.second;
    }
  }
  return nullptr;
}

size_t Value::size() const {
  switch (kind_) {
    case ValueKind::kString:
      return as_string().size();
    case ValueKind::kList:
      return items().size();
    case ValueKind::kMap:
    case ValueKind::kStruct:
      return entries().size();
    default:
      return 0;
  }
}

const std::string& Value::function_name() const { return f_ ? f_->name : kEmpty; }
const NativeFn& Value::function() const { return f_ ? f_->fn : kNoFn; }
bool Value::is_method() const { return f_ && f_->method; }

std::string Value::type_name() const {
  switch (kind_) {
    case ValueKind::kInvalid:
      return "<invalid reflect.Value>";
    case ValueKind::kNil:
      return "<nil>";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float64";
    case ValueKind::kString:
      return "string";
    case ValueKind::kList:
    case ValueKind::kMap:
    case ValueKind::kStruct:
      return c_ ? c_->type_name : std::string();
    case ValueKind::kFunction:
      return "func(...) (interface {}, error)";
  }
  return "?";
}

Stringer Value::stringer() const { return c_ ? c_->stringer : Stringer::kNone; }

Value Value::with_stringer(Stringer s) const {
  if (!c_) return *this;
  auto c = std::make_shared<Composite>(*c_);
  c->stringer = s;
  Value v = *this;
  v.c_ = std::move(c);
  return v;
}

Value Value::with_source_json(std::shared_ptr<const Json> src, std::shared_ptr<const Json> go) const {
  if (!c_) return *this;
  auto c = std::make_shared<Composite>(*c_);
  c->source_json = std::move(src);
  c->go_json = std::move(go);
  Value v = *this;
  v.c_ = std::move(c);
  return v;
}

const Json* Value::source_json() const { return c_ ? c_->source_json.get() : nullptr; }
const Json* Value::go_json() const { return c_ ? c_->go_json.get() : nullptr; }

bool Value::truth() const {
  switch (kind_) {
    case ValueKind::kInvalid:
    case ValueKind::kNil:
      return false;
    case ValueKind::kBool:
      return b_;
    case ValueKind::kInt:
      return i_ != 0;
    case ValueKind::kFloat:
      return d_ != 0;
    case ValueKind::kString:
      return !as_string().empty();
    case ValueKind::kList:
      return !items().empty();
    case ValueKind::kMap:
      return !entries().empty();
    case ValueKind::kStruct:
    case ValueKind::kFunction:
      return true;
  }
  return false;
}

}  // namespace corral::tmpl
