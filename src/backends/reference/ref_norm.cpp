#include <cmath>
#include <limits>
#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {

Status ref_norm(TensorNode& n) {
  const View4 x = view4(*n.src[0]);
  const int64_t len = x.ne[3];
  const TensorNode* opt1 = n.n_src > 1 ? n.src[1] : nullptr;
  const TensorNode* opt2 = n.n_src > 2 ? n.src[2] : nullptr;
  float* out = reinterpret_cast<float*>(n.data);
  for (int64_t r = 0; r < x.rows(); ++r) {
    const auto [i0, i1, i2] = unflatten(x, r);
    const std::vector<float> v = row(x, i0, i1, i2);
    switch (n.op) {
      case Op::kRmsNorm: {
        double ss = 0;
        for (float f : v) ss += static_cast<double>(f) * f;
        const double inv = 1.0 / std::sqrt(ss / static_cast<double>(len) + std::get<NormParams>(n.params).eps);
        for (int64_t i = 0; i < len; ++i) out[r * len + i] = static_cast<float>(v[static_cast<size_t>(i)] * inv);
        break;
      }
      case Op::kLayerNorm: {
        double mean = 0, var = 0;
        for (float f : v) mean += f;
        mean /= static_cast<double>(len);
        for (float f : v) var += (f - mean) * (f - mean);
        var /= static_cast<double>(len);
        const double inv = 1.0 / std::sqrt(var + std::get<NormParams>(n.params).eps);
        const float* w = opt1 ? reinterpret_cast<const float*>(opt1->data) : nullptr;
        const float* b = opt2 ? reinterpret_cast<const float*>(opt2->data) : nullptr;
        for (int64_t i = 0; i < len; ++i) {
          double y = (v[static_cast<size_t>(i)] - mean) * inv;
          if (w) y *= w[i];
          if (b) y += b[i];
          out[r * len + i] = static_cast<float>(y);
        }
        break;
      }
      case Op::kSoftmax: {
        const double scale = std::get<SoftmaxParams>(n.params).scale;
        std::vector<double> z(static_cast<size_t>(len));
        double mx = -std::numeric_limits<double>::infinity();
        View4 m;
        if (opt1) m = view4(*opt1);
        for (int64_t i = 0; i < len; ++i) {
          double s = v[static_cast<size_t>(i)] * scale;
          if (opt1) s += at(m, i0 % m.ne[0], i1 % m.ne[1], i2 % m.ne[2], i % m.ne[3]);
          z[static_cast<size_t>(i)] = s;
          mx = std::max(mx, s);
        }
        double total = 0;
        for (double& s : z) {
          s = std::isinf(mx) && mx < 0 ? 0.0 : std::exp(s - mx);
          total += s;
        }
        for (int64_t i = 0; i < len; ++i) {
          out[r * len + i] = total > 0 ? static_cast<float>(z[static_cast<size_t>(i)] / total) : 0.0f;
        }
        break;
      }
      case Op::kArgmax: {
        int64_t best = 0;
        for (int64_t i = 1; i < len; ++i) {
          if (v[static_cast<size_t>(i)] > v[static_cast<size_t>(best)]) best = i;
        }
        reinterpret_cast<int32_t*>(n.data)[r] = static_cast<int32_t>(best);
        break;
      }
      case Op::kSum:
      case Op::kMean: {
        double s = 0;
        for (float f : v) s += f;
        out[r] = static_cast<float>(n.op == Op::kMean ? s / static_cast<double>(len) : s);
        break;
      }
      default: break;
    }
  }
  return ok_status();
}

}  // namespace corral::reference
