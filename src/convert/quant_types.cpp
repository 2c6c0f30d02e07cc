// Quantization type names and mixture rules (see quant_types.h).
#include "convert/quant_types.h"

#include <cctype>
#include <charconv>

namespace corral::convert {
namespace {

struct QuantInfo {
  QuantType type;
  std::string_view name;
  uint32_t file_type;
  DType base;
};

constexpr QuantInfo kQuantInfo[] = {
    {QuantType::kF32, "F32", 0, DType::kF32},         {QuantType::kF16, "F16", 1, DType::kF16},
    {QuantType::kBF16, "BF16", 32, DType::kBF16},     {QuantType::kQ8_0, "Q8_0", 7, DType::kQ8_0},
    {QuantType::kQ4_0, "Q4_0", 2, DType::kQ4_0},      {QuantType::kQ4_1, "Q4_1", 3, DType::kQ4_1},
    {QuantType::kQ5_0, "Q5_0", 8, DType::kQ5_0},      {QuantType::kQ5_1, "Q5_1", 9, DType::kQ5_1},
    {QuantType::kQ4_K_S, "Q4_K_S", 14, DType::kQ4_K}, {QuantType::kQ4_K_M, "Q4_K_M", 15, DType::kQ4_K},
    {QuantType::kQ5_K_M, "Q5_K_M", 17, DType::kQ5_K}, {QuantType::kQ6_K, "Q6_K", 18, DType::kQ6_K},
};

const QuantInfo& info(QuantType t) {
  for (const QuantInfo& q : kQuantInfo) {
    if (q.type == t) return q;
  }
  return kQuantInfo[0];
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The layer of "blk.N.*", or -1.
int64_t layer_of(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t n = -1;
  const char* b = name.data() + 4;
  auto [end, ec] = std::from_chars(b, name.data() + name.size(), n);
  if (ec != std::errc() || end == b || *end != '.') return -1;
  return n;
}

DType block_fallback(DType chosen, int64_t row) {
  const auto fits = [row](DType t) { return row % static_cast<int64_t>(dtype_traits(t).block_size) == 0; };
  if (fits(chosen)) return chosen;
  DType alt = DType::kF16;
  switch (chosen) {
    case DType::kQ4_K: alt = DType::kQ5_0; break;
    case DType::kQ5_K: alt = DType::kQ5_1; break;
    case DType::kQ6_K: alt = DType::kQ8_0; break;
    default: break;
  }
  return fits(alt) ? alt : DType::kF16;
}

}  // namespace

Result<QuantType> parse_quant_type(std::string_view name) {
  for (const QuantInfo& q : kQuantInfo) {
    if (iequal(q.name, name)) return q.type;
  }
  return invalid_argument("unknown quantization type '%.*s' (choose one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, "
                          "q5_1, q4_K_S, q4_K_M, q5_K_M, q6_K)", static_cast<int>(name.size()), name.data());
}

std::string_view quant_type_name(QuantType t) { return info(t).name; }
uint32_t quant_file_type(QuantType t) { return info(t).file_type; }
DType quant_base_type(QuantType t) { return info(t).base; }

bool use_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

DType choose_tensor_type(QuantType t, const TensorQuantContext& ctx) {
  const std::string_view name = ctx.name;
  if (ctx.shape.size() < 2 || !ends_with(name, "weight") || name == "rope_freqs.weight") return DType::kF32;
  const DType base = quant_base_type(t);
  if (base == DType::kF32 || base == DType::kF16 || base == DType::kBF16) return base;
  const int64_t row = ctx.shape.back();
  const bool is_output = name == "output.weight" || (!ctx.has_output && name == "token_embd.weight");
  DType chosen = base;
  if (is_output) {
    chosen = row % 256 != 0 || base == DType::kQ8_0 ? DType::kQ8_0 : DType::kQ6_K;
    return block_fallback(chosen, row);
  }
  const int64_t layer = layer_of(name);
  const int64_t n = ctx.n_layers;
  if (ends_with(name, "attn_v.weight") && layer >= 0) {
    if ((t == QuantType::kQ4_K_M || t == QuantType::kQ5_K_M) && use_more_bits(layer, n)) chosen = DType::kQ6_K;
    else if (t == QuantType::kQ4_K_S && layer < 4) chosen = DType::kQ5_K;
  } else if (ends_with(name, "ffn_down.weight") && layer >= 0) {
    if ((t == QuantType::kQ4_K_M || t == QuantType::kQ5_K_M) && use_more_bits(layer, n)) chosen = DType::kQ6_K;
    else if (t == QuantType::kQ4_K_S && layer < n / 8) chosen = DType::kQ5_K;
  }
  return block_fallback(chosen, row);
}

}  // namespace corral::convert
