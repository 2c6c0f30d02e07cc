// Private to backends/cpu: the weight layouts the CPU backend rearranges weights into at load, for
// its decode kernels. One so far, Q4_0x8: the rows of a Q4_0 matrix in groups of 8, so one group is
// one sequential stream and one 32-bit vector lane holds one row (x86_gemv_impl.h, group_q4_0x8).
// Group g (rows 8g..8g+7) occupies exactly the bytes its 8 rows did, as k / 32 blocks of 144 bytes:
// the 8 rows' F16 scales (16 bytes), then their 16 quant bytes as 4 chunks of 8 x 4 bytes (chunk c
// holds quant bytes 4c..4c+3 of rows 0..7 in order). Depends on util/ only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace corral::cpu {

constexpr int64_t kQ4_0x8Rows = 8;
constexpr size_t kQ4_0x8BlockBytes = 144;  // 8 x 18: the 8 rows' block b

// True when a Q4_0 matrix of `rows` rows of k elements can take the Q4_0x8 layout.
bool q4_0x8_fits(int64_t rows, int64_t k);

// Rearranges a contiguous Q4_0 matrix into Q4_0x8 in place (q4_0x8_fits must hold).
void repack_q4_0x8(void* data, int64_t rows, int64_t k);

// Writes rows [r0, r1) of a Q4_0x8 matrix at data as plain Q4_0 rows to out ((r1 - r0) rows).
void unpack_q4_0x8_rows(const void* data, int64_t k, int64_t r0, int64_t r1, void* out);

}  // namespace corral::cpu
