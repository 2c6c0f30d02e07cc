// Value: the data model that Go templates run on — JSON-like values (null, bool, int, float,
// string, list, map with Go's sorted-key order, struct with declared field order) plus native
// functions. It also keeps the JSON a value came from, so templates can print it back exactly.
// Depends on util/ and nlohmann_json only; must not depend on the template parser or executor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace corral::tmpl {

using Json = nlohmann::ordered_json;

class Value;
using NativeFn = std::function<Result<Value>(std::span<const Value> args)>;

enum class ValueKind : uint8_t {
  kInvalid,  // Go's "no value" (zero reflect.Value): a missing map key, an unset variable
  kNil,      // an untyped nil / JSON null held inside a container
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kMap,       // string keys, iterated in sorted key order as Go does
  kStruct,    // named fields in declaration order; unknown fields are errors
  kFunction,  // a native function value (usable with `call`, or as a method of a struct)
};

// How fmt prints a composite value: by default Go's %v form, or through a String() method
// that returns the value's Go JSON encoding (the way Ollama's tool types print).
enum class Stringer : uint8_t { kNone, kGoJson };

struct Composite;
struct FunctionBox;

class Value {
 public:
  using Entry = std::pair<std::string, Value>;

  Value() = default;  // invalid ("<no value>")
  static Value nil();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value list(std::vector<Value> items, std::string type_name = "[]interface {}");
  // Keys are sorted (Go's range order); on duplicate keys the last one wins.
  static Value map(std::vector<Entry> entries, std::string type_name = "map[string]interface {}");
  static Value structure(std::string type_name, std::vector<Entry> fields);
  // A function value. As a struct field marked `method`, `.Name args` invokes it.
  static Value function(std::string name, NativeFn fn, bool method = false);
  // JSON objects become maps, arrays lists; integers stay integers. The source text order is
  // kept for python_json().
  static Value from_json(const Json& j);

  ValueKind kind() const { return kind_; }
  bool is_valid() const { return kind_ != ValueKind::kInvalid; }
  bool is_nil_or_invalid() const { return kind_ == ValueKind::kInvalid || kind_ == ValueKind::kNil; }
  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_float() const { return d_; }
  const std::string& as_string() const;
  std::span<const Value> items() const;         // list elements
  std::span<const Entry> entries() const;       // map (sorted) or struct (declared) entries
  const Value* find(std::string_view key) const;  // map key or struct field
  size_t size() const;                          // length for string/list/map/struct
  const std::string& function_name() const;
  const NativeFn& function() const;
  bool is_method() const;

  // Go type name for messages ("string", "int", "float64", "map[string]interface {}", ...).
  std::string type_name() const;
  Stringer stringer() const;
  // Copies sharing data but with different print/JSON behaviour.
  Value with_stringer(Stringer s) const;
  // JSON this value stands for, in the key order the original document had (python_json) and
  // in Go's marshal order (go_json). Either may be null when not set; see json_out.h.
  Value with_source_json(std::shared_ptr<const Json> src, std::shared_ptr<const Json> go) const;
  const Json* source_json() const;
  const Json* go_json() const;

  // Go truthiness: false, 0, nil, empty string/list/map are false; structs and functions true.
  bool truth() const;

 private:
  ValueKind kind_ = ValueKind::kInvalid;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<const Composite> c_;
  std::shared_ptr<const FunctionBox> f_;
};

struct Composite {
  std::vector<Value> items;         // lists
  std::vector<Value::Entry> entries;  // maps (sorted by key) and structs (declared order)
  std::string type_name;
  Stringer stringer = Stringer::kNone;
  std::shared_ptr<const Json> source_json;
  std::shared_ptr<const Json> go_json;
};

struct FunctionBox {
  std::string name;
  NativeFn fn;
  bool method = false;
};

}  // namespace corral::tmpl
