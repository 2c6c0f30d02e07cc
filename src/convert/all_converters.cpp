// The explicit list of HF -> GGUF architecture converters.
#include "convert/arch_converter.h"

namespace corral::convert {

std::span<const ArchConverter* const> all_converters() {
  static const ArchConverter* const kList[] = {
      &llama_converter(),
      &qwen2_converter(),
  };
  return kList;
}

const ArchConverter* find_converter(std::string_view hf_architecture) {
  for (const ArchConverter* c : all_converters()) {
    for (std::string_view a : c->hf_architectures) {
      if (a == hf_architecture) return c;
    }
  }
  return nullptr;
}

}  // namespace corral::convert
