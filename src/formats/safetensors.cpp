#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

namespace corral {
namespace {

using Json = nlohmann::json;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

// Reads a JSON number as a non-negative integer that fits in int64.
bool json_to_uint(const Json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return false;
    *out = static_cast<uint64_t>(i);
    return true;
  }
  return false;
}

Result<SafetensorsTensorInfo> parse_entry(const std::string& name, const Json& entry,
                                          uint64_t data_size) {
  const char* n = name.c_str();
  if (!entry.is_object()) return corrupt("tensor '%s': entry is not a JSON object", n);
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) {
    return corrupt("tensor '%s': missing string field 'dtype'", n);
  }
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  std::optional<HfDType> dtype = hf_dtype_from_name(dtype_name);
  if (!dtype) return corrupt("tensor '%s': unknown dtype '%s'", n, dtype_name.c_str());

  SafetensorsTensorInfo info;
  info.name = name;
  info.dtype = *dtype;
  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) {
    return corrupt("tensor '%s': missing array field 'shape'", n);
  }
  for (const Json& d : *shape_it) {
    if (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0) {
      return corrupt("tensor '%s': negative dimension %lld in shape", n,
                     static_cast<long long>(d.get<int64_t>()));
    }
    uint64_t u = 0;
    if (!json_to_uint(d, &u) || u > static_cast<uint64_t>(INT64_MAX)) {
      return corrupt("tensor '%s': shape holds a value that is not a dimension: %s", n,
                     d.dump().c_str());
    }
    info.shape.push_back(static_cast<int64_t>(u));
  }
  std::optional<uint64_t> numel = checked_num_elements(info.shape);
  uint64_t bytes = 0;
  if (!numel || !checked_mul(*numel, hf_dtype_size(info.dtype), &bytes)) {
    return corrupt("tensor '%s': element count of shape %s overflows", n,
                   shape_text(info.shape).c_str());
  }
  auto off_it = entry.find("data_offsets");
  if (off_it == entry.end() || !off_it->is_array() || off_it->size() != 2 ||
      !json_to_uint((*off_it)[0], &info.begin) || !json_to_uint((*off_it)[1], &info.end)) {
    return corrupt("tensor '%s': 'data_offsets' must be [begin, end] of non-negative integers", n);
  }
  if (info.end < info.begin) {
    return corrupt("tensor '%s': data_offsets [%llu, %llu] end before begin", n,
                   static_cast<unsigned long long>(info.begin),
                   static_cast<unsigned long long>(info.end));
  }
  if (info.end - info.begin != bytes) {
    return corrupt("tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but shape %s of %s needs %llu",
                   n, static_cast<unsigned long long>(info.begin),
                   static_cast<unsigned long long>(info.end),
                   static_cast<unsigned long long>(info.end - info.begin),
                   shape_text(info.shape).c_str(), dtype_name.c_str(),
                   static_cast<unsigned long long>(bytes));
  }
  if (info.end > data_size) {
    return corrupt("tensor '%s': data_offsets end %llu is past the data section (%llu bytes)", n,
                   static_cast<unsigned long long>(info.end),
                   static_cast<unsigned long long>(data_size));
  }
  return info;
}

Status check_no_overlap(const std::vector<SafetensorsTensorInfo>& tensors) {
  std::vector<const SafetensorsTensorInfo*> by_offset;
  by_offset.reserve(tensors.size());
  for (const auto& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const auto* prev = by_offset[i - 1];
    const auto* cur = by_offset[i];
    if (cur->begin < prev->end) {
      return corrupt("tensor '%s': bytes [%llu, %llu) overlap tensor '%s' [%llu, %llu)",
                     cur->name.c_str(), static_cast<unsigned long long>(cur->begin),
                     static_cast<unsigned long long>(cur->end), prev->name.c_str(),
                     static_cast<unsigned long long>(prev->begin),
                     static_cast<unsigned long long>(prev->end));
    }
  }
  return ok_status();
}

}  // namespace

Result<SafetensorsHeader> parse_safetensors_header(std::span<const std::byte> bytes) {
  if (bytes.size() < 8) {
    return corrupt("file is %zu bytes, too short for the 8-byte header length", bytes.size());
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(bytes[static_cast<size_t>(i)]);
  if (header_len > kSafetensorsMaxHeaderBytes) {
    return corrupt("header length %llu is over the limit of %llu bytes",
                   static_cast<unsigned long long>(header_len),
                   static_cast<unsigned long long>(kSafetensorsMaxHeaderBytes));
  }
  if (header_len > bytes.size() - 8) {
    return corrupt("header length %llu is past the end of the file (%zu bytes)",
                   static_cast<unsigned long long>(header_len), bytes.size());
  }
  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  Json root = Json::parse(text, text + header_len, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return corrupt("header is not valid JSON");
  if (!root.is_object()) return corrupt("header JSON is a %s, not an object", root.type_name());

  SafetensorsHeader header;
  header.data_offset = 8 + header_len;
  const uint64_t data_size = bytes.size() - header.data_offset;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return corrupt("'__metadata__' is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) {
          return corrupt("'__metadata__' value of '%s' is not a string", m.key().c_str());
        }
        header.metadata.emplace_back(m.key(), m->get<std::string>());
      }
      continue;
    }
    CORRAL_ASSIGN_OR_RETURN(SafetensorsTensorInfo info, parse_entry(it.key(), *it, data_size));
    header.tensors.push_back(std::move(info));
  }
  // nlohmann::json objects iterate in key order, so tensors are sorted by name already.
  CORRAL_TRY(check_no_overlap(header.tensors));
  return header;
}

Status SafetensorsFile::init(std::span<const std::byte> bytes) {
  CORRAL_ASSIGN_OR_RETURN(header_, parse_safetensors_header(bytes));
  tensors_.reserve(header_.tensors.size());
  const std::byte* data = bytes.data() + header_.data_offset;
  for (const auto& info : header_.tensors) {
    HfTensor t;
    t.name = info.name;
    t.dtype = info.dtype;
    t.shape = info.shape;
    t.data = std::span<const std::byte>(data + info.begin, info.end - info.begin);
    tensors_.push_back(std::move(t));
  }
  return ok_status();
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile out;
  CORRAL_ASSIGN_OR_RETURN(out.file_, MappedFile::open(path));
  Status st = out.init(out.file_.bytes());
  if (!st.ok()) return st.with_context(path);
  return out;
}

Result<SafetensorsFile> SafetensorsFile::parse(std::span<const std::byte> bytes) {
  SafetensorsFile out;
  CORRAL_TRY(out.init(bytes));
  return out;
}

const HfTensor* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const HfTensor& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace corral
