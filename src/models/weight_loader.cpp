#include "models/weight_loader.h"

#include <string>

namespace corral {
namespace {

std::string shape_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

}  // namespace

void WeightLoader::fail(Status s) { errors_.push_back(std::move(s)); }

void WeightLoader::visit(const nn::WeightDecl& decl) {
  const GgufTensorInfo* info = file_.find_tensor(decl.name);
  if (info == nullptr) {
    if (decl.need == nn::WeightNeed::kRequired) {
      fail(not_found("tensor '%s' is missing (expected shape %s)", decl.name.c_str(), decl.shape.to_string().c_str()));
    }
    if (decl.slot != nullptr) *decl.slot = Tensor();
    return;
  }
  if (!claimed_.insert(decl.name).second) {
    fail(internal_error("tensor '%s' is declared twice by the model", decl.name.c_str()));
    return;
  }
  bool same = static_cast<int>(info->shape.size()) == decl.shape.rank();
  for (size_t i = 0; same && i < info->shape.size(); ++i) same = info->shape[i] == decl.shape[static_cast<int>(i)];
  if (!same) {
    fail(corrupt("tensor '%s' has shape %s, but the model expects %s", decl.name.c_str(),
                 shape_text(info->shape).c_str(), decl.shape.to_string().c_str()));
    return;
  }
  if (decl.dtypes == nn::WeightDTypes::kF32Only && info->dtype != DType::kF32) {
    fail(corrupt("tensor '%s' has dtype %s, but the model needs F32", decl.name.c_str(),
                 std::string(dtype_name(info->dtype)).c_str()));
    return;
  }
  if (info->dtype == DType::kI32 || info->dtype == DType::kI8 || info->dtype == DType::kI16 ||
      info->dtype == DType::kI64 || info->dtype == DType::kF64) {
    fail(unsupported("tensor '%s' has dtype %s, which no weight op accepts", decl.name.c_str(),
                     std::string(dtype_name(info->dtype)).c_str()));
    return;
  }
  const std::span<const std::byte> data = file_.tensor_data(*info);
  // Weights are only read by the graph; the mapping is read-only.
  Tensor t = arena_.external(info->dtype, decl.shape, const_cast<std::byte*>(data.data()), decl.name);
  bound_bytes_ += data.size();
  if (decl.slot != nullptr) *decl.slot = t;
}

Status WeightLoader::finish() const {
  if (!errors_.empty()) {
    Status first = errors_.front();
    if (errors_.size() == 1) return first;
    return Status(first.code(), format_string("%s (and %zu more weight errors)", first.message().c_str(),
                                              errors_.size() - 1));
  }
  std::vector<std::string> extra;
  for (const GgufTensorInfo& t : file_.tensors()) {
    if (!claimed_.count(t.name)) extra.push_back(t.name);
  }
  if (!extra.empty()) {
    std::string names;
    for (size_t i = 0; i < extra.size() && i < 5; ++i) names += (i ? ", '" : "'") + extra[i] + "'";
    if (extra.size() > 5) names += format_string(", ... (%zu in all)", extra.size());
    return corrupt("tensor %s is not used by architecture '%s' (unexpected tensor in the file)", names.c_str(),
                   file_.architecture().c_str());
  }
  return ok_status();
}

}  // namespace corral
