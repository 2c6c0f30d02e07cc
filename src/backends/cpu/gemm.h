// The matmul seam of the CPU backend: pack one op's activations once, then compute tiles of
// C = W x X^T with the kernel of a chosen ISA. Plain functions over raw rows; the caller (the
// CPU mul_mat op) owns threading and memory. Depends on util/ only (not on ml/ graph types).
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/cpu/cpu_features.h"
#include "util/dtype.h"

namespace corral::cpu {

// Weight dtypes matmul_tile accepts: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K.
bool matmul_supported(DType weight);

// The dtype packed activation rows have for this weight dtype (what the dot product consumes):
// F32 for F32/F16, BF16 for BF16, Q8_0 for the 32-element quants, Q8_K for the K-quants.
DType activation_dtype(DType weight);
// Bytes of one packed activation row of k elements (k must be a multiple of the weight block size).
size_t activation_row_bytes(DType weight, int64_t k);

// Packs one row of k floats into out_row (activation_row_bytes(weight, k) bytes). Every ISA
// produces the same bytes; the ISA only changes speed.
void pack_activations(Isa isa, DType weight, const float* x, int64_t k, void* out_row);

// C[j*ldc + i] = sum_k W[i,k] * X[j,k] for weight rows i in [i0,i1) and activation rows j in
// [j0,j1). w points at weight row 0 (rows w_row_bytes apart), xq at packed activation row 0.
// Tiles of any size and offset are allowed; tiles of preferred_tile() granularity are fastest.
void matmul_tile(Isa isa, DType weight, int64_t k, const void* w, size_t w_row_bytes, const void* xq,
                 size_t xq_row_bytes, float* c, size_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1);

// matmul_tile for Q4_0 weights in the Q4_0x8 layout (repack.h; w points at group 0, rows
// k / 32 * 18 bytes apart as before). Tiles the ISA decodes directly (q4_0x8_direct; whole groups,
// at most kGemvMaxCols activation rows: decode) run the group kernel; any other tile unpacks its
// rows and runs the Q4_0 kernels, so it gets the bits of the plain matrix.
void matmul_tile_q4_0x8(Isa isa, int64_t k, const void* w, const void* xq, size_t xq_row_bytes, float* c,
                        size_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
// True when isa has the Q4_0x8 group kernel: the only case the layout is worth choosing.
bool q4_0x8_direct(Isa isa);

// A hint for the caller's thread split: tile sizes (weight rows x activation rows) that keep the
// register-tiled kernel busy. rows is a multiple of the kernel's weight-row tile.
struct TileHint {
  int64_t rows;
  int64_t cols;
};
TileHint preferred_tile(Isa isa, DType weight);

// True when tiles of this weight dtype with at most `cols` activation rows run the fused
// matrix-vector kernel (the decode shape): it streams each weight row once with no per-call
// scratch, so the caller should give each thread a few long contiguous ranges of weight rows.
bool matmul_is_gemv(Isa isa, DType weight, int64_t cols);

}  // namespace corral::cpu
