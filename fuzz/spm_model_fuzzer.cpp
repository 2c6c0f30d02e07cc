// libFuzzer target: SentencePiece tokenizer.model parsing (convert/spm_model.h). Any input must
// give a model or a clean Status; sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <span>

#include "convert/spm_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size);
  auto model = corral::convert::parse_spm_model(bytes);
  if (model.ok() && model->pieces.empty()) __builtin_trap();  // the parser promises pieces on success
  return 0;
}
