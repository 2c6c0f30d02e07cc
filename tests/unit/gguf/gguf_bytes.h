// Test helper: builds GGUF byte buffers field by field, straight from the format specification
// (little-endian; string = u64 length + bytes; KV = key, u32 type, value; array = u32 element
// type, u64 count, elements; tensor info = name, u32 n_dims, u64 dims innermost-first, u32 type,
// u64 offset; data section aligned). It shares no code with the reader or writer under test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corral::gguf_test {

// Value type ids of the GGUF specification.
enum : uint32_t {
  kTU8 = 0, kTI8 = 1, kTU16 = 2, kTI16 = 3, kTU32 = 4, kTI32 = 5, kTF32 = 6, kTBool = 7,
  kTString = 8, kTArray = 9, kTU64 = 10, kTI64 = 11, kTF64 = 12,
};

class GgufBytes {
 public:
  std::vector<std::byte> buf;
  std::map<std::string, size_t> marks;  // named offsets of fields, for mutation tests

  void mark(const std::string& name) { marks[name] = buf.size(); }
  size_t at(const std::string& name) const { return marks.at(name); }

  template <typename T>
  void put(T v) {
    size_t n = buf.size();
    buf.resize(n + sizeof(T));
    std::memcpy(buf.data() + n, &v, sizeof(T));
  }
  void u8(uint8_t v) { put(v); }
  void u32(uint32_t v) { put(v); }
  void u64(uint64_t v) { put(v); }
  void raw(std::string_view s) {
    for (char c : s) buf.push_back(static_cast<std::byte>(c));
  }
  void str(std::string_view s) {
    u64(s.size());
    raw(s);
  }
  void header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    raw("GGUF");
    u32(version);
    u64(n_tensors);
    u64(n_kv);
  }
  // Starts a KV pair: key and value type. The value follows.
  void key(std::string_view k, uint32_t type) {
    str(k);
    u32(type);
  }
  void tensor_info(std::string_view name, const std::vector<uint64_t>& dims_inner_first, uint32_t type,
                   uint64_t offset, const std::string& mark_prefix = "") {
    if (!mark_prefix.empty()) mark(mark_prefix + ".name");
    str(name);
    if (!mark_prefix.empty()) mark(mark_prefix + ".ndims");
    u32(static_cast<uint32_t>(dims_inner_first.size()));
    for (size_t i = 0; i < dims_inner_first.size(); ++i) {
      if (!mark_prefix.empty()) mark(mark_prefix + ".dim" + std::to_string(i));
      u64(dims_inner_first[i]);
    }
    if (!mark_prefix.empty()) mark(mark_prefix + ".type");
    u32(type);
    if (!mark_prefix.empty()) mark(mark_prefix + ".offset");
    u64(offset);
  }
  void pad(size_t alignment) {
    while (buf.size() % alignment != 0) buf.push_back(std::byte{0});
  }
  void fill(size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; ++i) buf.push_back(static_cast<std::byte>((seed + i * 7) & 0xff));
  }

  template <typename T>
  void patch(size_t offset, T v) {
    std::memcpy(buf.data() + offset, &v, sizeof(T));
  }
  std::span<const std::byte> span() const { return buf; }
};

}  // namespace corral::gguf_test
