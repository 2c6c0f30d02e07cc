// Op metadata and shape rules: the OpParams variant, op names, and the build-time check that
// gives every op node its dtype and shape. A violated rule is a programmer error (the graph
// builder is never fed unchecked user input): CORRAL_CHECK with a message naming op and shapes.
// Depends on util/ and ml/shape.h, ml/op_params.h; knows no backend.
#pragma once

#include <span>
#include <string_view>
#include <variant>

#include "ml/op_params.h"
#include "ml/shape.h"
#include "util/dtype.h"

namespace corral {

struct TensorNode;

using OpParams = std::variant<std::monostate, ScaleParams, NormParams, SoftmaxParams, RopeParams,
                              CopyParams, ConcatParams, Im2colParams, Pool2dParams, AttentionParams>;

std::string_view op_name(Op op);
std::string_view rope_mode_name(RopeMode mode);

struct OpSignature {
  DType dtype;
  Shape shape;
};

// The output dtype and shape of `op` over `src`, checking every shape and dtype rule.
// kView and kNone are not handled here (views are checked by ops.cpp against storage bounds).
OpSignature infer_op(Op op, const OpParams& params, std::span<TensorNode* const> src);

}  // namespace corral
