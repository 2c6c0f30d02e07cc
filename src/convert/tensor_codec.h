// Element conversion for the converter: a checkpoint tensor (HF dtypes, or a GGUF F32/F16/BF16
// tensor) to floats, and float rows to any type quant_supported() accepts, split over a
// ThreadPool by rows. Depends on util, formats and ml/quant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/hf_tensor.h"
#include "util/dtype.h"
#include "util/status.h"
#include "util/thread_pool.h"

namespace corral::convert {

// unsupported for non-float source types.
Status hf_to_floats(const HfTensor& t, std::vector<float>* out);
// F32, F16 and BF16 only (requantizing a quantized GGUF is refused).
Status gguf_to_floats(DType type, std::span<const std::byte> data, uint64_t n, const std::string& name,
                      std::vector<float>* out);
// Encodes data (rows of `row` elements) as `type` into *out (resized). Names the tensor in errors.
Status encode_rows(std::span<const float> data, int64_t row, DType type, ThreadPool* pool, const std::string& name,
                   std::vector<std::byte>* out);

}  // namespace corral::convert
