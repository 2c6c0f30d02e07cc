// Scalar, portable conversion of float rows to and from GGUF's element types (plain and
// quantized blocks, layouts in quant_blocks.h). The reference every SIMD kernel is tested
// against, and what the converter uses to quantize. Depends on util/ only.
#pragma once

#include <cstdint>

#include "util/dtype.h"
#include "util/status.h"

namespace corral {

// True for the types quantize_row/dequantize_row handle: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
bool quant_supported(DType type);

// Converts n floats to dtype_row_bytes(type, n) bytes at out. Q4_0..Q8_0 blocks are bit-identical
// to the gguf Python package's quantizers. Errors: unsupported type, n not a multiple of the block
// size, or a non-finite input to a quantized type.
Status quantize_row(DType type, const float* x, void* out, int64_t n);

// Converts one row of n elements of `type` back to floats (exactly as the gguf package does).
// type must satisfy quant_supported and n be a multiple of its block size (checked).
void dequantize_row(DType type, const void* in, float* y, int64_t n);

namespace quant {
// Per-format entry points (n a multiple of the block size; inputs finite). Used by quant.cpp's
// dispatch and by the CPU backend's generic activation packing.
void quantize_q8_0(const float* x, void* out, int64_t n);
void quantize_q8_1(const float* x, void* out, int64_t n);
void quantize_q8_k(const float* x, void* out, int64_t n);
void quantize_q2_k(const float* x, void* out, int64_t n);
void quantize_q3_k(const float* x, void* out, int64_t n);
void quantize_q4_k(const float* x, void* out, int64_t n);
void quantize_q5_k(const float* x, void* out, int64_t n);
void quantize_q6_k(const float* x, void* out, int64_t n);
void dequantize_k(DType type, const void* in, float* y, int64_t n);  // Q2_K..Q6_K, Q8_K
}  // namespace quant

}  // namespace corral
