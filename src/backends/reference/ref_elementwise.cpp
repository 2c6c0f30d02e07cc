#include <cmath>
#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {
namespace {

double gelu_tanh(double x) {
  const double k = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}
double gelu_erf(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double silu(double x) { return x / (1.0 + std::exp(-x)); }

double unary(Op op, double x, const TensorNode& n) {
  switch (op) {
    case Op::kScale: {
      const auto& p = std::get<ScaleParams>(n.params);
      return x * p.scale + p.bias;
    }
    case Op::kSilu: return silu(x);
    case Op::kGelu: return gelu_tanh(x);
    case Op::kGeluErf: return gelu_erf(x);
    case Op::kTanh: return std::tanh(x);
    case Op::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Op::kExp: return std::exp(x);
    default: return 0.0;
  }
}

}  // namespace

Status ref_elementwise(TensorNode& n) {
  const View4 a = view4(*n.src[0]);
  const bool binary = n.n_src >= 2;
  const View4 b = binary ? view4(*n.src[1]) : View4{};
  float* out = reinterpret_cast<float*>(n.data);
  int64_t o = 0;
  for (int64_t i0 = 0; i0 < a.ne[0]; ++i0)
    for (int64_t i1 = 0; i1 < a.ne[1]; ++i1)
      for (int64_t i2 = 0; i2 < a.ne[2]; ++i2)
        for (int64_t i3 = 0; i3 < a.ne[3]; ++i3, ++o) {
          const double x = at(a, i0, i1, i2, i3);
          if (!binary) {
            out[o] = static_cast<float>(unary(n.op, x, n));
            continue;
          }
          const double y = at(b, i0 % b.ne[0], i1 % b.ne[1], i2 % b.ne[2], i3 % b.ne[3]);
          double r = 0;
          switch (n.op) {
            case Op::kAdd: r = x + y; break;
            case Op::kSub: r = x - y; break;
            case Op::kMul: r = x * y; break;
            case Op::kDiv: r = x / y; break;
            case Op::kSwiglu: r = silu(x) * y; break;
            case Op::kGeglu: r = gelu_tanh(x) * y; break;
            default: break;
          }
          out[o] = static_cast<float>(r);
        }
  return ok_status();
}

}  // namespace corral::reference
