#include <algorithm>
#include <limits>
#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {

Status ref_image(TensorNode& n) {
  const View4 x = view4(*n.src[0]);  // [N, C, H, W]
  const int64_t c_in = x.ne[1], h = x.ne[2], w = x.ne[3];
  float* out = reinterpret_cast<float*>(n.data);
  if (n.op == Op::kIm2col) {
    const auto& p = std::get<Im2colParams>(n.params);
    const int64_t oh = (h + 2 * p.pad_h - p.dilation_h * (p.kernel_h - 1) - 1) / p.stride_h + 1;
    const int64_t ow = (w + 2 * p.pad_w - p.dilation_w * (p.kernel_w - 1) - 1) / p.stride_w + 1;
    int64_t o = 0;
    for (int64_t b = 0; b < x.ne[0]; ++b)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xo = 0; xo < ow; ++xo)
          for (int64_t c = 0; c < c_in; ++c)
            for (int64_t ky = 0; ky < p.kernel_h; ++ky)
              for (int64_t kx = 0; kx < p.kernel_w; ++kx, ++o) {
                const int64_t iy = y * p.stride_h - p.pad_h + ky * p.dilation_h;
                const int64_t ix = xo * p.stride_w - p.pad_w + kx * p.dilation_w;
                out[o] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? at(x, b, c, iy, ix) : 0.0f;
              }
    return ok_status();
  }
  const auto& p = std::get<Pool2dParams>(n.params);
  const int64_t oh = (h + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1;
  const int64_t ow = (w + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1;
  int64_t o = 0;
  for (int64_t b = 0; b < x.ne[0]; ++b)
    for (int64_t c = 0; c < c_in; ++c)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xo = 0; xo < ow; ++xo, ++o) {
          double acc = p.kind == PoolKind::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
          for (int64_t ky = 0; ky < p.kernel_h; ++ky)
            for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
              const int64_t iy = y * p.stride_h - p.pad_h + ky;
              const int64_t ix = xo * p.stride_w - p.pad_w + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const double v = at(x, b, c, iy, ix);
              acc = p.kind == PoolKind::kMax ? std::max(acc, v) : acc + v;
            }
          if (p.kind == PoolKind::kAvg) acc /= static_cast<double>(p.kernel_h * p.kernel_w);
          out[o] = static_cast<float>(acc);
        }
  return ok_status();
}

}  // namespace corral::reference
