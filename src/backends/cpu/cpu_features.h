// CPU feature detection and the instruction-set levels the CPU backend dispatches on.
// Detection uses cpuid/xgetbv on x86 (and reports kGeneric only elsewhere). Depends on util/ only;
// it must not depend on ml/ or anything above.
#pragma once

#include <string_view>
#include <vector>

#include "util/status.h"

namespace corral::cpu {

// kAvx2 means AVX2+FMA+F16C; kAvx512 means AVX-512 F+BW+VL+DQ (kernels additionally use VNNI and
// BF16 when the CPU has them, chosen at run time inside the AVX-512 kernels).
enum class Isa { kGeneric, kAvx2, kAvx512 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_vnni = false, avx512_bf16 = false;
};

// Features of the running CPU (and OS support for the register state). Cached after the first call.
CpuFeatures detect_cpu_features();
bool isa_supported(Isa isa);
Isa best_isa();
std::string_view isa_name(Isa isa);  // "generic", "avx2", "avx512"
// Parses "generic|avx2|avx512" (case-insensitive). Asking for a level this CPU lacks is an error.
Result<Isa> parse_isa(std::string_view name);
// Every level this machine can run, lowest first (for tests and benchmarks).
std::vector<Isa> available_isas();

}  // namespace corral::cpu
