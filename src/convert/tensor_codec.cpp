// Tensor element conversion for the converter (see tensor_codec.h).
#include "convert/tensor_codec.h"

#include <cstring>
#include <mutex>

#include "ml/quant.h"
#include "util/half.h"

namespace corral::convert {

Status hf_to_floats(const HfTensor& t, std::vector<float>* out) {
  const uint64_t n = t.num_elements();
  out->resize(n);
  const std::byte* p = t.data.data();
  switch (t.dtype) {
    case HfDType::kF32: std::memcpy(out->data(), p, n * 4); return ok_status();
    case HfDType::kF64:
      for (uint64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, p + i * 8, 8);
        (*out)[i] = static_cast<float>(d);
      }
      return ok_status();
    case HfDType::kF16:
    case HfDType::kBF16:
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + i * 2, 2);
        (*out)[i] = t.dtype == HfDType::kF16 ? fp16_to_f32(h) : bf16_to_f32(h);
      }
      return ok_status();
    default:
      return unsupported("tensor '%s': dtype %s cannot be converted (only F64, F32, F16, BF16)", t.name.c_str(),
                         std::string(hf_dtype_name(t.dtype)).c_str());
  }
}

Status gguf_to_floats(DType type, std::span<const std::byte> data, uint64_t n, const std::string& name,
                      std::vector<float>* out) {
  if (type != DType::kF32 && type != DType::kF16 && type != DType::kBF16) {
    return unsupported("tensor '%s' is %s: only F32, F16 and BF16 tensors can be quantized", name.c_str(),
                       std::string(dtype_name(type)).c_str());
  }
  out->resize(n);
  dequantize_row(type, data.data(), out->data(), static_cast<int64_t>(n));
  return ok_status();
}

Status encode_rows(std::span<const float> data, int64_t row, DType type, ThreadPool* pool, const std::string& name,
                   std::vector<std::byte>* out) {
  if (row <= 0 || data.size() % static_cast<size_t>(row) != 0) {
    return internal_error("tensor '%s': %zu elements are not rows of %lld", name.c_str(), data.size(),
                          static_cast<long long>(row));
  }
  const auto row_bytes = dtype_row_bytes(type, static_cast<uint64_t>(row));
  if (!row_bytes || !quant_supported(type)) {
    return unsupported("tensor '%s': cannot encode rows of %lld as %s", name.c_str(), static_cast<long long>(row),
                       std::string(dtype_name(type)).c_str());
  }
  const int64_t rows = static_cast<int64_t>(data.size()) / row;
  out->resize(static_cast<size_t>(rows) * *row_bytes);
  std::mutex mu;
  Status first;
  auto work = [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      Status st = quantize_row(type, data.data() + r * row, out->data() + r * *row_bytes, row);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = st.with_context("tensor '" + name + "' row " + std::to_string(r));
        return;
      }
    }
  };
  // Quantized rows are costly; plain conversions are cheap, so give those bigger chunks.
  const int64_t min_chunk = dtype_traits(type).block_size > 1 ? 4 : 256;
  if (pool) {
    pool->parallel_for(rows, min_chunk, [&work](int64_t b, int64_t e, int t) { work(b, e, t); });
  } else {
    work(0, rows, 0);
  }
  return first;
}

}  // namespace corral::convert
