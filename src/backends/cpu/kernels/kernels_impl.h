// Private to backends/cpu: the per-ISA entry points behind gemm.h. Each ISA's translation
// units are compiled with their own -m flags and define these inside their own namespace;
// gemm.cpp (compiled without extra flags) dispatches. Depends on util/ and ml/quant_blocks.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/dtype.h"

namespace corral::cpu {

// Tiles with at most this many activation rows (3 for float weights) run the x86 fused matrix-vector kernels
// (x86_gemv_impl.h) for the dtypes matmul_is_gemv lists.
constexpr int64_t kGemvMaxCols = 8;

// The most activation rows a tile of weight dtype t may have for the fused path: the float kernels
// take one activation row per pass, so beyond 3 rows the GEMM is cheaper for them.
constexpr int64_t gemv_max_cols(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 ? 3 : kGemvMaxCols;
}

struct TileArgs {
  int64_t k;
  const uint8_t* w;  // weight row 0
  size_t w_row_bytes;
  const uint8_t* xq;  // packed activation row 0
  size_t xq_row_bytes;
  float* c;
  size_t ldc;
  int64_t i0, i1, j0, j1;
};

// Every IEEE half converted to float (65536 entries, exactly what vcvtph2ps gives for non-NaN
// values), built on first use. The row kernels broadcast a block's scale straight from it: a
// broadcast from memory is a plain load, where vcvtph2ps + vbroadcastss cost two vector ops per
// block and row in kernels that are limited by vector ops.
const float* half_to_float_table();

namespace generic {
void pack_activations(DType weight, const float* x, int64_t k, void* out);
void matmul_tile(DType weight, const TileArgs& a);
}  // namespace generic

namespace avx2 {
void pack_activations(DType weight, const float* x, int64_t k, void* out);
void matmul_tile(DType weight, const TileArgs& a);
}  // namespace avx2

namespace avx512 {
void pack_activations(DType weight, const float* x, int64_t k, void* out);
void matmul_tile(DType weight, const TileArgs& a);
// A tile of a Q4_0x8 matrix (repack.h) with the fused kernel; false (nothing done) unless the CPU
// has VNNI, the tile has at most kGemvMaxCols activation rows and its rows are whole groups.
bool matmul_tile_q4_0x8(const TileArgs& a);
}  // namespace avx512

}  // namespace corral::cpu
