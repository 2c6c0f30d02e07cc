// The avx2 instantiation of the CPU kernels: kernels.inc and kernels_data.inc re-included inside
// namespace corral::cpu::avx2, compiled with this ISA's flags only (see CMakeLists.txt).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "backends/cpu/kernel_abi.h"
#include "ml/quant.h"

namespace corral::cpu::avx2 {
namespace {
#include "backends/cpu/isa/vec_avx2.inc"
#include "backends/cpu/isa/kernels.inc"
#include "backends/cpu/isa/kernels_data.inc"
}  // namespace

void fill_kernel_table(KernelTable* table) { fill_table_impl(table); }

}  // namespace corral::cpu::avx2
