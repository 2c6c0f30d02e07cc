// The op vocabulary as free functions: each records one node on a Context (nothing computes)
// after checking its shape rules. Shapes are outermost-first; every function states its shapes.
// Element-wise ops work in F32 and need inputs whose last dim is contiguous (views are fine).
// Depends on ml/context.h; knows no backend.
#pragma once

#include <array>
#include <initializer_list>

#include "ml/context.h"

namespace corral {

// table [n_rows, dim] (any dtype; quantized rows are dequantized), ids I32 [...] -> F32 [..., dim]
Tensor get_rows(Context& ctx, Tensor table, Tensor ids);
// w [..., M, K] (any dtype), x F32 [..., N, K] -> F32 [..., N, M]: out = x @ w^T. Batch dims of w
// broadcast: x batch index b reads w batch b / (x_dim / w_dim) (GQA: consecutive heads share).
Tensor mul_mat(Context& ctx, Tensor w, Tensor x);

// a [...], b broadcastable to a (right-aligned, dims equal or 1) -> [...] like a
Tensor add(Context& ctx, Tensor a, Tensor b);
Tensor sub(Context& ctx, Tensor a, Tensor b);
Tensor mul(Context& ctx, Tensor a, Tensor b);
Tensor div(Context& ctx, Tensor a, Tensor b);
Tensor scale(Context& ctx, Tensor x, float s, float bias = 0.0f);  // x * s + bias

// Over the last dim: x / sqrt(mean(x^2) + eps)
Tensor rms_norm(Context& ctx, Tensor x, float eps);
// Over the last dim: (x - mean) / sqrt(var + eps) * weight + bias; weight/bias [dim] optional.
Tensor layer_norm(Context& ctx, Tensor x, Tensor weight, Tensor bias, float eps);

struct SoftmaxOptions {
  Tensor mask;         // optional additive mask, F32/F16, broadcastable to x
  float scale = 1.0f;
};
// softmax(x * scale + mask) over the last dim; a row that is all -inf gives zeros.
Tensor softmax(Context& ctx, Tensor x, const SoftmaxOptions& options = {});

struct RopeOptions {
  RopeParams params;    // mode, n_dims (0 = head_dim), base, YaRN, sections
  Tensor freq_factors;  // optional F32 [n_dims/2] (llama3 long-context factors)
};
// x [(batch,) n_tokens, n_heads, head_dim], positions I32 [n_tokens] (kMrope/kVision:
// [rows, n_tokens]; k2d: [2, n_tokens]) -> same shape as x
Tensor rope(Context& ctx, Tensor x, Tensor positions, const RopeOptions& options);

Tensor silu(Context& ctx, Tensor x);
Tensor gelu(Context& ctx, Tensor x);      // tanh approximation
Tensor gelu_erf(Context& ctx, Tensor x);  // exact (erf)
Tensor tanh(Context& ctx, Tensor x);
Tensor sigmoid(Context& ctx, Tensor x);
Tensor exp(Context& ctx, Tensor x);
// act(gate) * up, gate and up of one shape
Tensor swiglu(Context& ctx, Tensor gate, Tensor up);
Tensor geglu(Context& ctx, Tensor gate, Tensor up);

// a and b equal except along dim -> contiguous; F32/F16/BF16
Tensor concat(Context& ctx, Tensor a, Tensor b, int dim);

// Views (no copy): reshape needs a contiguous x.
Tensor reshape(Context& ctx, Tensor x, const Shape& shape);
Tensor view(Context& ctx, Tensor x, const Shape& shape, const std::array<int64_t, kMaxDims>& strides,
            size_t offset_bytes);
// out.dim(i) = x.dim(axes[i]), as torch.permute
Tensor permute(Context& ctx, Tensor x, std::initializer_list<int> axes);
Tensor transpose(Context& ctx, Tensor x, int dim0, int dim1);
// x[..., start:start+length, ...] along dim
Tensor slice(Context& ctx, Tensor x, int dim, int64_t start, int64_t length);

// Contiguous copy in dtype (F32/F16/BF16/quantized; quantized targets need whole blocks per row).
Tensor copy(Context& ctx, Tensor x, DType dtype);
Tensor contiguous(Context& ctx, Tensor x);
// Writes values F32 [n, ...row] into dst [R, ...row] at rows indices I32 [n], converting to
// dst's dtype (F32/F16/BF16/Q8_0, ...) in place. Returns dst as a view that depends on the write:
// read the cache through the result so that the write happens first.
Tensor set_rows(Context& ctx, Tensor dst, Tensor values, Tensor indices);

struct Conv2dOptions {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
};
// x F32 [(N,) C, H, W] -> F32 [(N,) OH*OW, C*KH*KW], each row one receptive field (c, kh, kw order)
Tensor im2col(Context& ctx, Tensor x, int kernel_h, int kernel_w, const Conv2dOptions& options);
// kernel [OC, C, KH, KW] (F32/F16/...), x F32 [(N,) C, H, W] -> F32 [(N,) OC, OH, OW]
Tensor conv2d(Context& ctx, Tensor kernel, Tensor x, const Conv2dOptions& options = {});
// x F32 [(N,) C, H, W] -> [(N,) C, OH, OW]
Tensor pool2d(Context& ctx, Tensor x, const Pool2dParams& params);

Tensor argmax(Context& ctx, Tensor x);  // [..., n] -> I32 [...] (first maximum)
Tensor sum(Context& ctx, Tensor x);     // [..., n] -> [..., 1]
Tensor mean(Context& ctx, Tensor x);    // [..., n] -> [..., 1]

struct AttentionOptions {
  float scale = 1.0f;
  bool causal = false;  // query i sees keys j <= i + (n_kv - n_q)
  Tensor mask;          // optional additive F32/F16 mask broadcastable to [(B,) Hq, n_q, n_kv]
  // llama.cpp's CPU arithmetic for an F16 cache: with F16 k each q row is rounded to F16 before
  // q.k; with F16 v the unnormalised output (online softmax, keys in order) is rounded to F16
  // after every rescale and every added row. Scores and sums stay F32.
  bool round_f16 = false;
};
// q F32 [(B,) Hq, n_q, D], k [(B,) Hkv, n_kv, D], v [(B,) Hkv, n_kv, Dv] (F16/F32; Hq multiple of
// Hkv) -> F32 [(B,) n_q, Hq, Dv]: softmax(q k^T * scale + mask) v with an online softmax.
Tensor flash_attention(Context& ctx, Tensor q, Tensor k, Tensor v, const AttentionOptions& options);

}  // namespace corral
