// Least-squares scale search (see quant_fit.h). For each candidate scale around the obvious
// range-based one, round every element, solve the least-squares scale (and offset) for those
// integers, and keep the candidate with the smallest squared error; then refine by re-rounding.
#include "ml/quant_fit.h"

#include <cmath>

namespace corral::quant {
namespace {

int clamp_round(float v, int lo, int hi) {
  const int q = static_cast<int>(std::nearbyint(v));
  return q < lo ? lo : (q > hi ? hi : q);
}

// Error of x ~ s*q for the q given by scale iscale, with the least-squares s. Returns the error.
double try_symmetric(const float* x, int n, int lo, int hi, float iscale, int* q, float* s) {
  double sxq = 0, sqq = 0, sxx = 0;
  for (int i = 0; i < n; ++i) {
    q[i] = clamp_round(x[i] * iscale, lo, hi);
    sxq += static_cast<double>(x[i]) * q[i];
    sqq += static_cast<double>(q[i]) * q[i];
    sxx += static_cast<double>(x[i]) * x[i];
  }
  if (sqq == 0) {
    *s = 0;
    return sxx;
  }
  *s = static_cast<float>(sxq / sqq);
  return sxx - sxq * sxq / sqq;
}

// Least-squares (s, m) for x ~ s*q - m with m >= 0; returns the squared error.
double solve_affine(const float* x, int n, const int* q, float* s, float* m) {
  double sq = 0, sqq = 0, sx = 0, sxq = 0;
  for (int i = 0; i < n; ++i) {
    sq += q[i];
    sqq += static_cast<double>(q[i]) * q[i];
    sx += x[i];
    sxq += static_cast<double>(x[i]) * q[i];
  }
  const double det = n * sqq - sq * sq;
  double scale = 0, offset = 0;  // x ~ scale*q + offset
  if (det > 0) {
    scale = (n * sxq - sq * sx) / det;
    offset = (sqq * sx - sq * sxq) / det;
  }
  if (det <= 0 || offset > 0 || scale < 0) {
    offset = 0;
    scale = sqq > 0 ? sxq / sqq : 0;
    if (scale < 0) scale = 0;
  }
  double err = 0;
  for (int i = 0; i < n; ++i) {
    const double r = x[i] - scale * q[i] - offset;
    err += r * r;
  }
  *s = static_cast<float>(scale);
  *m = static_cast<float>(-offset);
  return err;
}

}  // namespace

float fit_symmetric(const float* x, int n, int lo, int hi, int* q) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax < 1e-30f) {
    for (int i = 0; i < n; ++i) q[i] = 0;
    return 0;
  }
  int tmp[256];
  double best_err = -1;
  float best_s = 0;
  // The largest element maps to either end of the grid; try scales around both.
  for (int end = 0; end < 2; ++end) {
    const float target = end == 0 ? static_cast<float>(lo) : static_cast<float>(hi);
    for (int k = -8; k <= 8; ++k) {
      const float iscale = (target + (target < 0 ? -0.1f : 0.1f) * static_cast<float>(k)) / max;
      float s;
      const double err = try_symmetric(x, n, lo, hi, iscale, tmp, &s);
      if (best_err < 0 || err < best_err) {
        best_err = err;
        best_s = s;
        for (int i = 0; i < n; ++i) q[i] = tmp[i];
      }
    }
  }
  for (int iter = 0; iter < 2 && best_s != 0; ++iter) {
    float s;
    const double err = try_symmetric(x, n, lo, hi, 1.0f / best_s, tmp, &s);
    if (err >= best_err) break;
    best_err = err;
    best_s = s;
    for (int i = 0; i < n; ++i) q[i] = tmp[i];
  }
  return best_s;
}

void fit_affine(const float* x, int n, int nmax, int* q, float* s, float* m) {
  float mn = 0, mx = x[0];
  for (int i = 0; i < n; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  if (mx - mn < 1e-30f) {
    for (int i = 0; i < n; ++i) q[i] = 0;
    *s = 0;
    *m = -mn;
    return;
  }
  int tmp[256];
  double best_err = -1;
  float best_s = 0, best_m = 0;
  for (int k = -6; k <= 12; ++k) {
    const float iscale = (static_cast<float>(nmax) + 0.1f * static_cast<float>(k)) / (mx - mn);
    for (int i = 0; i < n; ++i) tmp[i] = clamp_round((x[i] - mn) * iscale, 0, nmax);
    float cs, cm;
    const double err = solve_affine(x, n, tmp, &cs, &cm);
    if (best_err < 0 || err < best_err) {
      best_err = err;
      best_s = cs;
      best_m = cm;
      for (int i = 0; i < n; ++i) q[i] = tmp[i];
    }
  }
  for (int iter = 0; iter < 3 && best_s > 0; ++iter) {
    for (int i = 0; i < n; ++i) tmp[i] = clamp_round((x[i] + best_m) / best_s, 0, nmax);
    float cs, cm;
    const double err = solve_affine(x, n, tmp, &cs, &cm);
    if (err >= best_err) break;
    best_err = err;
    best_s = cs;
    best_m = cm;
    for (int i = 0; i < n; ++i) q[i] = tmp[i];
  }
  *s = best_s;
  *m = best_m;
}

}  // namespace corral::quant
