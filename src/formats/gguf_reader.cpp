// GGUF reader: parses the header, metadata and tensor table of a v2/v3 file, validating every
// number against the bytes that remain before using it. Tensor data is never copied.
#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstring>
#include <limits>
#include <numeric>
#include <unordered_set>

#include "formats/gguf.h"
#include "formats/gguf_internal.h"
#include "util/check.h"

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace corral {

using gguf_internal::min_element_size;
using gguf_internal::scalar_size;
using gguf_internal::type_is_known;

namespace {

// A name from the file, shortened and with unprintable bytes replaced, for error messages.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (s.size() > 80) out += "...";
  return out;
}

// Where a field lives, for error messages: "key 3 ('general.name')".
std::string describe_key(uint64_t index, std::string_view key) {
  return format_string("key %" PRIu64 " ('%s')", index, printable(key).c_str());
}

std::string describe_tensor(uint64_t index, std::string_view name) {
  return format_string("tensor %" PRIu64 " ('%s')", index, printable(name).c_str());
}

}  // namespace

class GgufParser {
 public:
  explicit GgufParser(std::span<const std::byte> bytes) : bytes_(bytes) {}

  Status parse(GgufFile* out) {
    CORRAL_TRY(parse_header(out));
    CORRAL_TRY(parse_metadata(out));
    CORRAL_TRY(parse_tensor_infos(out));
    return check_tensor_ranges(out);
  }

 private:
  struct TensorFields {
    uint64_t dims_at = 0;
    uint64_t offset_at = 0;
  };

  uint64_t remaining() const { return bytes_.size() - pos_; }

  // "gguf: <where> <field> at byte <at>: <reason>"
  template <typename... Args>
  Status fail(StatusCode code, uint64_t at, std::string_view where, const char* field, const char* fmt,
              Args&&... args) const {
    std::string reason;
    if constexpr (sizeof...(Args) == 0) {
      reason = fmt;  // a plain message: no format pass (and no -Wformat-security)
    } else {
      reason = format_string(fmt, std::forward<Args>(args)...);
    }
    std::string msg = "gguf: ";
    if (!where.empty()) {
      msg += where;
      msg += ' ';
    }
    msg += field;
    msg += format_string(" at byte %" PRIu64 ": ", at);
    msg += reason;
    return Status(code, std::move(msg));
  }

  Status need(uint64_t n, std::string_view where, const char* field) const {
    if (n > remaining()) {
      return fail(StatusCode::kCorrupt, pos_, where, field,
                  "truncated: needs %" PRIu64 " bytes, the file has %" PRIu64 " left", n, remaining());
    }
    return ok_status();
  }

  template <typename T>
  Status read(T* v, std::string_view where, const char* field) {
    CORRAL_TRY(need(sizeof(T), where, field));
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return ok_status();
  }

  template <typename T>
  T read_unchecked() {
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  Status read_string(std::string* s, std::string_view where, const char* field) {
    uint64_t at = pos_;
    uint64_t len = 0;
    CORRAL_TRY(read(&len, where, field));
    if (len > remaining()) {
      return fail(StatusCode::kCorrupt, at, where, field,
                  "string length %" PRIu64 " exceeds the %" PRIu64 " bytes left in the file", len,
                  remaining());
    }
    s->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(len));
    pos_ += len;
    return ok_status();
  }

  Status read_type(GgufType* type, std::string_view where, const char* field) {
    uint64_t at = pos_;
    uint32_t id = 0;
    CORRAL_TRY(read(&id, where, field));
    if (!type_is_known(id)) {
      return fail(StatusCode::kUnsupported, at, where, field, "unknown value type %" PRIu32, id);
    }
    *type = static_cast<GgufType>(id);
    return ok_status();
  }

  // Reads one fixed-size scalar (the caller checked that its bytes are there).
  int64_t read_int_unchecked(GgufType type) {
    switch (type) {
      case GgufType::kU8:
        return read_unchecked<uint8_t>();
      case GgufType::kI8:
        return read_unchecked<int8_t>();
      case GgufType::kU16:
        return read_unchecked<uint16_t>();
      case GgufType::kI16:
        return read_unchecked<int16_t>();
      case GgufType::kU32:
        return read_unchecked<uint32_t>();
      case GgufType::kI32:
        return read_unchecked<int32_t>();
      case GgufType::kU64:
        return static_cast<int64_t>(read_unchecked<uint64_t>());
      case GgufType::kI64:
        return read_unchecked<int64_t>();
      case GgufType::kBool:
        return read_unchecked<uint8_t>();
      default:
        return 0;
    }
  }

  Status check_bool(int64_t v, uint64_t at, std::string_view where, const char* field) const {
    if (v != 0 && v != 1) {
      return fail(StatusCode::kCorrupt, at, where, field, "bool value %" PRId64 " is neither 0 nor 1", v);
    }
    return ok_status();
  }

  Status read_value(GgufType type, int depth, GgufValue* out, std::string_view where, const char* field) {
    uint64_t at = pos_;
    switch (type) {
      case GgufType::kString: {
        std::string s;
        CORRAL_TRY(read_string(&s, where, field));
        *out = GgufValue::from_string(std::move(s));
        return ok_status();
      }
      case GgufType::kArray: {
        GgufArray arr;
        CORRAL_TRY(read_array(depth + 1, &arr, where));
        *out = GgufValue::from_array(std::move(arr));
        return ok_status();
      }
      case GgufType::kF32: {
        float f = 0;
        CORRAL_TRY(read(&f, where, field));
        *out = GgufValue::from_f32(f);
        return ok_status();
      }
      case GgufType::kF64: {
        double d = 0;
        CORRAL_TRY(read(&d, where, field));
        *out = GgufValue::from_f64(d);
        return ok_status();
      }
      default:
        break;
    }
    CORRAL_TRY(need(scalar_size(type), where, field));
    int64_t v = read_int_unchecked(type);
    switch (type) {
      case GgufType::kU8:
        *out = GgufValue::from_u8(static_cast<uint8_t>(v));
        break;
      case GgufType::kI8:
        *out = GgufValue::from_i8(static_cast<int8_t>(v));
        break;
      case GgufType::kU16:
        *out = GgufValue::from_u16(static_cast<uint16_t>(v));
        break;
      case GgufType::kI16:
        *out = GgufValue::from_i16(static_cast<int16_t>(v));
        break;
      case GgufType::kU32:
        *out = GgufValue::from_u32(static_cast<uint32_t>(v));
        break;
      case GgufType::kI32:
        *out = GgufValue::from_i32(static_cast<int32_t>(v));
        break;
      case GgufType::kU64:
        *out = GgufValue::from_u64(static_cast<uint64_t>(v));
        break;
      case GgufType::kI64:
        *out = GgufValue::from_i64(v);
        break;
      case GgufType::kBool:
        CORRAL_TRY(check_bool(v, at, where, field));
        *out = GgufValue::from_bool(v != 0);
        break;
      default:
        break;
    }
    return ok_status();
  }

  // An array: element type (u32), count (u64), then the elements. `depth` is 1 for an array
  // that is the value of a KV pair.
  Status read_array(int depth, GgufArray* out, std::string_view where) {
    if (depth > kGgufMaxArrayDepth) {
      return fail(StatusCode::kCorrupt, pos_, where, "array", "arrays are nested deeper than %d levels",
                  kGgufMaxArrayDepth);
    }
    CORRAL_TRY(read_type(&out->element_type, where, "array element type"));
    uint64_t count_at = pos_;
    uint64_t count = 0;
    CORRAL_TRY(read(&count, where, "array count"));
    const GgufType et = out->element_type;
    const uint64_t min_size = min_element_size(et);
    if (count > remaining() / min_size) {
      return fail(StatusCode::kCorrupt, count_at, where, "array count",
                  "%" PRIu64 " elements of type %s need at least %" PRIu64
                  " bytes each, the file has %" PRIu64 " left",
                  count, std::string(gguf_type_name(et)).c_str(), min_size, remaining());
    }
    const size_t n = static_cast<size_t>(count);
    switch (et) {
      case GgufType::kString:
        out->strings.resize(n);
        for (size_t i = 0; i < n; ++i) CORRAL_TRY(read_string(&out->strings[i], where, "array string"));
        return ok_status();
      case GgufType::kArray:
        out->values.resize(n);
        for (size_t i = 0; i < n; ++i) {
          GgufArray inner;
          CORRAL_TRY(read_array(depth + 1, &inner, where));
          out->values[i] = GgufValue::from_array(std::move(inner));
        }
        return ok_status();
      case GgufType::kF32:
        out->floats.resize(n);
        for (size_t i = 0; i < n; ++i) out->floats[i] = static_cast<double>(read_unchecked<float>());
        return ok_status();
      case GgufType::kF64:
        out->floats.resize(n);
        for (size_t i = 0; i < n; ++i) out->floats[i] = read_unchecked<double>();
        return ok_status();
      default:
        out->ints.resize(n);
        for (size_t i = 0; i < n; ++i) {
          uint64_t at = pos_;
          out->ints[i] = read_int_unchecked(et);
          if (et == GgufType::kBool) CORRAL_TRY(check_bool(out->ints[i], at, where, "array bool"));
        }
        return ok_status();
    }
  }

  Status parse_header(GgufFile* out) {
    if (bytes_.size() < 4) {
      return fail(StatusCode::kCorrupt, 0, "", "magic", "truncated: the file has only %zu bytes",
                  bytes_.size());
    }
    if (std::memcmp(bytes_.data(), gguf_internal::kMagic, 4) != 0) {
      char m[4];
      std::memcpy(m, bytes_.data(), 4);
      for (char& c : m) {
        if (c < 0x20 || c > 0x7e) c = '?';
      }
      return fail(StatusCode::kCorrupt, 0, "", "magic", "'%.4s' is not 'GGUF': not a GGUF file", m);
    }
    pos_ = 4;
    uint32_t version = 0;
    CORRAL_TRY(read(&version, "", "version"));
    if (version == 1) {
      return fail(StatusCode::kUnsupported, 4, "", "version",
                  "GGUF v1 (32-bit counts) is not supported; re-convert the model to GGUF v3");
    }
    if (version != 2 && version != 3) {
      if (__builtin_bswap32(version) == 2 || __builtin_bswap32(version) == 3) {
        return fail(StatusCode::kUnsupported, 4, "", "version", "big-endian GGUF files are not supported");
      }
      return fail(StatusCode::kUnsupported, 4, "", "version",
                  "version %" PRIu32 " is not supported (only 2 and 3)", version);
    }
    out->version_ = version;
    tensor_count_at_ = pos_;
    CORRAL_TRY(read(&tensor_count_, "", "tensor_count"));
    uint64_t kv_count_at = pos_;
    CORRAL_TRY(read(&kv_count_, "", "kv_count"));
    // The smallest KV pair: key length (8), value type (4), a one-byte value.
    constexpr uint64_t kMinKv = 13;
    if (kv_count_ > remaining() / kMinKv) {
      return fail(StatusCode::kCorrupt, kv_count_at, "", "kv_count",
                  "%" PRIu64 " key-value pairs cannot fit in the %" PRIu64 " bytes left", kv_count_,
                  remaining());
    }
    return ok_status();
  }

  Status parse_metadata(GgufFile* out) {
    std::unordered_set<std::string> seen;
    out->metadata_.reserve(static_cast<size_t>(kv_count_));
    for (uint64_t i = 0; i < kv_count_; ++i) {
      std::string where = format_string("key %" PRIu64, i);
      uint64_t key_at = pos_;
      std::string key;
      CORRAL_TRY(read_string(&key, where, "name"));
      where = describe_key(i, key);
      if (!seen.insert(key).second) {
        return fail(StatusCode::kCorrupt, key_at, where, "name", "duplicate key");
      }
      GgufType type = GgufType::kU8;
      CORRAL_TRY(read_type(&type, where, "type"));
      uint64_t value_at = pos_;
      GgufValue value;
      CORRAL_TRY(read_value(type, 0, &value, where, "value"));
      if (key == "general.alignment") {
        if (type != GgufType::kU32) {
          return fail(StatusCode::kCorrupt, value_at, where, "value", "must be a u32, not %s",
                      std::string(gguf_type_name(type)).c_str());
        }
        uint64_t a = *value.as_uint();
        if (!gguf_internal::is_power_of_two(a)) {
          return fail(StatusCode::kCorrupt, value_at, where, "value",
                      "alignment %" PRIu64 " is not a non-zero power of two", a);
        }
        out->alignment_ = a;
      }
      out->metadata_.emplace_back(std::move(key), std::move(value));
    }
    return ok_status();
  }

  Status parse_tensor_info(uint64_t index, GgufTensorInfo* t, TensorFields* fields) {
    std::string where = format_string("tensor %" PRIu64, index);
    CORRAL_TRY(read_string(&t->name, where, "name"));
    where = describe_tensor(index, t->name);
    uint64_t ndims_at = pos_;
    uint32_t n_dims = 0;
    CORRAL_TRY(read(&n_dims, where, "n_dims"));
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return fail(StatusCode::kCorrupt, ndims_at, where, "n_dims",
                  "%" PRIu32 " dimensions (must be 1 to %" PRIu32 ")", n_dims, kGgufMaxDims);
    }
    fields->dims_at = pos_;
    uint64_t dims[kGgufMaxDims] = {};
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t at = pos_;
      std::string field = format_string("dim %" PRIu32, d);
      CORRAL_TRY(read(&dims[d], where, field.c_str()));
      if (dims[d] == 0) return fail(StatusCode::kCorrupt, at, where, field.c_str(), "dimension is 0");
      if (dims[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          !checked_mul(elements, dims[d], &elements) ||
          elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail(StatusCode::kCorrupt, at, where, field.c_str(),
                    "dimension %" PRIu64 " makes the element count overflow", dims[d]);
      }
    }
    uint64_t type_at = pos_;
    uint32_t type_id = 0;
    CORRAL_TRY(read(&type_id, where, "type"));
    std::optional<DTypeTraits> traits = dtype_traits_of(type_id);
    if (!traits)
      return fail(StatusCode::kUnsupported, type_at, where, "type", "unknown tensor type %" PRIu32, type_id);
    t->dtype = traits->type;
    if (dims[0] % traits->block_size != 0) {
      return fail(StatusCode::kCorrupt, fields->dims_at, where, "dim 0",
                  "innermost dimension %" PRIu64 " is not a multiple of the %s block size %" PRIu32, dims[0],
                  std::string(traits->name).c_str(), traits->block_size);
    }
    // bytes = elements / block_size * block_bytes; elements < 2^63 and block_bytes < 2^9 may
    // still overflow, hence the checked multiply.
    if (!checked_mul(elements / traits->block_size, traits->block_bytes, &t->bytes)) {
      return fail(StatusCode::kCorrupt, fields->dims_at, where, "dims", "byte size overflows");
    }
    t->shape.assign(n_dims, 0);
    for (uint32_t d = 0; d < n_dims; ++d) t->shape[n_dims - 1 - d] = static_cast<int64_t>(dims[d]);
    fields->offset_at = pos_;
    CORRAL_TRY(read(&t->offset, where, "offset"));
    return ok_status();
  }

  Status parse_tensor_infos(GgufFile* out) {
    // The smallest tensor info: name length (8), n_dims (4), one dim (8), type (4), offset (8).
    constexpr uint64_t kMinTensorInfo = 32;
    if (tensor_count_ > remaining() / kMinTensorInfo) {
      return fail(StatusCode::kCorrupt, tensor_count_at_, "", "tensor_count",
                  "%" PRIu64 " tensor infos cannot fit in the %" PRIu64 " bytes left after the metadata",
                  tensor_count_, remaining());
    }
    out->tensors_.resize(static_cast<size_t>(tensor_count_));
    fields_.resize(static_cast<size_t>(tensor_count_));
    std::unordered_set<std::string_view> names;
    names.reserve(static_cast<size_t>(tensor_count_));
    for (uint64_t i = 0; i < tensor_count_; ++i) {
      uint64_t name_at = pos_;
      GgufTensorInfo& t = out->tensors_[i];
      CORRAL_TRY(parse_tensor_info(i, &t, &fields_[i]));
      // The tensors_ vector is never resized again, so views of names stay valid.
      if (!names.insert(t.name).second) {
        return fail(StatusCode::kCorrupt, name_at, describe_tensor(i, t.name), "name",
                    "duplicate tensor name");
      }
      if (t.offset % out->alignment_ != 0) {
        return fail(StatusCode::kCorrupt, fields_[i].offset_at, describe_tensor(i, t.name), "offset",
                    "offset %" PRIu64 " is not a multiple of the alignment %" PRIu64, t.offset,
                    out->alignment_);
      }
    }
    uint64_t data_offset = 0;
    if (!gguf_internal::align_up(pos_, out->alignment_, &data_offset)) {
      return fail(StatusCode::kCorrupt, pos_, "", "data section", "offset overflows");
    }
    out->data_offset_ = data_offset;
    return ok_status();
  }

  Status check_tensor_ranges(GgufFile* out) {
    const auto& tensors = out->tensors_;
    if (tensors.empty()) return ok_status();
    const uint64_t size = bytes_.size();
    if (out->data_offset_ > size) {
      return fail(StatusCode::kCorrupt, pos_, "", "data section",
                  "starts at byte %" PRIu64 ", past the end of the %" PRIu64 "-byte file", out->data_offset_,
                  size);
    }
    const uint64_t data_size = size - out->data_offset_;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const GgufTensorInfo& t = tensors[i];
      if (t.offset > data_size || t.bytes > data_size - t.offset) {
        return fail(StatusCode::kCorrupt, fields_[i].offset_at, describe_tensor(i, t.name), "offset",
                    "data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the data section (%" PRIu64
                    " bytes)",
                    t.offset, t.bytes, data_size);
      }
    }
    std::vector<size_t> order(tensors.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
      const GgufTensorInfo& prev = tensors[order[k - 1]];
      const GgufTensorInfo& cur = tensors[order[k]];
      if (cur.offset < prev.offset + prev.bytes) {
        return fail(StatusCode::kCorrupt, fields_[order[k]].offset_at, describe_tensor(order[k], cur.name),
                    "offset", "data at %" PRIu64 " overlaps tensor '%s' [%" PRIu64 ", +%" PRIu64 ")",
                    cur.offset, printable(prev.name).c_str(), prev.offset, prev.bytes);
      }
    }
    return ok_status();
  }

  std::span<const std::byte> bytes_;
  uint64_t pos_ = 0;
  uint64_t tensor_count_ = 0;
  uint64_t tensor_count_at_ = 0;
  uint64_t kv_count_ = 0;
  std::vector<TensorFields> fields_;
};

Result<GgufFile> GgufFile::parse(std::span<const std::byte> bytes) {
  GgufFile out;
  out.bytes_ = bytes;
  GgufParser parser(bytes);
  CORRAL_TRY(parser.parse(&out));
  return out;
}

Result<GgufFile> GgufFile::open(const std::string& path, MappedFile::Load load) {
  Result<MappedFile> mapped = MappedFile::open(path, load);
  if (!mapped.ok()) return mapped.status();
  Result<GgufFile> parsed = parse(mapped->bytes());
  if (!parsed.ok()) return parsed.status().with_context(path);
  GgufFile out = std::move(parsed).value();
  // The mapping's address does not change when the MappedFile moves, so bytes_ stays valid.
  out.file_ = std::move(mapped).value();
  return out;
}

}  // namespace corral
