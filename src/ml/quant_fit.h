// Scale search for the K-quant quantizers: least-squares fits of one sub-block of floats to a
// small integer grid, symmetric (x ~ s*q) or affine (x ~ s*q - m). Scalar; depends on nothing.
#pragma once

#include <cstdint>

namespace corral::quant {

// Fits x[0..n) ~ s * q with integer q in [lo, hi]; writes q and returns s (0 for an all-zero x).
float fit_symmetric(const float* x, int n, int lo, int hi, int* q);

// Fits x[0..n) ~ s * q - m with q in [0, nmax], s >= 0, m >= 0; writes q, s and m.
void fit_affine(const float* x, int n, int nmax, int* q, float* s, float* m);

}  // namespace corral::quant
