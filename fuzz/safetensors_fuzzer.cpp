// libFuzzer target: the safetensors header parser and tensor views on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  corral::Result<corral::SafetensorsFile> f = corral::SafetensorsFile::parse(bytes);
  if (!f.ok()) return 0;
  // Touch every tensor's first and last byte: views must lie inside the input.
  unsigned sum = 0;
  for (const corral::HfTensor& t : f->tensors()) {
    if (t.data.size() != t.num_elements() * corral::hf_dtype_size(t.dtype)) __builtin_trap();
    if (!t.data.empty()) sum += std::to_integer<unsigned>(t.data.front()) + std::to_integer<unsigned>(t.data.back());
    if (f->find(t.name) != &t) __builtin_trap();
  }
  return static_cast<int>(sum & 0);
}
