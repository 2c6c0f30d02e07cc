// Op cases for data movement, matmul, images and attention.
#include <string>

#include "backends/cpu/gemm.h"
#include "ops/op_cases.h"

namespace corral::testing {
namespace {

using Outs = std::vector<Tensor>;

std::string dt(DType t) { return std::string(dtype_name(t)); }

const DType kWeightTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                              DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                              DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

// mul_mat tolerance: exact-ish when activations stay F32; the rounding of BF16 or 8-bit
// activation quantization (Q8_0 / Q8_K) otherwise.
double mul_mat_tolerance(DType w) {
  const DType a = cpu::activation_dtype(w);
  if (a == DType::kF32) return 1e-9;
  if (a == DType::kBF16) return 3e-5;
  return 2e-4;
}

void add_get_rows_and_mul_mat(std::vector<OpCase>& out) {
  for (DType w : kWeightTypes) {
    const int64_t k = dtype_traits(w).block_size == 256 ? 256 : 64;
    out.push_back({"get_rows_" + dt(w), [w, k](CaseInputs& in) -> Outs {
                     Tensor table = in.random(w, {37, k});
                     return {get_rows(in.ctx(), table, in.ints({9}, 37)),
                             get_rows(in.ctx(), table, in.ints({2, 3}, 37))};
                   }, 1e-12});
    struct Mnk {
      int64_t m, n, k;
    };
    const Mnk shapes[] = {{33, 1, k}, {67, 3, 2 * k}, {16, 33, k}, {255, 7, k}, {1, 1, k}};
    for (const Mnk& s : shapes) {
      // NMSE of a single output measures one dot product's cancellation, not the kernel: with
      // quantized activations only multi-output shapes are compared.
      if (s.m * s.n == 1 && cpu::activation_dtype(w) != DType::kF32) continue;
      out.push_back({"mul_mat_" + dt(w) + "_" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k),
                     [w, s](CaseInputs& in) -> Outs {
                       return {mul_mat(in.ctx(), in.random(w, {s.m, s.k}), in.random(DType::kF32, {s.n, s.k}))};
                     },
                     mul_mat_tolerance(w)});
    }
    out.push_back({"mul_mat_" + dt(w) + "_batched_gqa", [w, k](CaseInputs& in) -> Outs {
                     // w [2, 5, K] broadcast over x [6, 3, K] (x batch b reads w batch b / 3)
                     return {mul_mat(in.ctx(), in.random(w, {2, 5, k}), in.random(DType::kF32, {6, 3, k}))};
                   }, mul_mat_tolerance(w)});
    out.push_back({"mul_mat_" + dt(w) + "_4d_strided_x", [w, k](CaseInputs& in) -> Outs {
                     Tensor x = in.random(DType::kF32, {3, 2, 4, k});
                     Tensor xp = permute(in.ctx(), x, {1, 0, 2, 3});  // [2, 3, 4, K], batch strides swapped
                     return {mul_mat(in.ctx(), in.random(w, {2, 1, 7, k}), xp)};
                   }, mul_mat_tolerance(w)});
  }
  out.push_back({"mul_mat_F32_odd_k", [](CaseInputs& in) -> Outs {
                   return {mul_mat(in.ctx(), in.random(DType::kF32, {13, 67}), in.random(DType::kF32, {5, 67}))};
                 }});
  out.push_back({"mul_mat_F16_k_cache_view", [](CaseInputs& in) -> Outs {
                   // attention scores q k^T with k a permuted view of an F16 cache [cap, heads, dim]
                   Tensor cache = in.random(DType::kF16, {40, 2, 32});
                   Tensor k = permute(in.ctx(), slice(in.ctx(), cache, 0, 0, 17), {1, 0, 2});  // [2, 17, 32]
                   Tensor q = in.random(DType::kF32, {4, 3, 32});                              // [4 heads, 3, 32]
                   return {mul_mat(in.ctx(), k, q)};
                 }});
}

void add_copies(std::vector<OpCase>& out) {
  const DType plain[] = {DType::kF32, DType::kF16, DType::kBF16};
  for (DType from : plain) {
    for (DType to : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0}) {
      out.push_back({"copy_" + dt(from) + "_to_" + dt(to), [from, to](CaseInputs& in) -> Outs {
                       return {copy(in.ctx(), in.random(from, {7, 3, 64}), to)};
                     }, 1e-12});
      out.push_back({"copy_" + dt(from) + "_to_" + dt(to) + "_permuted", [from, to](CaseInputs& in) -> Outs {
                       Tensor x = permute(in.ctx(), in.random(from, {64, 5, 3}), {1, 2, 0});  // last dim strided
                       return {copy(in.ctx(), x, to)};
                     }, 1e-12});
    }
  }
  out.push_back({"copy_Q8_0_to_F32", [](CaseInputs& in) -> Outs {
                   return {copy(in.ctx(), in.random(DType::kQ8_0, {5, 96}), DType::kF32)};
                 }, 1e-12});
  out.push_back({"copy_Q4_K_to_F16", [](CaseInputs& in) -> Outs {
                   return {copy(in.ctx(), in.random(DType::kQ4_K, {3, 256}), DType::kF16)};
                 }, 1e-12});
  out.push_back({"contiguous_transpose", [](CaseInputs& in) -> Outs {
                   return {contiguous(in.ctx(), transpose(in.ctx(), in.random(DType::kF32, {33, 67}), 0, 1))};
                 }, 0.0});
  for (DType cache : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0}) {
    out.push_back({"set_rows_" + dt(cache), [cache](CaseInputs& in) -> Outs {
                     Tensor c = in.random(cache, {20, 2, 64});
                     Tensor vals = in.random(DType::kF32, {3, 2, 64});
                     return {set_rows(in.ctx(), c, vals, in.values({3}, {7, 0, 19}))};
                   }, 1e-12});
  }
  out.push_back({"set_rows_then_read", [](CaseInputs& in) -> Outs {
                   // the KV-cache pattern: write 2 rows, then read a view of the updated cache
                   Tensor c = in.random(DType::kF16, {16, 2, 32});
                   Tensor k = in.random(DType::kF32, {2, 2, 32});
                   Tensor updated = set_rows(in.ctx(), c, k, in.values({2}, {4, 5}));
                   Tensor kv = permute(in.ctx(), slice(in.ctx(), updated, 0, 0, 6), {1, 0, 2});
                   return {mul_mat(in.ctx(), kv, in.random(DType::kF32, {2, 1, 32}))};
                 }});
  for (int dim = 0; dim < 3; ++dim) {
    for (DType t : {DType::kF32, DType::kF16}) {
      out.push_back({"concat_dim" + std::to_string(dim) + "_" + dt(t), [dim, t](CaseInputs& in) -> Outs {
                       Shape a{3, 4, 5}, b{3, 4, 5};
                       b[dim] = 2;
                       return {concat(in.ctx(), in.random(t, a), in.random(t, b), dim)};
                     }, 0.0});
    }
  }
  out.push_back({"concat_views", [](CaseInputs& in) -> Outs {
                   Tensor a = permute(in.ctx(), in.random(DType::kF32, {6, 3}), {1, 0});
                   return {concat(in.ctx(), a, in.random(DType::kF32, {3, 2}), 1)};
                 }, 0.0});
}

void add_images(std::vector<OpCase>& out) {
  out.push_back({"im2col_3x3_pad1", [](CaseInputs& in) -> Outs {
                   return {im2col(in.ctx(), in.random(DType::kF32, {2, 3, 9, 11}), 3, 3,
                                  {.stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1})};
                 }, 0.0});
  for (DType kt : {DType::kF32, DType::kF16}) {
    out.push_back({"conv2d_patch_" + dt(kt), [kt](CaseInputs& in) -> Outs {
                     // a ViT patch embedding: 4x4 patches, stride 4
                     return {conv2d(in.ctx(), in.random(kt, {8, 3, 4, 4}), in.random(DType::kF32, {3, 12, 16}),
                                    {.stride_h = 4, .stride_w = 4})};
                   }, 1e-9});
    out.push_back({"conv2d_3x3_batched_" + dt(kt), [kt](CaseInputs& in) -> Outs {
                     return {conv2d(in.ctx(), in.random(kt, {5, 2, 3, 3}), in.random(DType::kF32, {2, 2, 7, 9}),
                                    {.stride_h = 2, .stride_w = 1, .pad_h = 1, .pad_w = 1, .dilation_h = 1, .dilation_w = 2})};
                   }, 1e-9});
  }
  for (PoolKind kind : {PoolKind::kMax, PoolKind::kAvg}) {
    const std::string k = kind == PoolKind::kMax ? "max" : "avg";
    out.push_back({"pool2d_" + k, [kind](CaseInputs& in) -> Outs {
                     Pool2dParams p{kind, 3, 3, 2, 2, 1, 1};
                     return {pool2d(in.ctx(), in.random(DType::kF32, {2, 3, 9, 10}), p)};
                   }, 1e-12});
  }
}

void add_attention(std::vector<OpCase>& out) {
  struct A {
    std::string name;
    int64_t hq, hkv, nq, nkv, d, dv;
    bool causal;
    int mask;  // 0 none, 1 F32, 2 F16
    bool batch;
  };
  const A cases[] = {{"decode", 8, 2, 1, 37, 64, 64, false, 0, false},
                     {"prefill_causal", 4, 4, 7, 7, 32, 32, true, 0, false},
                     {"prefill_with_past", 6, 2, 5, 33, 64, 64, true, 0, false},
                     {"mask_f32", 4, 1, 3, 19, 32, 48, false, 1, false},
                     {"mask_f16", 4, 2, 3, 19, 32, 32, false, 2, false},
                     {"batched", 2, 1, 4, 9, 16, 16, true, 0, true},
                     {"odd_dims", 3, 3, 2, 5, 67, 33, false, 0, false},
                     // several query-row blocks (8) and key blocks (32) of the CPU kernel, partial ones too
                     {"prefill_blocks", 4, 2, 19, 75, 64, 64, true, 0, false},
                     // a masked tail: keys of the last block fully masked for the first rows
                     {"mask_blocks", 2, 1, 11, 70, 32, 32, false, 2, false}};
  for (DType kv : {DType::kF32, DType::kF16}) {
    for (const A& a : cases) {
      out.push_back({"flash_attention_" + a.name + "_" + dt(kv), [a, kv](CaseInputs& in) -> Outs {
                       Shape qs{a.hq, a.nq, a.d}, ks{a.hkv, a.nkv, a.d}, vs{a.hkv, a.nkv, a.dv};
                       if (a.batch) {
                         qs = {2, a.hq, a.nq, a.d};
                         ks = {2, a.hkv, a.nkv, a.d};
                         vs = {2, a.hkv, a.nkv, a.dv};
                       }
                       AttentionOptions o{.scale = 0.125f, .causal = a.causal};
                       if (a.mask) o.mask = in.causal_mask(a.mask == 1 ? DType::kF32 : DType::kF16, {a.nq, a.nkv}, a.nkv - a.nq - 2);
                       return {flash_attention(in.ctx(), in.random(DType::kF32, qs, -2, 2), in.random(kv, ks, -2, 2),
                                               in.random(kv, vs), o)};
                     }, 1e-9});
    }
  }
  out.push_back({"flash_attention_cache_views", [](CaseInputs& in) -> Outs {
                   // q [n, heads, d] and a [cap, kv_heads, d] F16 cache, permuted to [heads, n, d]
                   Tensor q = permute(in.ctx(), in.random(DType::kF32, {3, 4, 32}), {1, 0, 2});
                   Tensor kc = in.random(DType::kF16, {12, 2, 32});
                   Tensor vc = in.random(DType::kF16, {12, 2, 32});
                   Tensor k = permute(in.ctx(), slice(in.ctx(), kc, 0, 0, 9), {1, 0, 2});
                   Tensor v = permute(in.ctx(), slice(in.ctx(), vc, 0, 0, 9), {1, 0, 2});
                   return {flash_attention(in.ctx(), q, k, v, {.scale = 0.2f, .causal = true})};
                 }, 1e-9});
  // round_f16 (llama.cpp's arithmetic for an F16 cache: q rounded to F16, an F16 running output)
  // against the reference's plain scalar version of the same rounding.
  struct F {
    std::string name;
    int64_t hq, hkv, nq, nkv, d, dv;
    bool causal;
    int mask;
  };
  const F f16_cases[] = {{"decode", 9, 3, 1, 41, 64, 64, false, 0},
                         {"prefill_causal", 6, 2, 13, 40, 64, 64, true, 0},
                         {"mask_f16", 4, 2, 3, 19, 32, 48, false, 2},
                         {"odd_dims", 3, 1, 2, 5, 67, 33, true, 0}};
  for (DType kv : {DType::kF32, DType::kF16}) {
    for (const F& a : f16_cases) {
      out.push_back({"flash_attention_round_f16_" + a.name + "_" + dt(kv), [a, kv](CaseInputs& in) -> Outs {
                       AttentionOptions o{.scale = 0.125f, .causal = a.causal, .round_f16 = true};
                       if (a.mask) o.mask = in.causal_mask(DType::kF16, {a.nq, a.nkv}, a.nkv - a.nq - 2);
                       return {flash_attention(in.ctx(), in.random(DType::kF32, {a.hq, a.nq, a.d}, -2, 2),
                                               in.random(kv, {a.hkv, a.nkv, a.d}, -2, 2), in.random(kv, {a.hkv, a.nkv, a.dv}), o)};
                     }, 1e-8});
    }
  }
}

}  // namespace

void add_data_cases(std::vector<OpCase>& out) {
  add_get_rows_and_mul_mat(out);
  add_copies(out);
  add_images(out);
  add_attention(out);
}

}  // namespace corral::testing
