// HF -> GGUF conversion and GGUF -> GGUF quantization. Conversion reads an HF model folder
// (config.json, safetensors or PyTorch weights, tokenizer files), maps names, keys and tensors
// through the architecture's ArchConverter and streams the GGUF out tensor by tensor, so peak
// memory stays near the largest tensor. Depends on util, formats, ml, tokenizer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "convert/quant_types.h"
#include "util/status.h"

namespace corral::convert {

struct ConvertOptions {
  // F32/F16/BF16 output for all 2-D weights, or a quantization mixture; nullopt = every
  // tensor keeps its source float type (F64 becomes F32; 1-D tensors are always F32).
  std::optional<QuantType> type;
  int threads = 0;   // 0 = hardware threads
  std::string name;  // general.name; default: the folder's name
};

struct ConvertResult {
  std::string architecture;                 // GGUF architecture
  std::optional<std::string> chat_template; // the checkpoint's Jinja chat template
  size_t tensors = 0;
  std::vector<std::string> warnings;
};

// Converts the HF folder `dir` to a GGUF at `out_path` (written atomically).
Result<ConvertResult> convert_hf_directory(const std::string& dir, const std::string& out_path,
                                           const ConvertOptions& options);

// Re-encodes the F32/F16/BF16 weights of a GGUF with a quantization mixture; metadata is
// copied (general.file_type and general.quantization_version updated).
Status quantize_gguf(const std::string& in_path, const std::string& out_path, QuantType type, int threads = 0);

}  // namespace corral::convert
