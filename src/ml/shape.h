// Shape: up to four dimensions written outermost-first, as PyTorch prints them
// ([n_tokens, hidden]); memory is row-major with the last dimension contiguous.
// A small value type; depends only on the standard library.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace corral {

inline constexpr int kMaxDims = 4;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);  // checked: 1..4 dims, each >= 0

  int rank() const { return rank_; }
  // Dimension i; negative i counts from the end (-1 is the last, contiguous dimension).
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i < 0 ? i + rank_ : i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i < 0 ? i + rank_ : i)]; }
  int64_t last() const { return rank_ > 0 ? dims_[static_cast<size_t>(rank_ - 1)] : 1; }
  int64_t numel() const;
  int64_t rows() const;  // numel / last(): the number of rows of the innermost dimension

  // The same dims with `n` leading ones removed or added to reach `rank` (checked).
  Shape with_rank(int rank) const;
  void push_back(int64_t d);

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string to_string() const;  // "[2, 3, 4]"

 private:
  int rank_ = 0;
  std::array<int64_t, kMaxDims> dims_{};
};

}  // namespace corral
