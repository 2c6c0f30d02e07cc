// A minimal .npy (format 1.x/2.x) reader for test goldens: little-endian f4 / i4 arrays in C order.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace corral::testing {

struct NpyArray {
  std::string dtype;           // "<f4" or "<i4"
  std::vector<int64_t> shape;  // outermost-first
  std::vector<char> bytes;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  std::vector<float> f32() const {
    std::vector<float> v(static_cast<size_t>(numel()));
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
  }
  std::vector<int32_t> i32() const {
    std::vector<int32_t> v(static_cast<size_t>(numel()));
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
  }
};

// Returns false (and leaves *out partial) when the file is missing or not a plain f4/i4 array.
inline bool read_npy(const std::string& path, NpyArray* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (all.size() < 10 || all.compare(0, 6, "\x93NUMPY") != 0) return false;
  const int major = static_cast<unsigned char>(all[6]);
  size_t header_len, start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(all[8]) | (static_cast<unsigned char>(all[9]) << 8);
    start = 10;
  } else {
    header_len = static_cast<size_t>(static_cast<unsigned char>(all[8])) |
                 (static_cast<size_t>(static_cast<unsigned char>(all[9])) << 8) |
                 (static_cast<size_t>(static_cast<unsigned char>(all[10])) << 16);
    start = 12;
  }
  const std::string header = all.substr(start, header_len);
  const auto descr = header.find("'descr': '");
  if (descr == std::string::npos || header.find("'fortran_order': False") == std::string::npos) return false;
  out->dtype = header.substr(descr + 10, 3);
  if (out->dtype != "<f4" && out->dtype != "<i4") return false;
  const auto lp = header.find('(', header.find("'shape'"));
  const auto rp = header.find(')', lp);
  std::stringstream dims(header.substr(lp + 1, rp - lp - 1));
  out->shape.clear();
  std::string d;
  while (std::getline(dims, d, ',')) {
    if (d.find_first_not_of(' ') != std::string::npos) out->shape.push_back(std::stoll(d));
  }
  const size_t n = static_cast<size_t>(out->numel()) * 4;
  if (all.size() < start + header_len + n) return false;
  out->bytes.assign(all.begin() + static_cast<std::ptrdiff_t>(start + header_len),
                    all.begin() + static_cast<std::ptrdiff_t>(start + header_len + n));
  return true;
}

}  // namespace corral::testing
