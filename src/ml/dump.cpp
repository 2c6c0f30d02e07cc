// GCC 12 with sanitizers reports std::regex's internal std::function temporaries as
// maybe-uninitialized (a known false positive in libstdc++ headers); silence it for this TU.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "ml/dump.h"

#include <cstring>
#include <regex>

#include "ml/quant.h"
#include "util/file.h"
#include "util/half.h"

namespace corral {
namespace {

// Calls fn(row_pointer) for each row (last dim) of t in row-major order.
template <typename Fn>
void for_each_row(const TensorNode& t, Fn&& fn) {
  const Shape s = t.shape.with_rank(kMaxDims);
  std::array<int64_t, kMaxDims> st{};
  const int pad = kMaxDims - t.shape.rank();
  for (int i = 0; i < t.shape.rank(); ++i) st[static_cast<size_t>(i + pad)] = t.strides[static_cast<size_t>(i)];
  for (int64_t a = 0; a < s[0]; ++a)
    for (int64_t b = 0; b < s[1]; ++b)
      for (int64_t c = 0; c < s[2]; ++c) fn(t.data + a * st[0] + b * st[1] + c * st[2]);
}

}  // namespace

std::vector<float> read_f32(const Tensor& t) {
  const TensorNode& n = *t.node();
  std::vector<float> out(static_cast<size_t>(n.shape.numel()));
  if (out.empty()) return out;
  const int64_t len = n.shape.last();
  const int64_t es = n.strides[static_cast<size_t>(n.shape.rank() - 1)];
  float* dst = out.data();
  for_each_row(n, [&](const std::byte* row) {
    switch (n.dtype) {
      case DType::kF32:
        for (int64_t i = 0; i < len; ++i) std::memcpy(&dst[i], row + i * es, 4);
        break;
      case DType::kF16:
      case DType::kBF16:
        for (int64_t i = 0; i < len; ++i) {
          uint16_t h;
          std::memcpy(&h, row + i * es, 2);
          dst[i] = n.dtype == DType::kF16 ? fp16_to_f32(h) : bf16_to_f32(h);
        }
        break;
      case DType::kI32:
        for (int64_t i = 0; i < len; ++i) {
          int32_t v;
          std::memcpy(&v, row + i * es, 4);
          dst[i] = static_cast<float>(v);
        }
        break;
      default:
        dequantize_row(n.dtype, row, dst, len);
        break;
    }
    dst += len;
  });
  return out;
}

std::string npy_bytes(const Tensor& t) {
  const TensorNode& n = *t.node();
  const char* descr = "<f4";
  std::string data;
  if (n.dtype == DType::kF16 || n.dtype == DType::kI32) {
    descr = n.dtype == DType::kF16 ? "<f2" : "<i4";
    const size_t es = n.dtype == DType::kF16 ? 2 : 4;
    const int64_t len = n.shape.last();
    const int64_t stride = n.strides[static_cast<size_t>(n.shape.rank() - 1)];
    data.reserve(static_cast<size_t>(n.shape.numel()) * es);
    if (n.shape.numel() > 0) {
      for_each_row(n, [&](const std::byte* row) {
        for (int64_t i = 0; i < len; ++i) data.append(reinterpret_cast<const char*>(row + i * stride), es);
      });
    }
  } else {
    const std::vector<float> v = read_f32(t);
    data.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  std::string shape = "(";
  for (int i = 0; i < n.shape.rank(); ++i) shape += std::to_string(n.shape[i]) + (n.shape.rank() == 1 ? "," : i + 1 < n.shape.rank() ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, then '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out += data;
  return out;
}

Status write_npy(const std::string& path, const Tensor& t) {
  return write_file_atomic(path, npy_bytes(t)).with_context("writing tensor dump");
}

Result<GraphObserver> make_npy_dumper(std::string dir, const std::string& filter,
                                      std::function<void(const Status&)> on_error) {
  std::regex re;
  try {
    re = std::regex(filter.empty() ? std::string(".*") : filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return invalid_argument("dump filter '%s' is not a valid regex: %s", filter.c_str(), e.what());
  }
  return GraphObserver([dir = std::move(dir), re = std::move(re), on_error = std::move(on_error)](const Tensor& t) {
    std::string name = t.name();
    if (t.layer() >= 0) name += "." + std::to_string(t.layer());
    if (!std::regex_search(t.name(), re) && !std::regex_search(name, re)) return;
    Status s = write_npy(dir + "/" + name + ".npy", t);
    if (!s.ok() && on_error) on_error(s);
  });
}

}  // namespace corral
