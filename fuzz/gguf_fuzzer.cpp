// libFuzzer target: GgufFile::parse on arbitrary bytes, then a walk over everything it
// returns (metadata values, nested arrays, tensor data spans) and the summary formatter.
#include <cstddef>
#include <cstdint>

#include "formats/gguf.h"

namespace {

uint64_t walk(const corral::GgufValue& v, int depth) {
  uint64_t h = static_cast<uint64_t>(v.type());
  if (const corral::GgufArray* a = v.as_array()) {
    h += a->size();
    for (const corral::GgufValue& inner : a->values) h += walk(inner, depth + 1);
    for (const std::string& s : a->strings) h += s.size();
    for (int64_t i : a->ints) h += static_cast<uint64_t>(i);
    for (double d : a->floats) h += d > 0 ? 1 : 0;
  } else if (const std::string* s = v.as_string()) {
    h += s->size();
  } else {
    h += v.as_int().value_or(0) + v.as_uint().value_or(0);
    h += v.as_float().value_or(0) > 0 ? 1 : 0;
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = corral::GgufFile::parse({reinterpret_cast<const std::byte*>(data), size});
  if (!parsed.ok()) return 0;
  const corral::GgufFile& f = *parsed;
  volatile uint64_t sink = 0;
  for (const auto& [key, value] : f.metadata()) sink = sink + key.size() + walk(value, 0);
  for (const corral::GgufTensorInfo& t : f.tensors()) {
    std::span<const std::byte> d = f.tensor_data(t);
    uint64_t sum = t.num_elements();
    // Touch the first and last byte of every tensor: out-of-range spans trip ASan.
    if (!d.empty()) sum += static_cast<uint8_t>(d.front()) + static_cast<uint8_t>(d.back());
    sink = sink + sum;
    if (f.find_tensor(t.name) == nullptr) __builtin_trap();
  }
  sink = sink + corral::gguf_summary(f).size();
  return 0;
}
