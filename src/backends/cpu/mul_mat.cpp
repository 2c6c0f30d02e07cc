// The CPU mul_mat: activations packed once per op for the weight dtype (rows split across
// threads; Q4_0x8 weights pack as Q4_0), then the [N x M] output of every batch split into tiles that threads
// claim and compute with the matmul seam (gemm.h). GQA-style broadcasting maps x batch b to w batch b /
// (x_dim / w_dim).
#include <algorithm>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/gemm.h"

namespace corral::cpu {
namespace {

int64_t round_up(int64_t v, int64_t m) {
  return (v + m - 1) / m * m;
}

struct Dims4 {
  int64_t ne[4];
  int64_t nb[4];
};

Dims4 dims4(const TensorNode& n) {
  Dims4 d{{1, 1, 1, 1}, {0, 0, 0, 0}};
  const int pad = 4 - n.shape.rank();
  for (int i = 0; i < n.shape.rank(); ++i) {
    d.ne[i + pad] = n.shape[i];
    d.nb[i + pad] = n.strides[static_cast<size_t>(i)];
  }
  return d;
}

}  // namespace

Status CpuBackend::run_mul_mat(const TensorNode& n) {
  const TensorNode& wn = *n.src[0];
  const TensorNode& xn = *n.src[1];
  const Dims4 w = dims4(wn), x = dims4(xn);
  const DType wt = wn.dtype;
  const int64_t k = w.ne[3], m = w.ne[2], cols = x.ne[2];
  const int64_t batches = x.ne[0] * x.ne[1];
  const int64_t r0 = x.ne[0] / w.ne[0], r1 = x.ne[1] / w.ne[1];
  if (m == 0 || cols == 0 || batches == 0) return ok_status();
  const size_t row_bytes = activation_row_bytes(wt, k);
  const size_t need = row_bytes * static_cast<size_t>(batches * cols);
  if (work_.size() < need) {
    CORRAL_ASSIGN_OR_RETURN(work_, Buffer::allocate(need + need / 4));
  }
  std::byte* packed = work_.data();
  const Isa isa = isa_;
  pool_->parallel_for(
      batches * cols, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, k)), [&](int64_t b, int64_t e, int) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t bi = r / cols, j = r % cols;
          const std::byte* row = xn.data + (bi / x.ne[1]) * x.nb[0] + (bi % x.ne[1]) * x.nb[1] + j * x.nb[2];
          pack_activations(isa, wt, reinterpret_cast<const float*>(row), k,
                           packed + static_cast<size_t>(r) * row_bytes);
        }
      });

  const TileHint hint = preferred_tile(isa, wt);
  const int64_t hint_rows = std::max<int64_t>(1, hint.rows), hint_cols = std::max<int64_t>(1, hint.cols);
  const int64_t col_chunk = std::min(cols, round_up(64, hint_cols));
  const int64_t n_ci = (cols + col_chunk - 1) / col_chunk;
  const int64_t want = 4 * static_cast<int64_t>(pool_->size());
  int64_t row_chunk = round_up(64, hint_rows);
  if (matmul_is_gemv(isa, wt, cols)) {
    // Decode: about `want` long contiguous ranges of weight rows over all batches (claimed
    // dynamically, so a descheduled thread does not hold up the rest); multiples of 16 rows keep
    // each range's outputs on their own cache lines.
    row_chunk = std::max<int64_t>(16, round_up((m * batches + want - 1) / want, 16));
  }
  while (row_chunk > hint_rows && batches * n_ci * ((m + row_chunk - 1) / row_chunk) < want) {
    row_chunk = std::max(hint_rows, round_up(row_chunk / 2, hint_rows));
  }
  const int64_t n_ri = (m + row_chunk - 1) / row_chunk;
  float* out = reinterpret_cast<float*>(n.data);
  // Q4_0 weights in the Q4_0x8 layout (prepare_weights; 2-D, so one weight batch; row chunks are
  // multiples of 16 or end at m, so tiles hold whole groups).
  const bool x8 = (wn.flags & kTensorRepacked) != 0;
  // Item order: column chunks fastest, so a thread's consecutive items reuse one weight tile.
  pool_->parallel_for(batches * n_ri * n_ci, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t it = b; it < e; ++it) {
      const int64_t ci = it % n_ci, ri = (it / n_ci) % n_ri, bi = it / (n_ci * n_ri);
      const int64_t b0 = bi / x.ne[1], b1 = bi % x.ne[1];
      const std::byte* wp = wn.data + (b0 / r0) * w.nb[0] + (b1 / r1) * w.nb[1];
      const std::byte* xq = packed + static_cast<size_t>(bi * cols) * row_bytes;
      const int64_t i0 = ri * row_chunk, j0 = ci * col_chunk;
      float* c = out + bi * cols * m;
      const int64_t i1 = std::min(m, i0 + row_chunk), j1 = std::min(cols, j0 + col_chunk);
      if (x8) {
        matmul_tile_q4_0x8(isa, k, wp, xq, row_bytes, c, static_cast<size_t>(m), i0, i1, j0, j1);
      } else {
        matmul_tile(isa, wt, k, wp, static_cast<size_t>(w.nb[2]), xq, row_bytes, c, static_cast<size_t>(m),
                    i0, i1, j0, j1);
      }
    }
  });
  return ok_status();
}

}  // namespace corral::cpu
