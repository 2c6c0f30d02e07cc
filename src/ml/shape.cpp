#include "ml/shape.h"

#include "util/check.h"

namespace corral {

Shape::Shape(std::initializer_list<int64_t> dims) {
  CORRAL_CHECK(dims.size() >= 1 && dims.size() <= kMaxDims, "Shape: %zu dims (1..4 allowed)", dims.size());
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t d) {
  CORRAL_CHECK(rank_ < kMaxDims, "Shape: more than %d dims", kMaxDims);
  CORRAL_CHECK(d >= 0, "Shape: negative dimension %lld", static_cast<long long>(d));
  dims_[static_cast<size_t>(rank_++)] = d;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
  return n;
}

int64_t Shape::rows() const {
  const int64_t l = last();
  return l == 0 ? 0 : numel() / l;
}

Shape Shape::with_rank(int rank) const {
  CORRAL_CHECK(rank >= 1 && rank <= kMaxDims, "Shape::with_rank(%d)", rank);
  Shape s;
  if (rank >= rank_) {
    for (int i = 0; i < rank - rank_; ++i) s.push_back(1);
    for (int i = 0; i < rank_; ++i) s.push_back(dims_[static_cast<size_t>(i)]);
    return s;
  }
  for (int i = 0; i < rank_ - rank; ++i) {
    CORRAL_CHECK(dims_[static_cast<size_t>(i)] == 1, "Shape::with_rank(%d) of %s drops a dim != 1", rank,
                 to_string().c_str());
  }
  for (int i = rank_ - rank; i < rank_; ++i) s.push_back(dims_[static_cast<size_t>(i)]);
  return s;
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[static_cast<size_t>(i)] != o.dims_[static_cast<size_t>(i)]) return false;
  }
  return true;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[static_cast<size_t>(i)]);
  }
  return s + "]";
}

}  // namespace corral
