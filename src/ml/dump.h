// Tensor dumps: .npy files in PyTorch order (shapes outermost-first, as torch prints them), so
// a dump loads with numpy.load and compares directly with tensors captured from PyTorch, plus
// an observer that writes every named node matching a regex. Depends on ml/ and util/.
#pragma once

#include <string>
#include <vector>

#include "ml/backend.h"
#include "ml/tensor.h"
#include "util/status.h"

namespace corral {

// The values of a computed or bound tensor as contiguous floats (any dtype; strided views are
// gathered; quantized rows dequantized; I32 converted).
std::vector<float> read_f32(const Tensor& t);

// The bytes of an .npy (format 1.0) file holding t: F32, F16 and I32 keep their type ('<f4',
// '<f2', '<i4'); BF16 and quantized types are written as F32.
std::string npy_bytes(const Tensor& t);
Status write_npy(const std::string& path, const Tensor& t);

// An observer writing "<dir>/<name>.npy" ("<name>.<layer>.npy" for layered nodes) for each named
// node whose "name" or "name.layer" matches `filter` (ECMAScript regex; empty = all). Write
// errors are passed to on_error. Fails when the regex is invalid.
Result<GraphObserver> make_npy_dumper(std::string dir, const std::string& filter,
                                      std::function<void(const Status&)> on_error);

}  // namespace corral
