#include "backends/cpu/cpu_backend.h"

#include <algorithm>
#include <cstring>
#include <variant>

#include "backends/cpu/gemm.h"
#include "backends/cpu/repack.h"
#include "ml/quant.h"
#include "util/check.h"

namespace corral::cpu {

void quantize_row_or_zero(DType dtype, const float* x, void* out, int64_t n) {
  if (!quantize_row(dtype, x, out, n).ok()) {
    std::memset(out, 0, dtype_row_bytes(dtype, static_cast<uint64_t>(n)).value_or(0));
  }
}

namespace {

KTensor ktensor(const TensorNode* n) {
  KTensor t{};
  t.ne[0] = t.ne[1] = t.ne[2] = t.ne[3] = 1;
  if (n == nullptr) return t;
  t.data = n->data;
  t.dtype = n->dtype;
  const int pad = 4 - n->shape.rank();
  for (int i = 0; i < n->shape.rank(); ++i) {
    t.ne[i + pad] = n->shape[i];
    t.nb[i + pad] = n->strides[static_cast<size_t>(i)];
  }
  return t;
}

const void* params_of(const TensorNode& n) {
  return std::visit(
      [](const auto& p) -> const void* {
        if constexpr (std::is_same_v<std::decay_t<decltype(p)>, std::monostate>) {
          return nullptr;
        } else {
          return &p;
        }
      },
      n.params);
}

bool plain(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}
bool convertible(DType t) {
  return plain(t) || t == DType::kI32 || quant_supported(t);
}

bool repacked(const TensorNode* t) {
  return t != nullptr && ((t->flags & kTensorRepacked) != 0 ||
                          (t->view_src != nullptr && (t->view_src->flags & kTensorRepacked) != 0));
}

// Rows of at least this many elements per chunk keep dispatch overhead below the work.
int64_t min_rows(int64_t row_len) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, row_len));
}

}  // namespace

CpuBackend::CpuBackend(Isa isa, ThreadPool* pool, std::unique_ptr<ThreadPool> owned)
    : isa_(isa), owned_pool_(std::move(owned)), pool_(pool) {
  switch (isa_) {
#if defined(CORRAL_HAVE_X86_KERNELS)
    case Isa::kAvx512:
      avx512::fill_kernel_table(&table_);
      break;
    case Isa::kAvx2:
      avx2::fill_kernel_table(&table_);
      break;
#endif
    default:
      generic::fill_kernel_table(&table_);
      break;
  }
}

Result<std::unique_ptr<CpuBackend>> CpuBackend::create(const BackendOptions& options) {
  Isa isa = best_isa();
  if (!options.cpu_isa.empty()) {
    CORRAL_ASSIGN_OR_RETURN(isa, parse_isa(options.cpu_isa));
  }
  std::unique_ptr<ThreadPool> owned;
  ThreadPool* pool = options.pool;
  if (pool == nullptr) {
    owned = std::make_unique<ThreadPool>(options.num_threads);
    pool = owned.get();
  }
  auto backend = std::unique_ptr<CpuBackend>(new CpuBackend(isa, pool, std::move(owned)));
  backend->repack_ = options.repack_weights;
  return backend;
}

bool CpuBackend::supports(const TensorNode& n) const {
  const auto src = [&](int i) { return n.src[static_cast<size_t>(i)]->dtype; };
  // A repacked weight is read as mul_mat's weights or get_rows' table, itself (not through a view).
  for (int i = 0; i < n.n_src && n.op != Op::kView; ++i) {
    const TensorNode* s = n.src[static_cast<size_t>(i)];
    if (repacked(s) && !(i == 0 && (n.op == Op::kMulMat || n.op == Op::kGetRows) && !s->is_view()))
      return false;
  }
  switch (n.op) {
    case Op::kView:
      return true;
    case Op::kMulMat:
      return matmul_supported(src(0));
    case Op::kGetRows:
      return convertible(src(0)) && src(0) != DType::kI32;
    case Op::kCopy:
      return convertible(src(0)) && convertible(n.dtype);
    case Op::kSetRows:
      return convertible(n.dtype) && n.dtype != DType::kI32;
    case Op::kNone:
    case Op::kCount:
      return false;
    default:
      return table_.fn[static_cast<size_t>(n.op)] != nullptr;
  }
}

Status CpuBackend::prepare_weights(Context& weights) {
  if (!repack_ || !q4_0x8_direct(isa_)) return ok_status();
  for (TensorNode& n : weights.nodes()) {
    if (!n.is_leaf() || n.data == nullptr || n.dtype != DType::kQ4_0 || n.shape.rank() != 2 ||
        !is_contiguous(n) || (n.flags & kTensorRepacked) != 0 || !q4_0x8_fits(n.shape[0], n.shape[1])) {
      continue;
    }
    const int64_t k = n.shape[1];
    const size_t group = static_cast<size_t>(k / 32) * kQ4_0x8BlockBytes;
    std::byte* data = n.data;
    pool_->parallel_for(n.shape[0] / kQ4_0x8Rows, 16, [&](int64_t b, int64_t e, int) {
      repack_q4_0x8(data + static_cast<size_t>(b) * group, (e - b) * kQ4_0x8Rows, k);
    });
    n.flags |= kTensorRepacked;
  }
  return ok_status();
}

Status CpuBackend::run_get_rows_q4_0x8(const TensorNode& n) {
  const TensorNode& table = *n.src[0];
  const int32_t* ids = reinterpret_cast<const int32_t*>(n.src[1]->data);
  const int64_t k = table.shape[1];
  const auto row_bytes = static_cast<size_t>(*dtype_row_bytes(DType::kQ4_0, static_cast<uint64_t>(k)));
  float* out = reinterpret_cast<float*>(n.data);
  pool_->parallel_for(n.src[1]->shape.numel(), 1, [&](int64_t b, int64_t e, int) {
    std::vector<std::byte> row(row_bytes);
    for (int64_t r = b; r < e; ++r) {
      unpack_q4_0x8_rows(table.data, k, ids[r], ids[r] + 1, row.data());
      dequantize_row(DType::kQ4_0, row.data(), out + r * k, k);
    }
  });
  return ok_status();
}

Status CpuBackend::compute(Graph& g) {
  CORRAL_TRY(check_graph(g));
  for (TensorNode* n : g.nodes) {
    if (n->op != Op::kView) CORRAL_TRY(run_node(*n));
    notify(n);
  }
  return ok_status();
}

Status CpuBackend::run_node(TensorNode& n) {
  if (n.op == Op::kMulMat) return run_mul_mat(n);
  KOp op{};
  op.op = n.op;
  op.dst = ktensor(&n);
  for (int i = 0; i < n.n_src && i < 4; ++i) {
    op.src[i] = ktensor(n.src[static_cast<size_t>(i)]);
    op.has_src[i] = n.src[static_cast<size_t>(i)] != nullptr;
  }
  op.params = params_of(n);
  op.dst_row_bytes = n.shape.numel() == 0 ? 0 : contiguous_bytes(n.dtype, Shape{n.shape.last()});
  const int64_t row_len = op.src[0].ne[3];
  int64_t items = op.src[0].ne[0] * op.src[0].ne[1] * op.src[0].ne[2];
  int64_t min_chunk = min_rows(row_len);
  size_t scratch = 0;
  switch (n.op) {
    case Op::kGetRows: {
      const int32_t* ids =
          n.src[1]->data == nullptr ? nullptr : reinterpret_cast<const int32_t*>(n.src[1]->data);
      items = n.src[1]->shape.numel();
      for (int64_t i = 0; i < items; ++i) {
        if (ids[i] < 0 || ids[i] >= n.src[0]->shape[0]) {
          return invalid_argument("get_rows: id %d outside table %s", ids[i], describe(*n.src[0]).c_str());
        }
      }
      if (repacked(n.src[0])) return run_get_rows_q4_0x8(n);
      break;
    }
    case Op::kSetRows: {
      const TensorNode& vals = *n.src[1];
      const int32_t* idx = reinterpret_cast<const int32_t*>(n.src[2]->data);
      items = vals.shape[0];
      for (int64_t i = 0; i < items; ++i) {
        if (idx[i] < 0 || idx[i] >= n.shape[0])
          return invalid_argument("set_rows: row %d outside %s", idx[i], describe(n).c_str());
      }
      op.row_len = items == 0 ? 0 : vals.shape.numel() / items;
      op.src_row_stride = vals.strides[0];
      op.dst_row_stride = n.strides[0];
      min_chunk = min_rows(op.row_len);
      break;
    }
    case Op::kCopy:
      scratch = static_cast<size_t>(row_len);
      break;
    case Op::kConcat:
      op.axis = std::get<ConcatParams>(n.params).dim + (4 - n.shape.rank());
      items = op.dst.ne[0] * op.dst.ne[1] * op.dst.ne[2];
      min_chunk = min_rows(op.dst.ne[3]);
      break;
    case Op::kRope:
      items = op.src[0].ne[0] * op.src[0].ne[1];
      scratch = static_cast<size_t>(std::get<RopeParams>(n.params).n_dims);
      min_chunk = std::max<int64_t>(1, 4096 / (row_len * op.src[0].ne[2]));
      break;
    case Op::kIm2col:
    case Op::kPool2d:
      items = op.dst.ne[0] * op.dst.ne[1] * op.dst.ne[2];
      min_chunk = 1;
      break;
    case Op::kFlashAttention: {
      const KTensor& q = op.src[0];
      const KTensor& k = op.src[1];
      const int64_t group = q.ne[1] / k.ne[1];
      items = q.ne[0] * ((q.ne[2] + kAttentionQueries - 1) / kAttentionQueries) * k.ne[1];
      scratch = static_cast<size_t>(kAttentionQueries * group * (q.ne[3] + op.src[2].ne[3] + 2) +
                                    kAttentionBlock * (q.ne[3] + op.src[2].ne[3] + 1));
      min_chunk = 1;
      break;
    }
    default:
      break;
  }
  if (items == 0) return ok_status();
  scratch = (scratch + 15) / 16 * 16;
  if (scratch_.size() < scratch * static_cast<size_t>(pool_->size()))
    scratch_.resize(scratch * static_cast<size_t>(pool_->size()));
  const KernelFn fn = table_.fn[static_cast<size_t>(n.op)];
  float* scratch_base = scratch_.data();
  pool_->parallel_for(items, min_chunk, [&](int64_t begin, int64_t end, int thread) {
    fn(op, begin, end, scratch_base + scratch * static_cast<size_t>(thread));
  });
  return ok_status();
}

Status register_cpu_backend(BackendRegistry& registry) {
  return registry.add("cpu", [](const BackendOptions& options) -> Result<std::unique_ptr<Backend>> {
    CORRAL_ASSIGN_OR_RETURN(auto backend, CpuBackend::create(options));
    return std::unique_ptr<Backend>(std::move(backend));
  });
}

}  // namespace corral::cpu
