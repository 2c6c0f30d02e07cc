#include "ops/op_cases.h"

#include <string>

#include "backends/cpu/gemm.h"

namespace corral::testing {
namespace {

using Outs = std::vector<Tensor>;

std::string dt(DType t) { return std::string(dtype_name(t)); }
std::string dims(const Shape& s) {
  std::string out;
  for (int i = 0; i < s.rank(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out;
}

// A view of `shape` that starts one element into a larger buffer: misaligned rows.
Tensor misaligned(CaseInputs& in, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  Shape big = shape;
  big[-1] += 1;
  Tensor t = in.random(DType::kF32, big, lo, hi);
  return slice(in.ctx(), t, -1, 1, shape.last());
}

const std::vector<Shape>& row_shapes() {
  static const std::vector<Shape> s = {{1}, {3, 33}, {67, 17}, {255, 64}, {2, 3, 129}};
  return s;
}

void add_elementwise(std::vector<OpCase>& out) {
  struct Unary {
    const char* name;
    Tensor (*fn)(Context&, Tensor);
  };
  const Unary unary[] = {{"silu", silu},       {"gelu", gelu}, {"gelu_erf", gelu_erf}, {"tanh", tanh},
                         {"sigmoid", sigmoid}, {"exp", exp}};
  for (const Unary& u : unary) {
    for (const Shape& s : row_shapes()) {
      auto fn = u.fn;
      out.push_back({std::string(u.name) + "_" + dims(s), [fn, s](CaseInputs& in) -> Outs {
                       return {fn(in.ctx(), in.random(DType::kF32, s, -4, 4))};
                     }});
    }
    auto fn = u.fn;
    out.push_back({std::string(u.name) + "_misaligned", [fn](CaseInputs& in) -> Outs {
                     return {fn(in.ctx(), misaligned(in, {5, 37}, -4, 4))};
                   }});
  }
  for (const Shape& s : row_shapes()) {
    out.push_back({"scale_" + dims(s), [s](CaseInputs& in) -> Outs {
                     return {scale(in.ctx(), in.random(DType::kF32, s), 0.37f, -0.5f)};
                   }});
  }
  struct Binary {
    const char* name;
    Tensor (*fn)(Context&, Tensor, Tensor);
  };
  const Binary binary[] = {{"add", add}, {"sub", sub}, {"mul", mul}, {"div", div}, {"swiglu", swiglu}, {"geglu", geglu}};
  struct Pair {
    Shape a, b;
  };
  const Pair pairs[] = {{{1}, {1}}, {{3, 33}, {3, 33}}, {{3, 33}, {33}}, {{2, 3, 67}, {2, 1, 67}},
                        {{255, 17}, {255, 1}}, {{4, 2, 3, 20}, {2, 1, 20}}};
  for (const Binary& b : binary) {
    const bool glu = b.name[0] == 's' || b.name[0] == 'g';
    for (const Pair& p : pairs) {
      if (glu && !(p.a == p.b)) continue;
      auto fn = b.fn;
      const bool is_div = std::string(b.name) == "div";
      out.push_back({std::string(b.name) + "_" + dims(p.a) + "_" + dims(p.b), [fn, p, is_div](CaseInputs& in) -> Outs {
                       Tensor x = in.random(DType::kF32, p.a, -3, 3);
                       Tensor y = is_div ? in.random(DType::kF32, p.b, 0.5f, 2.0f) : in.random(DType::kF32, p.b, -3, 3);
                       return {fn(in.ctx(), x, y)};
                     }});
    }
    auto fn = b.fn;
    out.push_back({std::string(b.name) + "_views", [fn](CaseInputs& in) -> Outs {
                     // a permuted (rows still contiguous) and a misaligned b
                     Tensor x = permute(in.ctx(), in.random(DType::kF32, {3, 5, 40}, 0.5f, 2.0f), {1, 0, 2});
                     return {fn(in.ctx(), x, misaligned(in, {5, 3, 40}, 0.5f, 2.0f))};
                   }});
  }
}

void add_norms(std::vector<OpCase>& out) {
  for (const Shape& s : row_shapes()) {
    out.push_back({"rms_norm_" + dims(s), [s](CaseInputs& in) -> Outs {
                     return {rms_norm(in.ctx(), in.random(DType::kF32, s), 1e-5f)};
                   }});
    out.push_back({"layer_norm_" + dims(s), [s](CaseInputs& in) -> Outs {
                     return {layer_norm(in.ctx(), in.random(DType::kF32, s), Tensor(), Tensor(), 1e-5f)};
                   }});
    out.push_back({"layer_norm_affine_" + dims(s), [s](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, s);
                     return {layer_norm(in.ctx(), x, in.random(DType::kF32, {s.last()}),
                                        in.random(DType::kF32, {s.last()}), 1e-6f)};
                   }});
    out.push_back({"reduce_" + dims(s), [s](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, s);
                     return {sum(in.ctx(), x), mean(in.ctx(), x), argmax(in.ctx(), x)};
                   }});
  }
  out.push_back({"rms_norm_misaligned", [](CaseInputs& in) -> Outs {
                   return {rms_norm(in.ctx(), misaligned(in, {7, 67}), 1e-6f)};
                 }});
  for (const Shape& s : std::vector<Shape>{{1, 1}, {3, 33}, {4, 67, 255}, {2, 3, 5, 17}}) {
    out.push_back({"softmax_" + dims(s), [s](CaseInputs& in) -> Outs {
                     return {softmax(in.ctx(), in.random(DType::kF32, s, -5, 5), {.scale = 0.7f})};
                   }});
  }
  for (DType m : {DType::kF32, DType::kF16}) {
    out.push_back({"softmax_causal_mask_" + dt(m), [m](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, {4, 7, 33}, -5, 5);
                     return {softmax(in.ctx(), x, {.mask = in.causal_mask(m, {7, 33}, 26), .scale = 0.125f})};
                   }});
    out.push_back({"softmax_fully_masked_" + dt(m), [m](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, {2, 5, 9}, -5, 5);
                     return {softmax(in.ctx(), x, {.mask = in.causal_mask(m, {5, 9}, -1)})};
                   }});
  }
}

void add_rope(std::vector<OpCase>& out) {
  struct R {
    std::string name;
    RopeParams p;
    Shape x;
    int pos_rows;
    bool ff;
  };
  std::vector<R> rs;
  for (RopeMode mode : {RopeMode::kNormal, RopeMode::kNeox}) {
    const std::string m(rope_mode_name(mode));
    RopeParams p;
    p.mode = mode;
    rs.push_back({m, p, {7, 4, 64}, 0, false});
    rs.push_back({m + "_1tok", p, {1, 3, 128}, 0, false});
    RopeParams partial = p;
    partial.n_dims = 32;
    partial.freq_base = 500000.0f;
    rs.push_back({m + "_partial", partial, {5, 2, 80}, 0, false});
    rs.push_back({m + "_freq_factors", p, {6, 3, 64}, 0, true});
    RopeParams yarn = p;
    yarn.freq_scale = 0.25f;
    yarn.ext_factor = 1.0f;
    yarn.n_ctx_orig = 4096;
    rs.push_back({m + "_yarn", yarn, {5, 2, 64}, 0, false});
    rs.push_back({m + "_batch", p, {2, 5, 3, 32}, 0, false});
  }
  RopeParams mrope;
  mrope.mode = RopeMode::kMrope;
  mrope.freq_base = 1000000.0f;
  mrope.sections[0] = 8, mrope.sections[1] = 12, mrope.sections[2] = 12;
  rs.push_back({"mrope", mrope, {9, 2, 64}, 3, false});
  RopeParams vision;
  vision.mode = RopeMode::kVision;
  vision.sections[0] = 16, vision.sections[1] = 16;
  rs.push_back({"vision", vision, {9, 2, 64}, 2, false});
  RopeParams two_d;
  two_d.mode = RopeMode::k2d;
  rs.push_back({"pixtral_2d", two_d, {9, 2, 64}, 2, false});
  for (const R& r : rs) {
    out.push_back({"rope_" + r.name, [r](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, r.x);
                     const int64_t n_tok = r.x[-3];
                     Tensor pos = r.pos_rows == 0 ? in.ints({n_tok}, 3000) : in.ints({r.pos_rows, n_tok}, 40);
                     RopeOptions o{r.p, Tensor()};
                     if (r.ff) o.freq_factors = in.random(DType::kF32, {r.x[-1] / 2}, 1.0f, 8.0f);
                     return {rope(in.ctx(), x, pos, o)};
                   }});
  }
  out.push_back({"rope_neox_view_input", [](CaseInputs& in) -> Outs {
                   // q as a slice of a fused qkv projection: rows strided, misaligned heads
                   Tensor qkv = in.random(DType::kF32, {5, 3 * 64 + 1});
                   Tensor q = view(in.ctx(), qkv, {5, 2, 32}, {qkv.stride(0), 32 * 4, 4}, 4);
                   RopeParams p;
                   p.mode = RopeMode::kNeox;
                   return {rope(in.ctx(), q, in.ints({5}, 100), {p, Tensor()})};
                 }});
}

}  // namespace

void add_data_cases(std::vector<OpCase>& out);

std::vector<OpCase> all_op_cases() {
  std::vector<OpCase> out;
  add_elementwise(out);
  add_norms(out);
  add_rope(out);
  add_data_cases(out);
  return out;
}

}  // namespace corral::testing
