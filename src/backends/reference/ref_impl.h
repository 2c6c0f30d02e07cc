// Private to backends/reference: 4-D element access over any strides and dtype, and the
// per-family op functions the ReferenceBackend dispatches to. Depends on ml/ only.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "ml/tensor.h"
#include "util/status.h"

namespace corral::reference {

// A node padded to 4 dims (leading ones) with byte strides.
struct View4 {
  std::byte* data = nullptr;
  DType dtype = DType::kF32;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  std::array<int64_t, 4> nb{0, 0, 0, 0};
  int64_t rows() const { return ne[0] * ne[1] * ne[2]; }
};

View4 view4(const TensorNode& n);
// Element of a plain-dtype tensor (F32, F16, BF16, I32) as float.
float at(const View4& v, int64_t i0, int64_t i1, int64_t i2, int64_t i3);
// Row (i0, i1, i2) of any dtype as floats.
std::vector<float> row(const View4& v, int64_t i0, int64_t i1, int64_t i2);
// Writes n floats as one row of `dtype` at dst (quantizing if needed).
void store_row(DType dtype, const float* x, std::byte* dst, int64_t n);
// Linear row index r -> (i0, i1, i2).
inline std::array<int64_t, 3> unflatten(const View4& v, int64_t r) {
  return {r / (v.ne[1] * v.ne[2]), (r / v.ne[2]) % v.ne[1], r % v.ne[2]};
}

Status ref_elementwise(TensorNode& n);  // binary, unary, scale, swiglu/geglu
Status ref_norm(TensorNode& n);         // rms_norm, layer_norm, softmax, reductions, argmax
Status ref_rope(TensorNode& n);
Status ref_attention(TensorNode& n);
Status ref_data(TensorNode& n);         // get_rows, mul_mat, copy, set_rows, concat
Status ref_image(TensorNode& n);        // im2col, pool2d

}  // namespace corral::reference
