// The op vocabulary (Op) and the plain parameter structs of each op. Only enums and
// aggregates: backends' per-ISA kernel files may include this without pulling in inline code.
// Depends on util/dtype.h only; op.h adds the OpParams variant and the shape rules.
#pragma once

#include <cstdint>

#include "util/dtype.h"

namespace corral {

enum class Op : uint8_t {
  kNone = 0,        // a leaf: input, weight, cache
  kView,            // reshape / view / permute / transpose / slice: shares its source's storage
  kGetRows,         // embedding lookup, any table dtype -> F32
  kMulMat,          // x @ w^T, batched with broadcasting
  kAdd, kSub, kMul, kDiv,
  kScale,           // x * scale + bias
  kRmsNorm, kLayerNorm,
  kSoftmax,         // softmax(x * scale + mask) over the last dim
  kRope,
  kSilu, kGelu, kGeluErf, kTanh, kSigmoid, kExp,
  kSwiglu, kGeglu,  // act(gate) * up
  kConcat,
  kCopy,            // contiguous copy with dtype conversion
  kSetRows,         // write rows into a (cache) tensor in place
  kIm2col,          // conv2d's patch matrix
  kPool2d,
  kArgmax, kSum, kMean,
  kFlashAttention,
  kCount,
};

struct ScaleParams {
  float scale = 1.0f;
  float bias = 0.0f;
};

struct NormParams {
  float eps = 1e-6f;
};

struct SoftmaxParams {
  float scale = 1.0f;
};

// Rotation layouts. kNormal rotates adjacent pairs (x[2i], x[2i+1]); the others rotate
// (x[i], x[i + n_dims/2]) (GPT-NeoX). kMrope (Qwen2-VL text) takes the position of pair i from
// positions row s where pair i falls in section s; kVision (Qwen2-VL vision) does the same but
// restarts the frequency index in each section; k2d (Pixtral) uses positions row 0 (patch row)
// with the even frequencies for the first half of the pairs and row 1 (patch column) with the odd
// ones for the second half.
enum class RopeMode : uint8_t { kNormal, kNeox, kMrope, kVision, k2d };

struct RopeParams {
  RopeMode mode = RopeMode::kNormal;
  int32_t n_dims = 0;            // rotated dims (<= head_dim); the rest pass through
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;       // 1 / linear scaling factor
  float ext_factor = 0.0f;       // YaRN extrapolation mix (0 = off)
  float attn_factor = 1.0f;      // YaRN magnitude scale of cos/sin
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  int32_t n_ctx_orig = 0;        // training context (YaRN correction dims)
  int32_t sections[4] = {0, 0, 0, 0};  // kMrope / kVision: pairs per positions row
  bool has_freq_factors = false;       // source 2 divides each pair's base frequency
};

struct CopyParams {
  DType dtype = DType::kF32;  // the copy's element type
};

struct ConcatParams {
  int32_t dim = 0;
};

struct Im2colParams {
  int32_t kernel_h = 1, kernel_w = 1;
  int32_t stride_h = 1, stride_w = 1;
  int32_t pad_h = 0, pad_w = 0;
  int32_t dilation_h = 1, dilation_w = 1;
};

enum class PoolKind : uint8_t { kMax, kAvg };

// Average pooling divides by the full window (zero padding counts, as torch's default
// count_include_pad=True); max pooling ignores padding.
struct Pool2dParams {
  PoolKind kind = PoolKind::kMax;
  int32_t kernel_h = 2, kernel_w = 2;
  int32_t stride_h = 2, stride_w = 2;
  int32_t pad_h = 0, pad_w = 0;
};

struct AttentionParams {
  float scale = 1.0f;
  bool causal = false;  // query i sees keys j <= i + (n_kv - n_q)
  bool has_mask = false;
  bool round_f16 = false;  // see AttentionOptions::round_f16
};

}  // namespace corral
