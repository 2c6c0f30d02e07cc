#include "backends/reference/reference_backend.h"

#include <cstring>

#include "backends/reference/ref_impl.h"
#include "ml/quant.h"
#include "util/check.h"
#include "util/half.h"

namespace corral::reference {

View4 view4(const TensorNode& n) {
  View4 v;
  v.data = n.data;
  v.dtype = n.dtype;
  const int pad = 4 - n.shape.rank();
  for (int i = 0; i < n.shape.rank(); ++i) {
    v.ne[static_cast<size_t>(i + pad)] = n.shape[i];
    v.nb[static_cast<size_t>(i + pad)] = n.strides[static_cast<size_t>(i)];
  }
  return v;
}

float at(const View4& v, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  const std::byte* p = v.data + i0 * v.nb[0] + i1 * v.nb[1] + i2 * v.nb[2] + i3 * v.nb[3];
  switch (v.dtype) {
    case DType::kF32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::kF16:
    case DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return v.dtype == DType::kF16 ? fp16_to_f32(h) : bf16_to_f32(h);
    }
    case DType::kI32: {
      int32_t i;
      std::memcpy(&i, p, 4);
      return static_cast<float>(i);
    }
    default:
      CORRAL_CHECK(false, "reference: element access to %s", std::string(dtype_name(v.dtype)).c_str());
  }
}

std::vector<float> row(const View4& v, int64_t i0, int64_t i1, int64_t i2) {
  std::vector<float> out(static_cast<size_t>(v.ne[3]));
  if (dtype_traits(v.dtype).quantized) {
    dequantize_row(v.dtype, v.data + i0 * v.nb[0] + i1 * v.nb[1] + i2 * v.nb[2], out.data(), v.ne[3]);
  } else {
    for (int64_t i = 0; i < v.ne[3]; ++i) out[static_cast<size_t>(i)] = at(v, i0, i1, i2, i);
  }
  return out;
}

void store_row(DType dtype, const float* x, std::byte* dst, int64_t n) {
  switch (dtype) {
    case DType::kF32: std::memcpy(dst, x, static_cast<size_t>(n) * 4); return;
    case DType::kF16:
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = dtype == DType::kF16 ? f32_to_fp16(x[i]) : f32_to_bf16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) {
        const int32_t v = static_cast<int32_t>(x[i]);
        std::memcpy(dst + 4 * i, &v, 4);
      }
      return;
    default: {
      Status s = quantize_row(dtype, x, dst, n);
      CORRAL_CHECK(s.ok(), "reference: %s", s.to_string().c_str());
    }
  }
}

namespace {

bool plain(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

}  // namespace

bool ReferenceBackend::supports(const TensorNode& n) const {
  auto src_dtype = [&](int i) { return n.src[static_cast<size_t>(i)]->dtype; };
  switch (n.op) {
    case Op::kGetRows:
    case Op::kMulMat:
      return plain(src_dtype(0)) || quant_supported(src_dtype(0));
    case Op::kCopy:
      return (plain(src_dtype(0)) || quant_supported(src_dtype(0)) || src_dtype(0) == DType::kI32) &&
             (plain(n.dtype) || quant_supported(n.dtype) || n.dtype == DType::kI32);
    case Op::kSetRows:
      return plain(n.dtype) || quant_supported(n.dtype);
    case Op::kNone:
    case Op::kCount:
      return false;
    default:
      return true;
  }
}

Status ReferenceBackend::compute(Graph& g) {
  CORRAL_TRY(check_graph(g));
  for (TensorNode* n : g.nodes) {
    switch (n->op) {
      case Op::kView: break;
      case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kScale:
      case Op::kSilu: case Op::kGelu: case Op::kGeluErf: case Op::kTanh: case Op::kSigmoid: case Op::kExp:
      case Op::kSwiglu: case Op::kGeglu:
        CORRAL_TRY(ref_elementwise(*n));
        break;
      case Op::kRmsNorm: case Op::kLayerNorm: case Op::kSoftmax: case Op::kArgmax: case Op::kSum: case Op::kMean:
        CORRAL_TRY(ref_norm(*n));
        break;
      case Op::kRope: CORRAL_TRY(ref_rope(*n)); break;
      case Op::kFlashAttention: CORRAL_TRY(ref_attention(*n)); break;
      case Op::kGetRows: case Op::kMulMat: case Op::kCopy: case Op::kSetRows: case Op::kConcat:
        CORRAL_TRY(ref_data(*n));
        break;
      case Op::kIm2col: case Op::kPool2d: CORRAL_TRY(ref_image(*n)); break;
      case Op::kNone: case Op::kCount:
        return internal_error("reference: node %s has no op", describe(*n).c_str());
    }
    notify(n);
  }
  return ok_status();
}

}  // namespace corral::reference
