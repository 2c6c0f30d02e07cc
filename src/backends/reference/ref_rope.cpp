#include <cmath>
#include <variant>

#include "backends/reference/ref_impl.h"

namespace corral::reference {
namespace {

// YaRN correction dimension: the pair index whose wavelength fits n_rot times in n_ctx_orig.
double corr_dim(int n_dims, int n_ctx_orig, double beta, double base) {
  return n_dims * std::log(n_ctx_orig / (beta * 2.0 * M_PI)) / (2.0 * std::log(base));
}

}  // namespace

Status ref_rope(TensorNode& n) {
  const auto& p = std::get<RopeParams>(n.params);
  const View4 x = view4(*n.src[0]);
  const int32_t* pos = reinterpret_cast<const int32_t*>(n.src[1]->data);
  const float* ff = p.has_freq_factors ? reinterpret_cast<const float*>(n.src[2]->data) : nullptr;
  const int64_t n_tokens = x.ne[1];
  const int half = p.n_dims / 2;
  const double base = p.freq_base;
  double low = 0, high = 0;
  if (p.ext_factor != 0.0f) {
    low = std::max(0.0, std::floor(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, base)));
    high = std::min(p.n_dims - 1.0, std::ceil(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, base)));
  }
  float* out = reinterpret_cast<float*>(n.data);
  const int64_t hd = x.ne[3];
  for (int64_t b = 0; b < x.ne[0]; ++b)
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t h = 0; h < x.ne[2]; ++h) {
        const std::vector<float> v = row(x, b, t, h);
        float* o = out + ((b * n_tokens + t) * x.ne[2] + h) * hd;
        for (int64_t i = 0; i < hd; ++i) o[i] = v[static_cast<size_t>(i)];
        for (int i = 0; i < half; ++i) {
          double p_tok = 0, inv_freq = 0;
          if (p.mode == RopeMode::kNormal || p.mode == RopeMode::kNeox) {
            // The angle as GGUF's peer (llama.cpp) defines it: pos * base^(-2/n_dims) multiplied
            // i times in float; the rest in double.
            const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
            float th = static_cast<float>(pos[t]);
            for (int k = 0; k < i; ++k) th *= theta_scale;
            p_tok = th;
            inv_freq = 1.0;
          } else if (p.mode == RopeMode::k2d) {
            const int q = p.n_dims / 4;
            const int row_i = i < q ? 0 : 1;
            const int f = i < q ? 2 * i : 2 * (i - q) + 1;
            p_tok = pos[row_i * n_tokens + t];
            inv_freq = std::pow(base, -2.0 * f / p.n_dims);
          } else {
            int s = 0, start = 0;
            while (i >= start + p.sections[s]) start += p.sections[s++];
            p_tok = pos[s * n_tokens + t];
            inv_freq = p.mode == RopeMode::kMrope ? std::pow(base, -2.0 * i / p.n_dims)
                                                  : std::pow(base, -static_cast<double>(i - start) / p.sections[s]);
          }
          double theta_extrap = p_tok * inv_freq;
          if (ff) theta_extrap /= ff[i];
          const double theta_interp = p.freq_scale * theta_extrap;
          double theta = theta_interp;
          double mscale = p.attn_factor;
          if (p.ext_factor != 0.0f) {
            const double y = (i - low) / std::max(0.001, high - low);
            const double ramp = (1.0 - std::min(1.0, std::max(0.0, y))) * p.ext_factor;
            theta = theta_interp * (1.0 - ramp) + theta_extrap * ramp;
            mscale *= 1.0 + 0.1 * std::log(1.0 / p.freq_scale);
          }
          const double c = std::cos(theta) * mscale, s = std::sin(theta) * mscale;
          const int a = p.mode == RopeMode::kNormal ? 2 * i : i;
          const int bidx = p.mode == RopeMode::kNormal ? 2 * i + 1 : i + half;
          const double x0 = v[static_cast<size_t>(a)], x1 = v[static_cast<size_t>(bidx)];
          o[a] = static_cast<float>(x0 * c - x1 * s);
          o[bidx] = static_cast<float>(x0 * s + x1 * c);
        }
      }
  return ok_status();
}

}  // namespace corral::reference
