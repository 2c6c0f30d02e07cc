#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {
namespace {

Status get_rows(TensorNode& n) {
  const View4 table = view4(*n.src[0]);
  const int32_t* ids = reinterpret_cast<const int32_t*>(n.src[1]->data);
  const int64_t count = n.src[1]->shape.numel();
  const int64_t dim = table.ne[3];
  float* out = reinterpret_cast<float*>(n.data);
  for (int64_t r = 0; r < count; ++r) {
    if (ids[r] < 0 || ids[r] >= table.ne[2]) {
      return invalid_argument("get_rows: id %d outside table %s", ids[r], describe(*n.src[0]).c_str());
    }
    const std::vector<float> v = row(table, 0, 0, ids[r]);
    for (int64_t i = 0; i < dim; ++i) out[r * dim + i] = v[static_cast<size_t>(i)];
  }
  return ok_status();
}

Status mul_mat(TensorNode& n) {
  const View4 w = view4(*n.src[0]);
  const View4 x = view4(*n.src[1]);
  const int64_t m_rows = w.ne[2], k = w.ne[3], n_rows = x.ne[2];
  const int64_t r0 = x.ne[0] / w.ne[0], r1 = x.ne[1] / w.ne[1];
  float* out = reinterpret_cast<float*>(n.data);
  for (int64_t b0 = 0; b0 < x.ne[0]; ++b0)
    for (int64_t b1 = 0; b1 < x.ne[1]; ++b1) {
      std::vector<std::vector<float>> wm(static_cast<size_t>(m_rows));
      for (int64_t i = 0; i < m_rows; ++i) wm[static_cast<size_t>(i)] = row(w, b0 / r0, b1 / r1, i);
      for (int64_t j = 0; j < n_rows; ++j) {
        const std::vector<float> xr = row(x, b0, b1, j);
        for (int64_t i = 0; i < m_rows; ++i) {
          double acc = 0;
          const std::vector<float>& wr = wm[static_cast<size_t>(i)];
          for (int64_t c = 0; c < k; ++c) acc += static_cast<double>(wr[static_cast<size_t>(c)]) * xr[static_cast<size_t>(c)];
          out[((b0 * x.ne[1] + b1) * n_rows + j) * m_rows + i] = static_cast<float>(acc);
        }
      }
    }
  return ok_status();
}

Status copy(TensorNode& n) {
  const View4 s = view4(*n.src[0]);
  const size_t row_bytes = contiguous_bytes(n.dtype, Shape{s.ne[3]});
  for (int64_t r = 0; r < s.rows(); ++r) {
    const auto [i0, i1, i2] = unflatten(s, r);
    const std::vector<float> v = row(s, i0, i1, i2);
    store_row(n.dtype, v.data(), n.data + static_cast<size_t>(r) * row_bytes, s.ne[3]);
  }
  return ok_status();
}

Status set_rows(TensorNode& n) {
  const TensorNode& vals = *n.src[1];
  const int32_t* idx = reinterpret_cast<const int32_t*>(n.src[2]->data);
  const int64_t count = vals.shape[0];
  const int64_t row_len = vals.shape[0] == 0 ? 0 : vals.shape.numel() / vals.shape[0];
  for (int64_t r = 0; r < count; ++r) {
    if (idx[r] < 0 || idx[r] >= n.shape[0]) {
      return invalid_argument("set_rows: row %d outside %s", idx[r], describe(n).c_str());
    }
    const float* src = reinterpret_cast<const float*>(vals.data + r * vals.strides[0]);
    store_row(n.dtype, src, n.data + idx[r] * n.strides[0], row_len);
  }
  return ok_status();
}

Status concat(TensorNode& n) {
  const View4 a = view4(*n.src[0]);
  const View4 b = view4(*n.src[1]);
  const View4 o = view4(n);
  const int dim = std::get<ConcatParams>(n.params).dim + (4 - n.shape.rank());
  std::vector<float> buf(static_cast<size_t>(o.ne[3]));
  for (int64_t r = 0; r < o.rows(); ++r) {
    const auto [i0, i1, i2] = unflatten(o, r);
    for (int64_t i3 = 0; i3 < o.ne[3]; ++i3) {
      std::array<int64_t, 4> idx{i0, i1, i2, i3};
      const bool from_a = idx[static_cast<size_t>(dim)] < a.ne[static_cast<size_t>(dim)];
      if (!from_a) idx[static_cast<size_t>(dim)] -= a.ne[static_cast<size_t>(dim)];
      buf[static_cast<size_t>(i3)] = at(from_a ? a : b, idx[0], idx[1], idx[2], idx[3]);
    }
    store_row(n.dtype, buf.data(), o.data + r * o.nb[2] * 1, o.ne[3]);
  }
  return ok_status();
}

}  // namespace

Status ref_data(TensorNode& n) {
  switch (n.op) {
    case Op::kGetRows: return get_rows(n);
    case Op::kMulMat: return mul_mat(n);
    case Op::kCopy: return copy(n);
    case Op::kSetRows: return set_rows(n);
    case Op::kConcat: return concat(n);
    default: return internal_error("ref_data: op %s", std::string(op_name(n.op)).c_str());
  }
}

}  // namespace corral::reference
