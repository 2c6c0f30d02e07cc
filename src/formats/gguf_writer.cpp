// GGUF v3 writer: metadata in insertion order, tensor infos in insertion order with offsets
// packed at the alignment, then each tensor's bytes streamed to a temporary file descriptor
// (one tensor in memory at a time at most) and renamed into place.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <limits>
#include <random>
#include <unordered_set>

#include "formats/gguf.h"
#include "formats/gguf_internal.h"
#include "util/check.h"

namespace corral {

using gguf_internal::is_power_of_two;

namespace {

template <typename T>
void put(std::string* buf, T v) {
  char raw[sizeof(T)];
  std::memcpy(raw, &v, sizeof(T));
  buf->append(raw, sizeof(T));
}

void put_string(std::string* buf, std::string_view s) {
  put<uint64_t>(buf, s.size());
  buf->append(s);
}

bool int_fits(GgufType type, int64_t v) {
  switch (type) {
    case GgufType::kU8: return v >= 0 && v <= std::numeric_limits<uint8_t>::max();
    case GgufType::kI8: return v >= std::numeric_limits<int8_t>::min() && v <= std::numeric_limits<int8_t>::max();
    case GgufType::kU16: return v >= 0 && v <= std::numeric_limits<uint16_t>::max();
    case GgufType::kI16: return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
    case GgufType::kU32: return v >= 0 && v <= std::numeric_limits<uint32_t>::max();
    case GgufType::kI32: return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
    case GgufType::kBool: return v == 0 || v == 1;
    default: return true;  // kU64 (two's complement bits) and kI64
  }
}

// Appends one integer of `type` (already range-checked).
void put_int(std::string* buf, GgufType type, int64_t v) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kBool: put<uint8_t>(buf, static_cast<uint8_t>(v)); break;
    case GgufType::kI8: put<int8_t>(buf, static_cast<int8_t>(v)); break;
    case GgufType::kU16: put<uint16_t>(buf, static_cast<uint16_t>(v)); break;
    case GgufType::kI16: put<int16_t>(buf, static_cast<int16_t>(v)); break;
    case GgufType::kU32: put<uint32_t>(buf, static_cast<uint32_t>(v)); break;
    case GgufType::kI32: put<int32_t>(buf, static_cast<int32_t>(v)); break;
    case GgufType::kU64: put<uint64_t>(buf, static_cast<uint64_t>(v)); break;
    case GgufType::kI64: put<int64_t>(buf, v); break;
    default: break;
  }
}

Status put_array(std::string* buf, const GgufArray& arr, int depth, std::string_view key) {
  if (depth > kGgufMaxArrayDepth) {
    return invalid_argument("gguf writer: key '%.*s': arrays nested deeper than %d levels",
                            static_cast<int>(key.size()), key.data(), kGgufMaxArrayDepth);
  }
  const GgufType et = arr.element_type;
  put<uint32_t>(buf, static_cast<uint32_t>(et));
  put<uint64_t>(buf, arr.size());
  switch (et) {
    case GgufType::kF32:
      for (double d : arr.floats) put<float>(buf, static_cast<float>(d));
      return ok_status();
    case GgufType::kF64:
      for (double d : arr.floats) put<double>(buf, d);
      return ok_status();
    case GgufType::kString:
      for (const std::string& s : arr.strings) put_string(buf, s);
      return ok_status();
    case GgufType::kArray:
      for (const GgufValue& v : arr.values) {
        const GgufArray* inner = v.as_array();
        if (inner == nullptr) {
          return invalid_argument("gguf writer: key '%.*s': an array of arrays holds a %s",
                                  static_cast<int>(key.size()), key.data(),
                                  std::string(gguf_type_name(v.type())).c_str());
        }
        CORRAL_TRY(put_array(buf, *inner, depth + 1, key));
      }
      return ok_status();
    default:
      for (int64_t v : arr.ints) {
        if (!int_fits(et, v)) {
          return invalid_argument("gguf writer: key '%.*s': array value %" PRId64 " does not fit a %s",
                                  static_cast<int>(key.size()), key.data(), v,
                                  std::string(gguf_type_name(et)).c_str());
        }
        put_int(buf, et, v);
      }
      return ok_status();
  }
}

Status put_value(std::string* buf, const GgufValue& v, std::string_view key) {
  const GgufType type = v.type();
  put<uint32_t>(buf, static_cast<uint32_t>(type));
  switch (type) {
    case GgufType::kString: put_string(buf, *v.as_string()); return ok_status();
    case GgufType::kArray: return put_array(buf, *v.as_array(), 1, key);
    case GgufType::kF32: put<float>(buf, static_cast<float>(*v.as_float())); return ok_status();
    case GgufType::kF64: put<double>(buf, *v.as_float()); return ok_status();
    case GgufType::kU64: put<uint64_t>(buf, *v.as_uint()); return ok_status();
    case GgufType::kBool: put<uint8_t>(buf, *v.as_bool() ? 1 : 0); return ok_status();
    default: put_int(buf, type, *v.as_int()); return ok_status();
  }
}

// A temporary file beside the destination, renamed over it by commit(); removed on failure.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {}
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Status open() {
    std::random_device rd;
    tmp_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      int err = errno;
      tmp_.clear();
      return io_error("%s: cannot create: %s", path_.c_str(), std::strerror(err));
    }
    return ok_status();
  }

  Status write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, std::min<size_t>(n, size_t{1} << 30));
      if (w < 0) {
        if (errno == EINTR) continue;
        return io_error("%s: write failed: %s", tmp_.c_str(), std::strerror(errno));
      }
      p += w;
      n -= static_cast<size_t>(w);
      written_ += static_cast<uint64_t>(w);
    }
    return ok_status();
  }

  Status pad_to(uint64_t alignment) {
    static const char kZeros[256] = {};
    uint64_t target = 0;
    CORRAL_CHECK(gguf_internal::align_up(written_, alignment, &target), "size overflow");
    while (written_ < target) CORRAL_TRY(write(kZeros, std::min<uint64_t>(target - written_, sizeof(kZeros))));
    return ok_status();
  }

  uint64_t written() const { return written_; }

  Status commit() {
    if (::fsync(fd_) != 0) return io_error("%s: fsync failed: %s", tmp_.c_str(), std::strerror(errno));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return io_error("%s: close failed: %s", tmp_.c_str(), std::strerror(errno));
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      return io_error("%s: rename failed: %s", path_.c_str(), std::strerror(errno));
    }
    committed_ = true;
    size_t slash = path_.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return ok_status();
  }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace

void GgufWriter::set_alignment(uint64_t alignment) {
  CORRAL_CHECK(is_power_of_two(alignment) && alignment <= std::numeric_limits<uint32_t>::max(),
               "GGUF alignment %" PRIu64 " is not a power of two that fits a u32", alignment);
  bool has_key = false;
  for (const auto& kv : metadata_) has_key |= kv.first == "general.alignment";
  if (alignment != kGgufDefaultAlignment || has_key) {
    set("general.alignment", GgufValue::from_u32(static_cast<uint32_t>(alignment)));
  }
  alignment_ = alignment;
}

void GgufWriter::set(std::string key, GgufValue value) {
  if (key == "general.alignment" && value.type() == GgufType::kU32 && is_power_of_two(*value.as_uint())) {
    alignment_ = *value.as_uint();
  }
  for (auto& kv : metadata_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(std::move(key), std::move(value));
}

namespace {

Result<uint64_t> tensor_bytes(const std::string& name, const std::vector<int64_t>& shape, DType dtype) {
  if (name.empty()) return invalid_argument("gguf writer: a tensor has an empty name");
  if (shape.empty() || shape.size() > kGgufMaxDims) {
    return invalid_argument("gguf writer: tensor '%s' has %zu dimensions (must be 1 to %" PRIu32 ")", name.c_str(),
                            shape.size(), kGgufMaxDims);
  }
  if (!dtype_traits_of(static_cast<uint32_t>(dtype))) {
    return invalid_argument("gguf writer: tensor '%s' has an unknown dtype %u", name.c_str(),
                            static_cast<unsigned>(dtype));
  }
  uint64_t elements = 1;
  for (int64_t d : shape) {
    if (d <= 0 || !checked_mul(elements, static_cast<uint64_t>(d), &elements)) {
      return invalid_argument("gguf writer: tensor '%s' has a bad dimension %" PRId64, name.c_str(), d);
    }
  }
  const DTypeTraits& traits = dtype_traits(dtype);
  uint64_t innermost = static_cast<uint64_t>(shape.back());
  if (innermost % traits.block_size != 0) {
    return invalid_argument("gguf writer: tensor '%s': innermost dimension %" PRIu64
                            " is not a multiple of the %s block size %" PRIu32,
                            name.c_str(), innermost, std::string(traits.name).c_str(), traits.block_size);
  }
  uint64_t bytes = 0;
  if (!checked_mul(elements / traits.block_size, traits.block_bytes, &bytes)) {
    return invalid_argument("gguf writer: tensor '%s' is too large", name.c_str());
  }
  return bytes;
}

}  // namespace

Status GgufWriter::add_tensor(std::string name, std::vector<int64_t> shape_outer_first, DType dtype,
                              std::span<const std::byte> data) {
  CORRAL_ASSIGN_OR_RETURN(uint64_t bytes, tensor_bytes(name, shape_outer_first, dtype));
  if (data.size() != bytes) {
    return invalid_argument("gguf writer: tensor '%s' has %zu bytes of data, its shape and dtype need %" PRIu64,
                            name.c_str(), data.size(), bytes);
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return invalid_argument("gguf writer: duplicate tensor '%s'", name.c_str());
  }
  tensors_.push_back({std::move(name), std::move(shape_outer_first), dtype, bytes, data, nullptr});
  return ok_status();
}

Status GgufWriter::add_tensor(std::string name, std::vector<int64_t> shape_outer_first, DType dtype,
                              Producer producer) {
  CORRAL_ASSIGN_OR_RETURN(uint64_t bytes, tensor_bytes(name, shape_outer_first, dtype));
  if (!producer) return invalid_argument("gguf writer: tensor '%s' has no producer", name.c_str());
  for (const auto& t : tensors_) {
    if (t.name == name) return invalid_argument("gguf writer: duplicate tensor '%s'", name.c_str());
  }
  tensors_.push_back({std::move(name), std::move(shape_outer_first), dtype, bytes, {}, std::move(producer)});
  return ok_status();
}

Status GgufWriter::write(const std::string& path) const {
  std::string head;
  head.append(gguf_internal::kMagic, 4);
  put<uint32_t>(&head, gguf_internal::kWriteVersion);
  put<uint64_t>(&head, tensors_.size());
  put<uint64_t>(&head, metadata_.size());
  for (const auto& [key, value] : metadata_) {
    if (key == "general.alignment" &&
        (value.type() != GgufType::kU32 || !is_power_of_two(*value.as_uint()) || *value.as_uint() != alignment_)) {
      return invalid_argument("gguf writer: general.alignment must be a u32 power of two");
    }
    put_string(&head, key);
    CORRAL_TRY(put_value(&head, value, key));
  }
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    put_string(&head, t.name);
    put<uint32_t>(&head, static_cast<uint32_t>(t.shape.size()));
    for (size_t d = t.shape.size(); d-- > 0;) put<uint64_t>(&head, static_cast<uint64_t>(t.shape[d]));
    put<uint32_t>(&head, static_cast<uint32_t>(t.dtype));
    put<uint64_t>(&head, offset);
    uint64_t end = 0;
    if (!checked_add(offset, t.bytes, &end) || !gguf_internal::align_up(end, alignment_, &offset)) {
      return invalid_argument("gguf writer: tensor data exceeds 2^64 bytes");
    }
  }

  AtomicFile out(path);
  CORRAL_TRY(out.open());
  CORRAL_TRY(out.write(head.data(), head.size()));
  CORRAL_TRY(out.pad_to(alignment_));
  const uint64_t data_start = out.written();
  std::vector<std::byte> produced;
  for (const PendingTensor& t : tensors_) {
    CORRAL_CHECK(out.written() % alignment_ == 0, "unaligned tensor start");
    std::span<const std::byte> data = t.data;
    if (t.producer) {
      produced.clear();
      Status st = t.producer(&produced);
      if (!st.ok()) return st.with_context("gguf writer: tensor '" + t.name + "'");
      if (produced.size() != t.bytes) {
        return invalid_argument("gguf writer: tensor '%s': the producer gave %zu bytes, its shape and dtype need %" PRIu64,
                                t.name.c_str(), produced.size(), t.bytes);
      }
      data = produced;
    }
    CORRAL_TRY(out.write(data.data(), data.size()));
    CORRAL_TRY(out.pad_to(alignment_));
  }
  CORRAL_CHECK(out.written() - data_start == offset, "data section size mismatch");
  return out.commit();
}

Status gguf_copy_into(const GgufFile& file, GgufWriter* writer) {
  for (const auto& [key, value] : file.metadata()) writer->set(key, value);
  for (const GgufTensorInfo& t : file.tensors()) {
    CORRAL_TRY(writer->add_tensor(t.name, t.shape, t.dtype, file.tensor_data(t)));
  }
  return ok_status();
}

}  // namespace corral
