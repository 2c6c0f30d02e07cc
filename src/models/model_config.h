// ModelConfig: the hyper-parameters every decoder shares, with descriptive names, parsed from
// the GGUF keys under "<general.architecture>." (embedding_length, block_count,
// attention.head_count(_kv), ...) plus the vocabulary size from token_embd's shape. Every value
// is validated (present, positive, consistent), so a model's forward can trust it.
// Depends on formats/gguf.h and util/.
#pragma once

#include <cstdint>
#include <string>

#include "formats/gguf.h"
#include "util/status.h"

namespace corral {

enum class RopeScalingType : uint8_t { kNone, kLinear, kYarn };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;  // <arch>.rope.scaling.type
  float factor = 1.0f;                            // <arch>.rope.scaling.factor
  int64_t original_context_length = 0;            // <arch>.rope.scaling.original_context_length
};

struct ModelConfig {
  std::string architecture;     // general.architecture
  int64_t vocab_size = 0;       // rows of token_embd.weight
  int64_t hidden_size = 0;      // embedding_length
  int64_t num_layers = 0;       // block_count
  int64_t num_heads = 0;        // attention.head_count
  int64_t num_kv_heads = 0;     // attention.head_count_kv (default: num_heads)
  int64_t head_dim = 0;         // attention.key_length (default: hidden_size / num_heads)
  int64_t head_dim_v = 0;       // attention.value_length (default: head_dim)
  int64_t ffn_dim = 0;          // feed_forward_length
  int64_t context_length = 0;   // context_length (training context)
  float rope_base = 10000.0f;   // rope.freq_base
  int64_t rope_dims = 0;        // rope.dimension_count (default: head_dim)
  RopeScaling rope_scaling;
  float norm_eps = 1e-5f;       // attention.layer_norm_rms_epsilon
};

// Parses and validates the keys of `file`'s architecture. Missing required keys are kNotFound,
// out-of-range or inconsistent values kCorrupt; the message names the key.
Result<ModelConfig> parse_model_config(const GgufFile& file);

}  // namespace corral
