#include "nn/weight_scope.h"

namespace corral::nn {

WeightScope WeightScope::sub(std::string_view part) const { return WeightScope(*visitor_, path(part)); }

WeightScope WeightScope::sub(int index) const { return sub(std::to_string(index)); }

std::string WeightScope::path(std::string_view leaf) const {
  if (prefix_.empty()) return std::string(leaf);
  std::string out = prefix_;
  out += '.';
  out += leaf;
  return out;
}

void WeightScope::tensor(std::string_view leaf, const Shape& shape, Tensor* slot, WeightDTypes dtypes) const {
  visitor_->visit(WeightDecl{path(leaf), shape, WeightNeed::kRequired, dtypes, slot});
}

void WeightScope::optional(std::string_view leaf, const Shape& shape, Tensor* slot, WeightDTypes dtypes) const {
  visitor_->visit(WeightDecl{path(leaf), shape, WeightNeed::kOptional, dtypes, slot});
}

}  // namespace corral::nn
