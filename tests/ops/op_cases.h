// The shared op case list (ggml's test_case idea): each case builds a small graph with random
// inputs; the suite runs it on the reference backend and on the CPU backend at every ISA level
// this machine has, comparing outputs by NMSE with a per-case (per-dtype) tolerance.
#pragma once

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "ml/context.h"
#include "ml/ops.h"

namespace corral::testing {

// Records the inputs of a case and how to fill them, so each backend run sees the same data.
class CaseInputs {
 public:
  explicit CaseInputs(Context& ctx) : ctx_(ctx) {}
  // Uniform values in [lo, hi), stored as dtype (quantized types are quantized from the floats).
  Tensor random(DType dtype, const Shape& shape, float lo = -1.0f, float hi = 1.0f);
  // I32 values uniform in [0, bound).
  Tensor ints(const Shape& shape, int32_t bound);
  // I32 values given explicitly.
  Tensor values(const Shape& shape, std::vector<int32_t> v);
  // F32 mask with -inf where key j > query i + offset (causal), 0 elsewhere, plus a few random
  // finite biases; shape [.., n_q, n_kv].
  Tensor causal_mask(DType dtype, const Shape& shape, int64_t offset);
  void fill() const;
  Context& ctx() { return ctx_; }

 private:
  enum class Kind { kRandom, kInts, kValues, kMask };
  struct Input {
    Tensor t;
    Kind kind;
    float lo, hi;
    int64_t bound;
    std::vector<int32_t> values;
  };
  Context& ctx_;
  std::vector<Input> inputs_;
};

struct OpCase {
  std::string name;  // [A-Za-z0-9_]
  std::function<std::vector<Tensor>(CaseInputs&)> build;
  double max_nmse = 1e-9;
};

std::vector<OpCase> all_op_cases();

double nmse(const std::vector<float>& got, const std::vector<float>& want);

}  // namespace corral::testing
