// libFuzzer target: the restricted unpickler on arbitrary bytes; inputs that start with "PK"
// also go through the whole torch.save reader (zip directory, data.pkl, storage views).
#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/pickle.h"
#include "formats/torch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  corral::Result<corral::PickleTree> tree = corral::unpickle_restricted(bytes);
  if (tree.ok()) {
    // Every index in the tree must point inside the arena.
    for (size_t i = 0; i < tree->size(); ++i) {
      for (uint32_t id : tree->node(static_cast<uint32_t>(i)).items) {
        if (id >= tree->size()) __builtin_trap();
      }
    }
  }
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    corral::Result<corral::TorchCheckpoint> ckpt = corral::TorchCheckpoint::parse(bytes);
    if (ckpt.ok()) {
      unsigned sum = 0;
      for (const corral::HfTensor& t : ckpt->tensors()) {
        if (t.data.size() != t.num_elements() * corral::hf_dtype_size(t.dtype)) __builtin_trap();
        if (!t.data.empty()) sum += std::to_integer<unsigned>(t.data.back());
      }
      (void)sum;
    }
  }
  return 0;
}
