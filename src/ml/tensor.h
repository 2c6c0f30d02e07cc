// TensorNode (one value in a graph or a leaf such as a weight) and Tensor, the cheap,
// non-owning handle model code passes around. Nodes live in a Context's arena (weights in a
// long-lived Context); data points into a Buffer the node does not own.
// Depends on util/ and ml/op.h; knows no backend.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ml/op.h"
#include "ml/shape.h"
#include "util/dtype.h"

namespace corral {

inline constexpr int kMaxSources = 4;

enum TensorFlags : uint32_t {
  kTensorInput = 1u << 0,     // a leaf whose data the caller writes before compute
  kTensorExternal = 1u << 1,  // data bound to memory outside the graph allocator (weights, caches)
  kTensorOutput = 1u << 2,    // the allocator keeps it alive to the end of the graph
  // A weight whose bytes a backend rearranged at load into a layout only that backend's kernels
  // read (Backend::prepare_weights; the CPU's Q4_0x8). Nothing else may read its data.
  kTensorRepacked = 1u << 3,
};

struct TensorNode {
  DType dtype = DType::kF32;
  Shape shape;
  // Byte strides, outermost-first. For plain dtypes strides[rank-1] is the element size of a
  // contiguous tensor; for block-quantized dtypes the last dim is always contiguous and
  // strides[rank-1] is 0 (elements are not individually addressable).
  std::array<int64_t, kMaxDims> strides{};
  Op op = Op::kNone;
  OpParams params;
  std::array<TensorNode*, kMaxSources> src{};
  int n_src = 0;
  TensorNode* view_src = nullptr;  // storage owner of a view (never itself a view)
  size_t view_offset = 0;          // bytes into view_src's storage
  std::byte* data = nullptr;       // set by binding (leaves) or by the graph allocator
  std::string name;
  int layer = -1;
  uint32_t flags = 0;
  int id = 0;  // creation index within its Context

  bool is_view() const { return view_src != nullptr; }
  bool is_leaf() const { return op == Op::kNone; }
};

// Contiguous byte strides of a shape (row-major, last dim innermost).
std::array<int64_t, kMaxDims> contiguous_strides(DType dtype, const Shape& shape);
// Bytes a contiguous tensor of this dtype and shape occupies.
size_t contiguous_bytes(DType dtype, const Shape& shape);
// Bytes from the first to one past the last byte a (possibly strided) node addresses.
size_t span_bytes(const TensorNode& node);
bool is_contiguous(const TensorNode& node);
// True when the last dim is contiguous (or has one element): rows can be read as arrays.
bool rows_contiguous(const TensorNode& node);
// "name.layer" (or "#id op") for messages.
std::string describe(const TensorNode& node);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(TensorNode* node) : node_(node) {}

  bool valid() const { return node_ != nullptr; }
  explicit operator bool() const { return valid(); }
  TensorNode* node() const { return node_; }

  DType dtype() const { return node_->dtype; }
  const Shape& shape() const { return node_->shape; }
  int rank() const { return node_->shape.rank(); }
  int64_t dim(int i) const { return node_->shape[i]; }
  int64_t stride(int i) const { return node_->strides[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return node_->shape.numel(); }
  Op op() const { return node_->op; }
  const std::string& name() const { return node_->name; }
  int layer() const { return node_->layer; }
  bool contiguous() const { return is_contiguous(*node_); }
  size_t nbytes() const { return contiguous_bytes(node_->dtype, node_->shape); }

  // Data of a bound or allocated tensor (nullptr before the allocator ran).
  void* raw_data() const { return node_->data; }
  template <typename T>
  T* data() const {
    return reinterpret_cast<T*>(node_->data);
  }

  bool operator==(const Tensor& o) const { return node_ == o.node_; }

 private:
  TensorNode* node_ = nullptr;
};

}  // namespace corral
