// GgufValue / GgufArray: construction, typed accessors and exact equality.
#include <bit>
#include <limits>

#include "formats/gguf.h"
#include "formats/gguf_internal.h"

namespace corral {

std::string_view gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kU8: return "u8";
    case GgufType::kI8: return "i8";
    case GgufType::kU16: return "u16";
    case GgufType::kI16: return "i16";
    case GgufType::kU32: return "u32";
    case GgufType::kI32: return "i32";
    case GgufType::kF32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kU64: return "u64";
    case GgufType::kI64: return "i64";
    case GgufType::kF64: return "f64";
  }
  return "unknown";
}

namespace gguf_internal {

bool type_is_known(uint32_t id) { return id <= static_cast<uint32_t>(GgufType::kF64); }

size_t scalar_size(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool: return 1;
    case GgufType::kU16:
    case GgufType::kI16: return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32: return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64: return 8;
    case GgufType::kString:
    case GgufType::kArray: return 0;
  }
  return 0;
}

size_t min_element_size(GgufType type) {
  if (type == GgufType::kString) return 8;
  if (type == GgufType::kArray) return 12;
  return scalar_size(type);
}

bool type_is_integer(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kU16:
    case GgufType::kI16:
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kU64:
    case GgufType::kI64: return true;
    default: return false;
  }
}

}  // namespace gguf_internal

size_t GgufArray::size() const {
  switch (element_type) {
    case GgufType::kF32:
    case GgufType::kF64: return floats.size();
    case GgufType::kString: return strings.size();
    case GgufType::kArray: return values.size();
    default: return ints.size();
  }
}

bool operator==(const GgufArray& a, const GgufArray& b) {
  if (a.element_type != b.element_type || a.size() != b.size()) return false;
  switch (a.element_type) {
    case GgufType::kF32:
    case GgufType::kF64:
      // Bitwise, so that NaN payloads and signed zeros count as different values.
      for (size_t i = 0; i < a.floats.size(); ++i) {
        if (std::bit_cast<uint64_t>(a.floats[i]) != std::bit_cast<uint64_t>(b.floats[i])) return false;
      }
      return true;
    case GgufType::kString: return a.strings == b.strings;
    case GgufType::kArray: return a.values == b.values;
    default: return a.ints == b.ints;
  }
}

GgufValue GgufValue::from_u8(uint8_t v) {
  GgufValue out;
  out.type_ = GgufType::kU8;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_i8(int8_t v) {
  GgufValue out;
  out.type_ = GgufType::kI8;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_u16(uint16_t v) {
  GgufValue out;
  out.type_ = GgufType::kU16;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_i16(int16_t v) {
  GgufValue out;
  out.type_ = GgufType::kI16;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_u32(uint32_t v) {
  GgufValue out;
  out.type_ = GgufType::kU32;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_i32(int32_t v) {
  GgufValue out;
  out.type_ = GgufType::kI32;
  out.v_ = int64_t{v};
  return out;
}
GgufValue GgufValue::from_u64(uint64_t v) {
  GgufValue out;
  out.type_ = GgufType::kU64;
  out.v_ = v;
  return out;
}
GgufValue GgufValue::from_i64(int64_t v) {
  GgufValue out;
  out.type_ = GgufType::kI64;
  out.v_ = v;
  return out;
}
GgufValue GgufValue::from_f32(float v) {
  GgufValue out;
  out.type_ = GgufType::kF32;
  out.v_ = static_cast<double>(v);
  return out;
}
GgufValue GgufValue::from_f64(double v) {
  GgufValue out;
  out.type_ = GgufType::kF64;
  out.v_ = v;
  return out;
}
GgufValue GgufValue::from_bool(bool v) {
  GgufValue out;
  out.type_ = GgufType::kBool;
  out.v_ = v;
  return out;
}
GgufValue GgufValue::from_string(std::string v) {
  GgufValue out;
  out.type_ = GgufType::kString;
  out.v_ = std::move(v);
  return out;
}
GgufValue GgufValue::from_array(GgufArray v) {
  GgufValue out;
  out.type_ = GgufType::kArray;
  out.v_ = std::make_shared<const GgufArray>(std::move(v));
  return out;
}

std::optional<int64_t> GgufValue::as_int() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v_)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(*u);
    return std::nullopt;
  }
  if (const auto* b = std::get_if<bool>(&v_)) return *b ? 1 : 0;
  return std::nullopt;
}

std::optional<uint64_t> GgufValue::as_uint() const {
  if (const auto* u = std::get_if<uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v_)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
    return std::nullopt;
  }
  if (const auto* b = std::get_if<bool>(&v_)) return *b ? 1u : 0u;
  return std::nullopt;
}

std::optional<double> GgufValue::as_float() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&v_)) return static_cast<double>(*u);
  return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
  if (const auto* b = std::get_if<bool>(&v_)) return *b;
  return std::nullopt;
}

const std::string* GgufValue::as_string() const { return std::get_if<std::string>(&v_); }

const GgufArray* GgufValue::as_array() const {
  if (const auto* a = std::get_if<std::shared_ptr<const GgufArray>>(&v_)) return a->get();
  return nullptr;
}

bool GgufValue::operator==(const GgufValue& other) const {
  if (type_ != other.type_) return false;
  if (const auto* d = std::get_if<double>(&v_)) {
    const auto* o = std::get_if<double>(&other.v_);
    return o != nullptr && std::bit_cast<uint64_t>(*d) == std::bit_cast<uint64_t>(*o);
  }
  if (type_ == GgufType::kArray) {
    const GgufArray* a = as_array();
    const GgufArray* b = other.as_array();
    if (a == nullptr || b == nullptr) return a == b;
    return *a == *b;
  }
  return v_ == other.v_;
}

}  // namespace corral
