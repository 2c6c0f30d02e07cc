// GGUF (v2, v3): reader with zero-copy tensor data over a mmapped file, and writer.
// Shapes are converted here, once, from GGUF's innermost-first order to corral's
// outermost-first order (as PyTorch prints them). Every number read from a file is checked
// against the file size before use; a malformed file gives a kCorrupt Status naming the field
// and its byte offset. Depends on util only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "formats/tensor_listing.h"
#include "util/dtype.h"
#include "util/file.h"
#include "util/status.h"

namespace corral {

enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
std::string_view gguf_type_name(GgufType type);

// Limits the reader enforces (and the writer respects).
inline constexpr uint64_t kGgufDefaultAlignment = 32;
inline constexpr int kGgufMaxArrayDepth = 8;  // an array directly in a KV pair has depth 1
inline constexpr uint32_t kGgufMaxDims = 4;

class GgufValue;

// A typed array; nested arrays are arrays of GgufValue (element type kArray).
struct GgufArray {
  GgufType element_type = GgufType::kU8;
  // Exactly one of these is used, chosen by element_type:
  std::vector<int64_t> ints;         // kU8..kI32, kU64 (as two's complement bits), kI64, kBool (0/1)
  std::vector<double> floats;        // kF32, kF64
  std::vector<std::string> strings;  // kString
  std::vector<GgufValue> values;     // kArray (nested)
  size_t size() const;
};
// Exact equality: same element type and values (floats compared bit for bit).
bool operator==(const GgufArray& a, const GgufArray& b);

class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue from_u8(uint8_t v);
  static GgufValue from_i8(int8_t v);
  static GgufValue from_u16(uint16_t v);
  static GgufValue from_i16(int16_t v);
  static GgufValue from_u32(uint32_t v);
  static GgufValue from_i32(int32_t v);
  static GgufValue from_u64(uint64_t v);
  static GgufValue from_i64(int64_t v);
  static GgufValue from_f32(float v);
  static GgufValue from_f64(double v);
  static GgufValue from_bool(bool v);
  static GgufValue from_string(std::string v);
  static GgufValue from_array(GgufArray v);

  GgufType type() const { return type_; }
  // Integer kinds (and bool) as int64/uint64 when representable; nullopt otherwise.
  std::optional<int64_t> as_int() const;
  std::optional<uint64_t> as_uint() const;
  // Any numeric kind as double.
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  const GgufArray* as_array() const;

  bool operator==(const GgufValue& other) const;

 private:
  GgufType type_ = GgufType::kU8;
  std::variant<int64_t, uint64_t, double, bool, std::string, std::shared_ptr<const GgufArray>> v_;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> shape;  // outermost-first (reversed from the file's order)
  DType dtype = DType::kF32;
  uint64_t offset = 0;  // relative to the start of the data section
  uint64_t bytes = 0;   // exact byte size from shape and dtype
  uint64_t num_elements() const;
};

// An opened GGUF. Move-only; tensor data spans point into the mapping it owns (or into the
// caller's bytes for parse()), valid while the GgufFile lives. Thread-compatible.
class GgufFile {
 public:
  static Result<GgufFile> open(const std::string& path, MappedFile::Load load = MappedFile::Load::kMap);
  // Parses bytes the caller keeps alive (fuzzing, tests). No copy of tensor data.
  static Result<GgufFile> parse(std::span<const std::byte> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute offset of the data section
  size_t file_size() const { return bytes_.size(); }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  const GgufArray* get_array(std::string_view key) const;
  // "general.architecture", or "" when absent.
  std::string architecture() const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  std::span<const std::byte> tensor_data(const GgufTensorInfo& info) const;
  // MappedFile::set_writable of a file opened with Load::kCopy (kUnsupported otherwise).
  Status set_writable(bool writable) { return file_.set_writable(writable); }

 private:
  MappedFile file_;
  std::span<const std::byte> bytes_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  friend class GgufParser;
};

// Writes GGUF v3. Tensor data is streamed: add_tensor() records name/shape/dtype and a source
// (bytes the caller keeps alive, or a callback that produces the bytes when the data section is
// written), so a converter never holds the whole model in memory.
class GgufWriter {
 public:
  using Producer = std::function<Status(std::vector<std::byte>* out)>;

  void set_alignment(uint64_t alignment);
  void set(std::string key, GgufValue value);  // replaces an existing key, keeps order
  Status add_tensor(std::string name, std::vector<int64_t> shape_outer_first, DType dtype,
                    std::span<const std::byte> data);
  Status add_tensor(std::string name, std::vector<int64_t> shape_outer_first, DType dtype, Producer producer);
  // Writes atomically to `path` (temporary file + rename).
  Status write(const std::string& path) const;

 private:
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> shape;
    DType dtype;
    uint64_t bytes;
    std::span<const std::byte> data;
    Producer producer;
  };
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<PendingTensor> tensors_;
};

// Copies every metadata key and tensor of `file` into `writer` (tensors by reference).
Status gguf_copy_into(const GgufFile& file, GgufWriter* writer);

// Lists the tensors of a GGUF file for `corral show --tensors` (shapes outermost-first,
// dtypes spelled as GGUF spells them).
Result<CheckpointListing> list_gguf_tensors(const std::string& path);

// A human-readable summary for `corral show FILE.gguf`: architecture, parameter count, context
// and embedding length, quantization, tensor count, then every metadata key with its value
// (arrays longer than a few elements elided as `[... N items]`, long strings shortened).
std::string gguf_summary(const GgufFile& file);
// The llama file-type name for `general.file_type` ("Q4_K_M", "F16", ...), or "" if unknown.
std::string_view gguf_file_type_name(uint32_t file_type);

}  // namespace corral
