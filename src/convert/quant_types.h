// Quantization targets (`--quantize q4_K_M`, `corral quantize IN OUT q8_0`) and the per-tensor
// type mixture rules of llama.cpp's llama_tensor_get_type as published facts: which tensors
// get more bits (attn_v and ffn_down in selected layers, the output projection), which stay
// F32 (norms, 1-D tensors), and the fallbacks when a row length is not a multiple of the block
// size. Depends on util only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/dtype.h"
#include "util/status.h"

namespace corral::convert {

enum class QuantType { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ4_K_S, kQ4_K_M, kQ5_K_M, kQ6_K };

// Case-insensitive ("q4_K_M", "Q8_0", "f16"); invalid_argument listing the choices otherwise.
Result<QuantType> parse_quant_type(std::string_view name);
std::string_view quant_type_name(QuantType t);  // "Q4_K_M"
// general.file_type (llama_ftype numbering: F32 0, F16 1, Q4_0 2, Q4_1 3, Q8_0 7, Q5_0 8,
// Q5_1 9, Q4_K_S 14, Q4_K_M 15, Q5_K_M 17, Q6_K 18, BF16 32).
uint32_t quant_file_type(QuantType t);
// The type most tensors get (Q4_K for Q4_K_M).
DType quant_base_type(QuantType t);

struct TensorQuantContext {
  std::string_view name;          // GGUF tensor name
  std::span<const int64_t> shape; // outermost-first
  int64_t n_layers = 0;           // block_count
  bool has_output = true;         // false when the model ties output to token_embd
};

// The type a tensor gets under `t`: F32 for tensors that are not 2-D+ "*.weight" matrices (and
// for rope_freqs), the mixture rule otherwise, then the block-size fallbacks
// (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, anything else -> F16).
DType choose_tensor_type(QuantType t, const TensorQuantContext& ctx);

// True when layer i of n gets the extra bits of the _M mixtures (first and last eighth, and
// every third layer in between).
bool use_more_bits(int64_t i, int64_t n);

}  // namespace corral::convert
