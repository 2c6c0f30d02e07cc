#include "ml/ops.h"

#include <string>

#include "util/check.h"

namespace corral {

Tensor get_rows(Context& ctx, Tensor table, Tensor ids) { return ctx.make_op(Op::kGetRows, {}, {table, ids}); }
Tensor mul_mat(Context& ctx, Tensor w, Tensor x) { return ctx.make_op(Op::kMulMat, {}, {w, x}); }
Tensor add(Context& ctx, Tensor a, Tensor b) { return ctx.make_op(Op::kAdd, {}, {a, b}); }
Tensor sub(Context& ctx, Tensor a, Tensor b) { return ctx.make_op(Op::kSub, {}, {a, b}); }
Tensor mul(Context& ctx, Tensor a, Tensor b) { return ctx.make_op(Op::kMul, {}, {a, b}); }
Tensor div(Context& ctx, Tensor a, Tensor b) { return ctx.make_op(Op::kDiv, {}, {a, b}); }

Tensor scale(Context& ctx, Tensor x, float s, float bias) {
  return ctx.make_op(Op::kScale, ScaleParams{s, bias}, {x});
}

Tensor rms_norm(Context& ctx, Tensor x, float eps) { return ctx.make_op(Op::kRmsNorm, NormParams{eps}, {x}); }

Tensor layer_norm(Context& ctx, Tensor x, Tensor weight, Tensor bias, float eps) {
  return ctx.make_op(Op::kLayerNorm, NormParams{eps}, {x, weight, bias});
}

Tensor softmax(Context& ctx, Tensor x, const SoftmaxOptions& o) {
  return ctx.make_op(Op::kSoftmax, SoftmaxParams{o.scale}, {x, o.mask});
}

Tensor rope(Context& ctx, Tensor x, Tensor positions, const RopeOptions& o) {
  RopeParams p = o.params;
  if (p.n_dims == 0) p.n_dims = static_cast<int32_t>(x.dim(-1));
  p.has_freq_factors = o.freq_factors.valid();
  if (p.has_freq_factors) return ctx.make_op(Op::kRope, p, {x, positions, o.freq_factors});
  return ctx.make_op(Op::kRope, p, {x, positions});
}

Tensor silu(Context& ctx, Tensor x) { return ctx.make_op(Op::kSilu, {}, {x}); }
Tensor gelu(Context& ctx, Tensor x) { return ctx.make_op(Op::kGelu, {}, {x}); }
Tensor gelu_erf(Context& ctx, Tensor x) { return ctx.make_op(Op::kGeluErf, {}, {x}); }
Tensor tanh(Context& ctx, Tensor x) { return ctx.make_op(Op::kTanh, {}, {x}); }
Tensor sigmoid(Context& ctx, Tensor x) { return ctx.make_op(Op::kSigmoid, {}, {x}); }
Tensor exp(Context& ctx, Tensor x) { return ctx.make_op(Op::kExp, {}, {x}); }
Tensor swiglu(Context& ctx, Tensor gate, Tensor up) { return ctx.make_op(Op::kSwiglu, {}, {gate, up}); }
Tensor geglu(Context& ctx, Tensor gate, Tensor up) { return ctx.make_op(Op::kGeglu, {}, {gate, up}); }

Tensor concat(Context& ctx, Tensor a, Tensor b, int dim) {
  if (dim < 0) dim += a.rank();
  return ctx.make_op(Op::kConcat, ConcatParams{dim}, {a, b});
}

Tensor reshape(Context& ctx, Tensor x, const Shape& shape) {
  CORRAL_CHECK(x.contiguous(), "reshape: %s is not contiguous (use contiguous() first)", describe(*x.node()).c_str());
  CORRAL_CHECK(shape.numel() == x.numel(), "reshape: %s to %s changes the element count", describe(*x.node()).c_str(),
               shape.to_string().c_str());
  CORRAL_CHECK(shape.last() % dtype_traits(x.dtype()).block_size == 0, "reshape: %s rows are not whole blocks",
               shape.to_string().c_str());
  return ctx.make_view(x, shape, contiguous_strides(x.dtype(), shape), 0);
}

Tensor view(Context& ctx, Tensor x, const Shape& shape, const std::array<int64_t, kMaxDims>& strides,
            size_t offset_bytes) {
  return ctx.make_view(x, shape, strides, offset_bytes);
}

Tensor permute(Context& ctx, Tensor x, std::initializer_list<int> axes) {
  const int r = x.rank();
  CORRAL_CHECK(static_cast<int>(axes.size()) == r, "permute: %zu axes for %s", axes.size(), describe(*x.node()).c_str());
  Shape shape = x.shape();
  std::array<int64_t, kMaxDims> strides{};
  unsigned seen = 0;
  int i = 0;
  for (int a : axes) {
    if (a < 0) a += r;
    CORRAL_CHECK(a >= 0 && a < r && !(seen & (1u << a)), "permute: bad axis list for %s", describe(*x.node()).c_str());
    seen |= 1u << a;
    shape[i] = x.dim(a);
    strides[static_cast<size_t>(i)] = x.stride(a);
    ++i;
  }
  const bool quantized = dtype_traits(x.dtype()).quantized;
  CORRAL_CHECK(!quantized || *(axes.end() - 1) == r - 1 || *(axes.end() - 1) == -1,
               "permute: the last dim of quantized %s must stay last", describe(*x.node()).c_str());
  return ctx.make_view(x, shape, strides, 0);
}

Tensor transpose(Context& ctx, Tensor x, int dim0, int dim1) {
  const int r = x.rank();
  if (dim0 < 0) dim0 += r;
  if (dim1 < 0) dim1 += r;
  CORRAL_CHECK(dim0 >= 0 && dim0 < r && dim1 >= 0 && dim1 < r, "transpose(%d, %d) of %s", dim0, dim1,
               describe(*x.node()).c_str());
  std::array<int, kMaxDims> axes{0, 1, 2, 3};
  std::swap(axes[static_cast<size_t>(dim0)], axes[static_cast<size_t>(dim1)]);
  switch (r) {
    case 1: return x;
    case 2: return permute(ctx, x, {axes[0], axes[1]});
    case 3: return permute(ctx, x, {axes[0], axes[1], axes[2]});
    default: return permute(ctx, x, {axes[0], axes[1], axes[2], axes[3]});
  }
}

Tensor slice(Context& ctx, Tensor x, int dim, int64_t start, int64_t length) {
  if (dim < 0) dim += x.rank();
  CORRAL_CHECK(dim >= 0 && dim < x.rank() && start >= 0 && length >= 0 && start + length <= x.dim(dim),
               "slice(dim %d, %lld, %lld) of %s", dim, static_cast<long long>(start), static_cast<long long>(length),
               describe(*x.node()).c_str());
  Shape shape = x.shape();
  shape[dim] = length;
  auto strides = x.node()->strides;
  const DTypeTraits& t = dtype_traits(x.dtype());
  size_t offset;
  if (dim == x.rank() - 1) {
    CORRAL_CHECK(start % t.block_size == 0 && length % t.block_size == 0, "slice of %s splits blocks",
                 describe(*x.node()).c_str());
    offset = static_cast<size_t>(start / t.block_size * t.block_bytes);
  } else {
    offset = static_cast<size_t>(start * x.stride(dim));
  }
  return ctx.make_view(x, shape, strides, offset);
}

Tensor copy(Context& ctx, Tensor x, DType dtype) { return ctx.make_op(Op::kCopy, CopyParams{dtype}, {x}); }

Tensor contiguous(Context& ctx, Tensor x) {
  if (x.contiguous()) return x;
  return copy(ctx, x, x.dtype());
}

Tensor set_rows(Context& ctx, Tensor dst, Tensor values, Tensor indices) {
  return ctx.make_view(dst, dst.shape(), dst.node()->strides, 0, Op::kSetRows, {}, {dst, values, indices});
}

Tensor im2col(Context& ctx, Tensor x, int kernel_h, int kernel_w, const Conv2dOptions& o) {
  Im2colParams p{kernel_h, kernel_w, o.stride_h, o.stride_w, o.pad_h, o.pad_w, o.dilation_h, o.dilation_w};
  return ctx.make_op(Op::kIm2col, p, {x});
}

Tensor conv2d(Context& ctx, Tensor kernel, Tensor x, const Conv2dOptions& o) {
  CORRAL_CHECK(kernel.rank() == 4 && (x.rank() == 3 || x.rank() == 4) && kernel.dim(1) == x.dim(-3),
               "conv2d: kernel %s [OC, C, KH, KW] does not fit input %s [(N,) C, H, W]",
               kernel.shape().to_string().c_str(), x.shape().to_string().c_str());
  const int64_t oc = kernel.dim(0);
  Tensor cols = im2col(ctx, x, static_cast<int>(kernel.dim(2)), static_cast<int>(kernel.dim(3)), o);
  Tensor w = reshape(ctx, kernel, {oc, kernel.dim(1) * kernel.dim(2) * kernel.dim(3)});
  Tensor y = mul_mat(ctx, w, cols);  // [(N,) OH*OW, OC]
  const int64_t ow = (x.dim(-1) + 2 * o.pad_w - o.dilation_w * (kernel.dim(3) - 1) - 1) / o.stride_w + 1;
  const int64_t oh = cols.dim(-2) / ow;
  if (x.rank() == 3) return reshape(ctx, contiguous(ctx, transpose(ctx, y, 0, 1)), {oc, oh, ow});
  return reshape(ctx, contiguous(ctx, transpose(ctx, y, 1, 2)), {x.dim(0), oc, oh, ow});
}

Tensor pool2d(Context& ctx, Tensor x, const Pool2dParams& params) { return ctx.make_op(Op::kPool2d, params, {x}); }

Tensor argmax(Context& ctx, Tensor x) { return ctx.make_op(Op::kArgmax, {}, {x}); }
Tensor sum(Context& ctx, Tensor x) { return ctx.make_op(Op::kSum, {}, {x}); }
Tensor mean(Context& ctx, Tensor x) { return ctx.make_op(Op::kMean, {}, {x}); }

Tensor flash_attention(Context& ctx, Tensor q, Tensor k, Tensor v, const AttentionOptions& o) {
  AttentionParams p{o.scale, o.causal, o.mask.valid(), o.round_f16};
  return ctx.make_op(Op::kFlashAttention, p, {q, k, v, o.mask});
}

}  // namespace corral
