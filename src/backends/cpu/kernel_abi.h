// Private to backends/cpu: the plain-data view of one op that per-ISA kernel files receive, the
// kernel function type and the KernelTable each ISA fills. Only PODs and declarations, so TUs
// compiled with different -m flags can include it without sharing inline code.
// Depends on util/dtype.h and ml/op_params.h only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ml/op_params.h"
#include "util/dtype.h"

namespace corral::cpu {

// A tensor padded to 4 dims (leading ones), outermost-first, byte strides.
struct KTensor {
  std::byte* data;
  DType dtype;
  int64_t ne[4];
  int64_t nb[4];
};

struct KOp {
  Op op;
  KTensor dst;
  KTensor src[4];
  bool has_src[4];
  const void* params;      // the op's parameter struct (ScaleParams, RopeParams, ...) or nullptr
  int64_t row_len;         // set_rows: elements per row (all dims after the first)
  int64_t src_row_stride;  // set_rows: bytes between value rows
  int64_t dst_row_stride;  // set_rows: bytes between destination rows
  size_t dst_row_bytes;    // bytes of one row (last dim) of the contiguous destination
  int axis;                // concat: the joined dim in padded (4-d) coordinates
};

// Computes work items [begin, end) of op; scratch holds the per-thread floats the backend sized
// for the op (see scratch_floats in cpu_backend.cpp).
using KernelFn = void (*)(const KOp& op, int64_t begin, int64_t end, float* scratch);

// Keys per online-softmax step of the flash-attention kernel (sizes its per-thread scratch).
constexpr int64_t kAttentionBlock = 32;
// Query rows per flash-attention work item (they share each converted K/V block).
constexpr int64_t kAttentionQueries = 8;

struct KernelTable {
  KernelFn fn[static_cast<size_t>(Op::kCount)];
};

// Row conversions to and from any quantized dtype (defined in generic code; plain functions so
// per-ISA kernels may call them). A row whose quantization fails (non-finite input) becomes zeros.
void quantize_row_or_zero(DType dtype, const float* x, void* out, int64_t n);

namespace generic {
void fill_kernel_table(KernelTable* table);
}
namespace avx2 {
void fill_kernel_table(KernelTable* table);
}
namespace avx512 {
void fill_kernel_table(KernelTable* table);
}

}  // namespace corral::cpu
