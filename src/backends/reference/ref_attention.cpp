#include <cmath>
#include <limits>
#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {

Status ref_attention(TensorNode& n) {
  const auto& p = std::get<AttentionParams>(n.params);
  const View4 q = view4(*n.src[0]);
  const View4 k = view4(*n.src[1]);
  const View4 v = view4(*n.src[2]);
  View4 m;
  if (p.has_mask) m = view4(*n.src[3]);
  const int64_t hq = q.ne[1], nq = q.ne[2], nkv = k.ne[2], dv = v.ne[3];
  const int64_t group = hq / k.ne[1];
  float* out = reinterpret_cast<float*>(n.data);  // [B, Nq, Hq, Dv]
  std::vector<double> s(static_cast<size_t>(nkv));
  for (int64_t b = 0; b < q.ne[0]; ++b) {
    const int64_t bk = b % k.ne[0];
    for (int64_t h = 0; h < hq; ++h) {
      const int64_t hk = h / group;
      for (int64_t i = 0; i < nq; ++i) {
        const std::vector<float> qr = row(q, b, h, i);
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < nkv; ++j) {
          double d = -std::numeric_limits<double>::infinity();
          if (!p.causal || j <= i + (nkv - nq)) {
            const std::vector<float> kr = row(k, bk, hk, j);
            d = 0;
            for (size_t c = 0; c < qr.size(); ++c) d += static_cast<double>(qr[c]) * kr[c];
            d *= p.scale;
            if (p.has_mask) d += at(m, b % m.ne[0], h % m.ne[1], i % m.ne[2], j % m.ne[3]);
          }
          s[static_cast<size_t>(j)] = d;
          mx = std::max(mx, d);
        }
        std::vector<double> acc(static_cast<size_t>(dv), 0.0);
        double total = 0;
        if (!(std::isinf(mx) && mx < 0)) {
          for (int64_t j = 0; j < nkv; ++j) {
            const double w = std::exp(s[static_cast<size_t>(j)] - mx);
            if (w == 0) continue;
            total += w;
            const std::vector<float> vr = row(v, bk, hk, j);
            for (int64_t c = 0; c < dv; ++c) acc[static_cast<size_t>(c)] += w * vr[static_cast<size_t>(c)];
          }
        }
        float* o = out + ((b * nq + i) * hq + h) * dv;
        for (int64_t c = 0; c < dv; ++c) o[c] = total > 0 ? static_cast<float>(acc[static_cast<size_t>(c)] / total) : 0.0f;
      }
    }
  }
  return ok_status();
}

}  // namespace corral::reference
