#include "ml/op.h"

#include <string>

#include "ml/tensor.h"
#include "util/check.h"
#include "util/status.h"

namespace corral {
namespace {

std::string sources_text(std::span<TensorNode* const> src) {
  std::string s;
  for (size_t i = 0; i < src.size(); ++i) {
    if (!s.empty()) s += ", ";
    if (src[i] == nullptr) {
      s += "-";
      continue;
    }
    s += std::string(dtype_name(src[i]->dtype)) + " " + src[i]->shape.to_string();
  }
  return s;
}

// Shape errors are bugs in graph-building code: abort naming the op, the reason and the sources.
#define OP_CHECK(cond, ...)                                                                  \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      const std::string reason_ = format_string(__VA_ARGS__);                                \
      CORRAL_CHECK(false, "op %s: %s (sources: %s)", std::string(op_name(op)).c_str(),       \
                   reason_.c_str(), sources_text(src).c_str());                              \
    }                                                                                        \
  } while (0)

bool is_float(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// b broadcasts to a: right-aligned, each dim of b equals a's or is 1.
bool broadcasts_to(const Shape& b, const Shape& a) {
  if (b.rank() > a.rank()) return false;
  for (int i = 1; i <= b.rank(); ++i) {
    if (b[-i] != 1 && b[-i] != a[-i]) return false;
  }
  return true;
}

// Dims from `from` to the last form one contiguous run.
bool inner_contiguous(const TensorNode& t, int from) {
  const auto want = contiguous_strides(t.dtype, t.shape);
  for (int i = from; i < t.shape.rank(); ++i) {
    if (t.shape[i] > 1 && t.strides[static_cast<size_t>(i)] != want[static_cast<size_t>(i)]) return false;
  }
  return true;
}

void need_rows(Op op, std::span<TensorNode* const> src, size_t i) {
  OP_CHECK(rows_contiguous(*src[i]), "source %zu must have a contiguous last dim", i);
}

OpSignature infer_unary(Op op, std::span<TensorNode* const> src) {
  OP_CHECK(src.size() >= 1 && src[0]->dtype == DType::kF32, "needs an F32 input");
  need_rows(op, src, 0);
  return {DType::kF32, src[0]->shape};
}

OpSignature infer_binary(Op op, std::span<TensorNode* const> src) {
  OP_CHECK(src[0]->dtype == DType::kF32 && src[1]->dtype == DType::kF32, "needs F32 inputs");
  OP_CHECK(broadcasts_to(src[1]->shape, src[0]->shape), "b must broadcast to a (dims equal or 1)");
  need_rows(op, src, 0);
  need_rows(op, src, 1);
  return {DType::kF32, src[0]->shape};
}

OpSignature infer_get_rows(Op op, std::span<TensorNode* const> src) {
  const TensorNode& table = *src[0];
  const TensorNode& ids = *src[1];
  OP_CHECK(table.shape.rank() == 2, "table must be [rows, dim]");
  OP_CHECK(ids.dtype == DType::kI32 && ids.shape.rank() <= 3, "ids must be I32 with at most 3 dims");
  OP_CHECK(is_contiguous(ids), "ids must be contiguous");
  need_rows(op, src, 0);
  Shape out = ids.shape;
  out.push_back(table.shape[1]);
  return {DType::kF32, out};
}

OpSignature infer_mul_mat(Op op, std::span<TensorNode* const> src) {
  const Shape& w = src[0]->shape;
  const Shape& x = src[1]->shape;
  OP_CHECK(w.rank() >= 2 && x.rank() >= 2, "w and x need at least 2 dims");
  OP_CHECK(src[1]->dtype == DType::kF32, "x must be F32");
  OP_CHECK(w[-1] == x[-1], "inner dims differ (w [.., M, K] x [.., N, K])");
  need_rows(op, src, 0);
  need_rows(op, src, 1);
  const Shape w4 = w.with_rank(4);
  const Shape x4 = x.with_rank(std::max(4, x.rank()));
  for (int i = 0; i < 2; ++i) {
    OP_CHECK(w4[i] > 0 && x4[i] % w4[i] == 0, "batch dim %d of w must divide x's", i);
  }
  OP_CHECK(w.rank() <= x.rank() || w4[0] * w4[1] == 1, "w has more batch dims than x");
  Shape out = x;
  out[-1] = w[-2];
  return {DType::kF32, out};
}

OpSignature infer_rope(Op op, const RopeParams& p, std::span<TensorNode* const> src) {
  const TensorNode& x = *src[0];
  const TensorNode& pos = *src[1];
  OP_CHECK(x.dtype == DType::kF32 && (x.shape.rank() == 3 || x.shape.rank() == 4),
           "x must be F32 [(batch,) n_tokens, n_heads, head_dim]");
  need_rows(op, src, 0);
  OP_CHECK(pos.dtype == DType::kI32 && is_contiguous(pos), "positions must be contiguous I32");
  OP_CHECK(p.n_dims > 0 && p.n_dims % 2 == 0 && p.n_dims <= x.shape[-1], "n_dims %d invalid for head_dim %lld",
           p.n_dims, static_cast<long long>(x.shape[-1]));
  const int64_t n_tokens = x.shape[-3];
  const int half = p.n_dims / 2;
  switch (p.mode) {
    case RopeMode::kNormal:
    case RopeMode::kNeox:
      OP_CHECK(pos.shape.rank() == 1 && pos.shape[0] == n_tokens, "positions must be [n_tokens]");
      break;
    case RopeMode::kMrope:
    case RopeMode::kVision: {
      int total = 0, rows = 0;
      for (int s = 0; s < 4; ++s) {
        OP_CHECK(p.sections[s] >= 0, "negative section");
        total += p.sections[s];
        if (p.sections[s] > 0) rows = s + 1;
      }
      OP_CHECK(total == half, "sections sum to %d, need n_dims/2 = %d", total, half);
      OP_CHECK(pos.shape.rank() == 2 && pos.shape[0] >= rows && pos.shape[1] == n_tokens,
               "positions must be [%d, n_tokens]", rows);
      break;
    }
    case RopeMode::k2d:
      OP_CHECK(p.n_dims % 4 == 0, "2-D rope needs n_dims divisible by 4");
      OP_CHECK(pos.shape.rank() == 2 && pos.shape[0] == 2 && pos.shape[1] == n_tokens,
               "positions must be [2, n_tokens]");
      break;
  }
  if (p.has_freq_factors) {
    OP_CHECK(src.size() >= 3 && src[2] != nullptr && src[2]->dtype == DType::kF32 && is_contiguous(*src[2]) &&
                 src[2]->shape.numel() == half,
             "freq_factors must be contiguous F32 [n_dims/2]");
  }
  OP_CHECK(p.ext_factor == 0.0f || p.n_ctx_orig > 0, "YaRN needs n_ctx_orig");
  return {DType::kF32, x.shape};
}

OpSignature infer_concat(Op op, const ConcatParams& p, std::span<TensorNode* const> src) {
  const Shape& a = src[0]->shape;
  const Shape& b = src[1]->shape;
  OP_CHECK(src[0]->dtype == src[1]->dtype && is_float(src[0]->dtype), "needs equal F32/F16/BF16 dtypes");
  OP_CHECK(a.rank() == b.rank() && p.dim >= 0 && p.dim < a.rank(), "ranks differ or dim %d out of range", p.dim);
  Shape out = a;
  for (int i = 0; i < a.rank(); ++i) {
    if (i == p.dim) continue;
    OP_CHECK(a[i] == b[i], "dim %d differs", i);
  }
  out[p.dim] = a[p.dim] + b[p.dim];
  return {src[0]->dtype, out};
}

OpSignature infer_copy(Op op, const CopyParams& p, std::span<TensorNode* const> src) {
  const DTypeTraits& to = dtype_traits(p.dtype);
  const DTypeTraits& from = dtype_traits(src[0]->dtype);
  OP_CHECK(src[0]->shape.last() % to.block_size == 0, "last dim is not whole %s blocks", std::string(to.name).c_str());
  OP_CHECK(!from.quantized || rows_contiguous(*src[0]), "quantized source rows must be contiguous");
  OP_CHECK(p.dtype != DType::kI32 || src[0]->dtype == DType::kI32, "only I32 copies to I32");
  return {p.dtype, src[0]->shape};
}

OpSignature infer_set_rows(Op op, std::span<TensorNode* const> src) {
  const TensorNode& dst = *src[0];
  const TensorNode& val = *src[1];
  const TensorNode& idx = *src[2];
  OP_CHECK(val.dtype == DType::kF32, "values must be F32");
  OP_CHECK(idx.dtype == DType::kI32 && idx.shape.rank() == 1 && is_contiguous(idx), "indices must be I32 [n]");
  OP_CHECK(dst.shape.rank() == val.shape.rank() && dst.shape.rank() >= 2, "dst and values need equal ranks >= 2");
  OP_CHECK(val.shape[0] == idx.shape[0], "values rows differ from indices");
  for (int i = 1; i < dst.shape.rank(); ++i) OP_CHECK(dst.shape[i] == val.shape[i], "row shape differs at dim %d", i);
  const DTypeTraits& t = dtype_traits(dst.dtype);
  OP_CHECK(dst.shape.last() % t.block_size == 0, "rows are not whole blocks");
  // A row (all dims after the first) must be one contiguous run in both tensors.
  OP_CHECK(inner_contiguous(dst, 1) && inner_contiguous(val, 1), "rows (dims after the first) must be contiguous");
  need_rows(op, src, 0);
  need_rows(op, src, 1);
  return {dst.dtype, dst.shape};
}

OpSignature infer_attention(Op op, const AttentionParams& p, std::span<TensorNode* const> src) {
  const TensorNode& q = *src[0];
  const TensorNode& k = *src[1];
  const TensorNode& v = *src[2];
  OP_CHECK(q.dtype == DType::kF32, "q must be F32");
  OP_CHECK((k.dtype == DType::kF32 || k.dtype == DType::kF16) && (v.dtype == DType::kF32 || v.dtype == DType::kF16),
           "k and v must be F32 or F16");
  const int r = q.shape.rank();
  OP_CHECK(r >= 3 && k.shape.rank() == r && v.shape.rank() == r, "q, k, v must be [(batch,) heads, seq, dim]");
  OP_CHECK(q.shape[-1] == k.shape[-1], "q and k head dims differ");
  OP_CHECK(k.shape[-2] == v.shape[-2] && k.shape[-3] == v.shape[-3], "k and v differ in heads or length");
  OP_CHECK(k.shape[-3] > 0 && q.shape[-3] % k.shape[-3] == 0, "q heads must be a multiple of kv heads");
  if (r == 4) OP_CHECK(k.shape[0] == q.shape[0] || k.shape[0] == 1, "batch of k must be q's or 1");
  for (size_t i = 0; i < 3; ++i) need_rows(op, src, i);
  if (p.has_mask) {
    const TensorNode* m = src.size() > 3 ? src[3] : nullptr;
    OP_CHECK(m != nullptr && (m->dtype == DType::kF32 || m->dtype == DType::kF16), "mask must be F32 or F16");
    Shape scores = q.shape;
    scores[-1] = k.shape[-2];
    OP_CHECK(broadcasts_to(m->shape, scores), "mask must broadcast to [.., heads, n_q, n_kv]");
    need_rows(op, src, 3);
  }
  Shape out = q.shape;  // [(B,) Hq, Nq, D] -> [(B,) Nq, Hq, Dv]
  out[-3] = q.shape[-2];
  out[-2] = q.shape[-3];
  out[-1] = v.shape[-1];
  return {DType::kF32, out};
}

OpSignature infer_image(Op op, const OpParams& params, std::span<TensorNode* const> src) {
  const Shape& x = src[0]->shape;
  OP_CHECK(src[0]->dtype == DType::kF32 && (x.rank() == 3 || x.rank() == 4), "x must be F32 [(N,) C, H, W]");
  need_rows(op, src, 0);
  int kh, kw, sh, sw, ph, pw, dh = 1, dw = 1;
  if (op == Op::kIm2col) {
    const auto& p = std::get<Im2colParams>(params);
    kh = p.kernel_h, kw = p.kernel_w, sh = p.stride_h, sw = p.stride_w, ph = p.pad_h, pw = p.pad_w;
    dh = p.dilation_h, dw = p.dilation_w;
  } else {
    const auto& p = std::get<Pool2dParams>(params);
    kh = p.kernel_h, kw = p.kernel_w, sh = p.stride_h, sw = p.stride_w, ph = p.pad_h, pw = p.pad_w;
  }
  OP_CHECK(kh > 0 && kw > 0 && sh > 0 && sw > 0 && ph >= 0 && pw >= 0 && dh > 0 && dw > 0, "bad window parameters");
  const int64_t oh = (x[-2] + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
  const int64_t ow = (x[-1] + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
  OP_CHECK(oh > 0 && ow > 0, "window larger than the padded image");
  Shape out;
  if (x.rank() == 4) out.push_back(x[0]);
  if (op == Op::kIm2col) {
    out.push_back(oh * ow);
    out.push_back(x[-3] * kh * kw);
  } else {
    out.push_back(x[-3]);
    out.push_back(oh);
    out.push_back(ow);
  }
  return {DType::kF32, out};
}

}  // namespace

std::string_view op_name(Op op) {
  static constexpr std::string_view kNames[] = {
      "none", "view", "get_rows", "mul_mat", "add", "sub", "mul", "div", "scale", "rms_norm",
      "layer_norm", "softmax", "rope", "silu", "gelu", "gelu_erf", "tanh", "sigmoid", "exp",
      "swiglu", "geglu", "concat", "copy", "set_rows", "im2col", "pool2d", "argmax", "sum", "mean",
      "flash_attention"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Op::kCount));
  const auto i = static_cast<size_t>(op);
  return i < static_cast<size_t>(Op::kCount) ? kNames[i] : "?";
}

std::string_view rope_mode_name(RopeMode mode) {
  switch (mode) {
    case RopeMode::kNormal: return "normal";
    case RopeMode::kNeox: return "neox";
    case RopeMode::kMrope: return "mrope";
    case RopeMode::kVision: return "vision";
    case RopeMode::k2d: return "2d";
  }
  return "?";
}

OpSignature infer_op(Op op, const OpParams& params, std::span<TensorNode* const> src) {
  for (size_t i = 0; i < src.size(); ++i) {
    // Only layer_norm's weight/bias and attention's mask may be absent.
    OP_CHECK(src[i] != nullptr || (op == Op::kLayerNorm && i > 0) || (op == Op::kFlashAttention && i == 3) ||
                 (op == Op::kSoftmax && i == 1) || (op == Op::kRope && i == 2),
             "source %zu is missing", i);
  }
  switch (op) {
    case Op::kGetRows: return infer_get_rows(op, src);
    case Op::kMulMat: return infer_mul_mat(op, src);
    case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv:
    case Op::kSwiglu: case Op::kGeglu: {
      OpSignature s = infer_binary(op, src);
      if (op == Op::kSwiglu || op == Op::kGeglu) {
        OP_CHECK(src[0]->shape == src[1]->shape, "gate and up shapes differ");
      }
      return s;
    }
    case Op::kScale: case Op::kRmsNorm: case Op::kSilu: case Op::kGelu: case Op::kGeluErf:
    case Op::kTanh: case Op::kSigmoid: case Op::kExp:
      return infer_unary(op, src);
    case Op::kLayerNorm: {
      OpSignature s = infer_unary(op, src);
      for (size_t i = 1; i < src.size(); ++i) {
        if (src[i] == nullptr) continue;
        OP_CHECK(src[i]->dtype == DType::kF32 && is_contiguous(*src[i]) && src[i]->shape.numel() == s.shape.last(),
                 "weight/bias must be contiguous F32 [dim]");
      }
      return s;
    }
    case Op::kSoftmax: {
      OpSignature s = infer_unary(op, src);
      if (src.size() > 1 && src[1] != nullptr) {
        OP_CHECK(src[1]->dtype == DType::kF32 || src[1]->dtype == DType::kF16, "mask must be F32 or F16");
        OP_CHECK(broadcasts_to(src[1]->shape, s.shape), "mask must broadcast to x");
        need_rows(op, src, 1);
      }
      return s;
    }
    case Op::kRope: return infer_rope(op, std::get<RopeParams>(params), src);
    case Op::kConcat: return infer_concat(op, std::get<ConcatParams>(params), src);
    case Op::kCopy: return infer_copy(op, std::get<CopyParams>(params), src);
    case Op::kSetRows: return infer_set_rows(op, src);
    case Op::kIm2col: case Op::kPool2d: return infer_image(op, params, src);
    case Op::kArgmax: {
      OpSignature s = infer_unary(op, src);
      Shape out;
      for (int i = 0; i + 1 < s.shape.rank(); ++i) out.push_back(s.shape[i]);
      if (out.rank() == 0) out.push_back(1);
      return {DType::kI32, out};
    }
    case Op::kSum: case Op::kMean: {
      OpSignature s = infer_unary(op, src);
      s.shape[-1] = 1;
      return s;
    }
    case Op::kFlashAttention: return infer_attention(op, std::get<AttentionParams>(params), src);
    case Op::kNone: case Op::kView: case Op::kCount: break;
  }
  CORRAL_CHECK(false, "infer_op: op %s has no shape rule", std::string(op_name(op)).c_str());
}

}  // namespace corral
