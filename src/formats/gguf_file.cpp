// GgufFile accessors: metadata lookups and zero-copy tensor data views.
#include "formats/gguf.h"
#include "formats/gguf_internal.h"
#include "util/check.h"

namespace corral {

uint64_t GgufTensorInfo::num_elements() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& [k, v] : metadata_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr || v->as_string() == nullptr) return std::nullopt;
  return *v->as_string();
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr || !gguf_internal::type_is_integer(v->type())) return std::nullopt;
  return v->as_int();
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  return v->as_float();
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::nullopt;
  return v->as_bool();
}

const GgufArray* GgufFile::get_array(std::string_view key) const {
  const GgufValue* v = find(key);
  return v == nullptr ? nullptr : v->as_array();
}

std::string GgufFile::architecture() const { return get_string("general.architecture").value_or(""); }

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const std::byte> GgufFile::tensor_data(const GgufTensorInfo& info) const {
  // Validated at parse time for this file's infos; a foreign info is a programmer error.
  CORRAL_CHECK(data_offset_ <= bytes_.size() && info.offset <= bytes_.size() - data_offset_ && info.bytes <= bytes_.size() - data_offset_ - info.offset,
               "tensor '%s' is not a tensor of this GGUF file", info.name.c_str());
  return bytes_.subspan(static_cast<size_t>(data_offset_ + info.offset), static_cast<size_t>(info.bytes));
}

}  // namespace corral
