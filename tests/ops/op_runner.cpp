#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/cpu_features.h"
#include "backends/reference/reference_backend.h"
#include "ml/allocator.h"
#include "ml/dump.h"
#include "ml/quant.h"
#include "ops/op_cases.h"
#include "util/half.h"

namespace corral::testing {

Tensor CaseInputs::random(DType dtype, const Shape& shape, float lo, float hi) {
  Tensor t = ctx_.input(dtype, shape);
  inputs_.push_back({t, Kind::kRandom, lo, hi, 0, {}});
  return t;
}

Tensor CaseInputs::ints(const Shape& shape, int32_t bound) {
  Tensor t = ctx_.input(DType::kI32, shape);
  inputs_.push_back({t, Kind::kInts, 0, 0, bound, {}});
  return t;
}

Tensor CaseInputs::values(const Shape& shape, std::vector<int32_t> v) {
  Tensor t = ctx_.input(DType::kI32, shape);
  inputs_.push_back({t, Kind::kValues, 0, 0, 0, std::move(v)});
  return t;
}

Tensor CaseInputs::causal_mask(DType dtype, const Shape& shape, int64_t offset) {
  Tensor t = ctx_.input(dtype, shape);
  inputs_.push_back({t, Kind::kMask, 0, 0, offset, {}});
  return t;
}

void CaseInputs::fill() const {
  uint32_t seed = 1234;
  for (const Input& in : inputs_) {
    std::mt19937 rng(seed++);
    const TensorNode& n = *in.t.node();
    const int64_t count = n.shape.numel();
    if (in.kind == Kind::kInts || in.kind == Kind::kValues) {
      int32_t* p = in.t.data<int32_t>();
      std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(std::max<int64_t>(1, in.bound) - 1));
      for (int64_t i = 0; i < count; ++i) {
        p[i] = in.kind == Kind::kInts ? dist(rng) : in.values[static_cast<size_t>(i) % in.values.size()];
      }
      continue;
    }
    std::vector<float> f(static_cast<size_t>(count));
    std::uniform_real_distribution<float> dist(in.lo, in.hi);
    if (in.kind == Kind::kMask) {
      const int64_t nkv = n.shape[-1], nq = n.shape[-2];
      for (int64_t i = 0; i < count; ++i) {
        const int64_t j = i % nkv, q = (i / nkv) % nq;
        f[static_cast<size_t>(i)] = j > q + in.bound ? -INFINITY : dist(rng);
      }
    } else {
      for (float& v : f) v = dist(rng);
    }
    const int64_t row = n.shape.last();
    const size_t row_bytes = contiguous_bytes(n.dtype, Shape{row});
    for (int64_t r = 0; r < count / std::max<int64_t>(1, row); ++r) {
      Status s = quantize_row(n.dtype, f.data() + r * row, n.data + static_cast<size_t>(r) * row_bytes, row);
      ASSERT_TRUE(s.ok()) << s.to_string();
    }
  }
}

double nmse(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = static_cast<double>(got[i]) - want[i];
    err += d * d;
    ref += static_cast<double>(want[i]) * want[i];
  }
  return ref == 0 ? err : err / ref;
}

namespace {

struct Param {
  size_t case_index;
  cpu::Isa isa;
};

const std::vector<OpCase>& cases() {
  static const std::vector<OpCase> c = all_op_cases();
  return c;
}

std::vector<Param> all_params() {
  std::vector<Param> out;
  for (size_t i = 0; i < cases().size(); ++i) {
    for (cpu::Isa isa : cpu::available_isas()) out.push_back({i, isa});
  }
  return out;
}

class OpTest : public ::testing::TestWithParam<Param> {};

TEST_P(OpTest, MatchesReference) {
  const OpCase& c = cases()[GetParam().case_index];
  Context ctx;
  CaseInputs in(ctx);
  const std::vector<Tensor> outs = c.build(in);
  Graph g = ctx.build(outs);
  GraphAllocator alloc;
  ASSERT_TRUE(alloc.allocate(g).ok());

  in.fill();
  reference::ReferenceBackend ref;
  Status s = ref.compute(g);
  ASSERT_TRUE(s.ok()) << s.to_string();
  std::vector<std::vector<float>> want;
  for (const Tensor& t : outs) want.push_back(read_f32(t));

  ThreadPool pool(2);
  BackendOptions opts;
  opts.pool = &pool;
  opts.cpu_isa = std::string(cpu::isa_name(GetParam().isa));
  auto cpu = cpu::CpuBackend::create(opts);
  ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
  in.fill();
  s = (*cpu)->compute(g);
  ASSERT_TRUE(s.ok()) << s.to_string();
  for (size_t i = 0; i < outs.size(); ++i) {
    const std::vector<float> got = read_f32(outs[i]);
    ASSERT_EQ(got.size(), want[i].size());
    bool finite = true;
    for (size_t j = 0; j < got.size(); ++j) finite &= std::isfinite(got[j]) == std::isfinite(want[i][j]);
    EXPECT_TRUE(finite) << "output " << i << ": non-finite values differ";
    const double e = nmse(got, want[i]);
    EXPECT_LE(e, c.max_nmse) << "output " << i << " " << outs[i].shape().to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, OpTest, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return cases()[info.param.case_index].name + "_" +
                                  std::string(cpu::isa_name(info.param.isa));
                         });

}  // namespace
}  // namespace corral::testing
