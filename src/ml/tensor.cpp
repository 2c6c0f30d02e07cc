#include "ml/tensor.h"

#include "util/check.h"

namespace corral {

std::array<int64_t, kMaxDims> contiguous_strides(DType dtype, const Shape& shape) {
  const DTypeTraits& t = dtype_traits(dtype);
  std::array<int64_t, kMaxDims> st{};
  const int r = shape.rank();
  if (r == 0) return st;
  CORRAL_CHECK(shape.last() % t.block_size == 0, "%s row of %lld elements is not whole blocks of %u",
               std::string(t.name).c_str(), static_cast<long long>(shape.last()), t.block_size);
  int64_t stride = static_cast<int64_t>(shape.last() / t.block_size * t.block_bytes);
  st[static_cast<size_t>(r - 1)] = t.quantized ? 0 : static_cast<int64_t>(t.block_bytes);
  for (int i = r - 2; i >= 0; --i) {
    st[static_cast<size_t>(i)] = stride;
    stride *= shape[i];
  }
  return st;
}

size_t contiguous_bytes(DType dtype, const Shape& shape) {
  const DTypeTraits& t = dtype_traits(dtype);
  if (shape.rank() == 0) return 0;
  return static_cast<size_t>(shape.rows()) * static_cast<size_t>(shape.last() / t.block_size) * t.block_bytes;
}

size_t span_bytes(const TensorNode& node) {
  const Shape& s = node.shape;
  if (s.numel() == 0) return 0;
  const DTypeTraits& t = dtype_traits(node.dtype);
  const int r = s.rank();
  int64_t end = static_cast<int64_t>(s.last() / t.block_size * t.block_bytes);
  if (!t.quantized) end = (s.last() - 1) * node.strides[static_cast<size_t>(r - 1)] + t.block_bytes;
  for (int i = 0; i < r - 1; ++i) end += (s[i] - 1) * node.strides[static_cast<size_t>(i)];
  return static_cast<size_t>(end);
}

bool rows_contiguous(const TensorNode& node) {
  const DTypeTraits& t = dtype_traits(node.dtype);
  if (t.quantized || node.shape.last() <= 1) return true;
  return node.strides[static_cast<size_t>(node.shape.rank() - 1)] == static_cast<int64_t>(t.block_bytes);
}

bool is_contiguous(const TensorNode& node) {
  const auto want = contiguous_strides(node.dtype, node.shape);
  for (int i = 0; i < node.shape.rank(); ++i) {
    if (node.shape[i] > 1 && node.strides[static_cast<size_t>(i)] != want[static_cast<size_t>(i)]) return false;
  }
  return true;
}

std::string describe(const TensorNode& node) {
  std::string s = node.name.empty() ? "#" + std::to_string(node.id) : node.name;
  if (node.layer >= 0) s += "." + std::to_string(node.layer);
  s += " (" + std::string(op_name(node.op)) + " " + std::string(dtype_name(node.dtype)) + " " +
       node.shape.to_string() + ")";
  return s;
}

}  // namespace corral
