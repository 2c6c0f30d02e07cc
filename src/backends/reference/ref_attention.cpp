#include <cmath>
#include <limits>
#include <variant>

#include "backends/reference/ref_impl.h"
#include "util/half.h"

namespace corral::reference {
namespace {

float round_f16(float x) { return fp16_to_f32(f32_to_fp16(x)); }

// AttentionParams::round_f16: llama.cpp's CPU arithmetic for an F16 cache, written plainly. With
// F16 k the q row is rounded to F16; keys are taken in order with a running max m and sum l; with
// F16 v the unnormalised output is rounded to F16 after every rescale and every added row.
void attention_row_f16(const View4& q, const View4& k, const View4& v, const View4* m, const AttentionParams& p,
                       int64_t b, int64_t h, int64_t i, float* o) {
  const int64_t nq = q.ne[2], nkv = k.ne[2], dv = v.ne[3];
  const int64_t bk = b % k.ne[0], hk = h / (q.ne[1] / k.ne[1]);
  std::vector<float> qr = row(q, b, h, i);
  if (k.dtype == DType::kF16) {
    for (float& x : qr) x = round_f16(x);
  }
  const bool v16 = v.dtype == DType::kF16;
  std::vector<float> acc(static_cast<size_t>(dv), 0.0f);
  float mx = -std::numeric_limits<float>::infinity(), l = 0.0f;
  for (int64_t j = 0; j < nkv; ++j) {
    if (p.causal && j > i + (nkv - nq)) continue;
    const float mv = m ? at(*m, b % m->ne[0], h % m->ne[1], i % m->ne[2], j % m->ne[3]) : 0.0f;
    if (std::isinf(mv) && mv < 0) continue;
    const std::vector<float> kr = row(k, bk, hk, j);
    double d = 0;
    for (size_t c = 0; c < qr.size(); ++c) d += static_cast<double>(qr[c]) * kr[c];
    const float s = static_cast<float>(d) * p.scale + mv;
    float ms = 1.0f, vs = 1.0f;
    if (s > mx) {
      ms = std::isinf(mx) ? 0.0f : std::exp(mx - s);
      mx = s;
      for (float& a : acc) a = v16 ? round_f16(a * ms) : a * ms;
    } else {
      vs = std::exp(s - mx);
    }
    const std::vector<float> vr = row(v, bk, hk, j);
    for (int64_t c = 0; c < dv; ++c) {
      const float y = std::fma(vr[static_cast<size_t>(c)], vs, acc[static_cast<size_t>(c)]);
      acc[static_cast<size_t>(c)] = v16 ? round_f16(y) : y;
    }
    l = l * ms + vs;
  }
  for (int64_t c = 0; c < dv; ++c) o[c] = l > 0 ? acc[static_cast<size_t>(c)] * (1.0f / l) : 0.0f;
}

}  // namespace

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
        if (p.round_f16) {
          attention_row_f16(q, k, v, p.has_mask ? &m : nullptr, p, b, h, i, out + ((b * nq + i) * hq + h) * dv);
          continue;
        }
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
