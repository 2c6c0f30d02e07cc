// Human-facing views of a GGUF: the `corral show` summary and the tensor listing.
#include <cinttypes>
#include <map>

#include "formats/gguf.h"

namespace corral {
namespace {

constexpr size_t kMaxArrayItemsShown = 8;
constexpr size_t kMaxStringShown = 160;

std::string quote(std::string_view s) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (shown == kMaxStringShown) break;
    ++shown;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += format_string("\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  if (s.size() > kMaxStringShown) out += format_string("... (%zu bytes)", s.size());
  return out;
}

std::string format_double(double d) { return format_string("%.9g", d); }

std::string format_value(const GgufValue& v);

std::string format_array(const GgufArray& a) {
  const size_t n = a.size();
  if (n > kMaxArrayItemsShown) {
    return format_string("[... %zu items]", n);
  }
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    switch (a.element_type) {
      case GgufType::kF32:
      case GgufType::kF64: out += format_double(a.floats[i]); break;
      case GgufType::kString: out += quote(a.strings[i]); break;
      case GgufType::kArray: out += format_value(a.values[i]); break;
      case GgufType::kBool: out += a.ints[i] ? "true" : "false"; break;
      case GgufType::kU64: out += std::to_string(static_cast<uint64_t>(a.ints[i])); break;
      default: out += std::to_string(a.ints[i]); break;
    }
  }
  return out + "]";
}

std::string format_value(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::kString: return quote(*v.as_string());
    case GgufType::kArray: return format_array(*v.as_array());
    case GgufType::kF32:
    case GgufType::kF64: return format_double(*v.as_float());
    case GgufType::kBool: return *v.as_bool() ? "true" : "false";
    case GgufType::kU64: return std::to_string(*v.as_uint());
    default: return std::to_string(*v.as_int());
  }
}

// 134515008 -> "134.52M"
std::string human_count(uint64_t n) {
  if (n >= 1000000000ull) return format_string("%.2fB", static_cast<double>(n) / 1e9);
  if (n >= 1000000ull) return format_string("%.2fM", static_cast<double>(n) / 1e6);
  if (n >= 1000ull) return format_string("%.2fK", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

// The dtype holding the most elements among weights of 2 or more dimensions (all tensors if
// there are none).
std::string most_common_weight_dtype(const GgufFile& file) {
  std::map<std::string_view, uint64_t> elements;
  for (int pass = 0; pass < 2 && elements.empty(); ++pass) {
    for (const GgufTensorInfo& t : file.tensors()) {
      if (pass == 0 && t.shape.size() < 2) continue;
      elements[dtype_name(t.dtype)] += t.num_elements();
    }
  }
  std::string_view best;
  uint64_t best_n = 0;
  for (const auto& [name, n] : elements) {
    if (n > best_n) {
      best = name;
      best_n = n;
    }
  }
  return std::string(best);
}

void add_row(std::string* out, const char* label, const std::string& value) {
  *out += format_string("  %-20s%s\n", label, value.c_str());
}

}  // namespace

std::string_view gguf_file_type_name(uint32_t file_type) {
  // general.file_type values as published by the GGUF specification (llama_ftype).
  switch (file_type) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 19: return "IQ2_XXS";
    case 20: return "IQ2_XS";
    case 21: return "Q2_K_S";
    case 22: return "IQ3_XS";
    case 23: return "IQ3_XXS";
    case 24: return "IQ1_S";
    case 25: return "IQ4_NL";
    case 26: return "IQ3_S";
    case 27: return "IQ3_M";
    case 28: return "IQ2_S";
    case 29: return "IQ2_M";
    case 30: return "IQ4_XS";
    case 31: return "IQ1_M";
    case 32: return "BF16";
    case 36: return "TQ1_0";
    case 37: return "TQ2_0";
    case 38: return "MXFP4_MOE";
    default: return "";
  }
}

std::string gguf_summary(const GgufFile& file) {
  std::string out = "Model\n";
  const std::string arch = file.architecture();
  add_row(&out, "architecture", arch.empty() ? "(unknown)" : arch);
  uint64_t params = 0;
  for (const GgufTensorInfo& t : file.tensors()) params += t.num_elements();
  add_row(&out, "parameters", format_string("%s (%" PRIu64 ")", human_count(params).c_str(), params));
  auto int_row = [&](const char* label, const std::string& key) {
    std::optional<int64_t> v = file.get_int(key);
    add_row(&out, label, v ? std::to_string(*v) : "(not set)");
  };
  int_row("context length", arch + ".context_length");
  int_row("embedding length", arch + ".embedding_length");
  std::string quant;
  if (std::optional<int64_t> ft = file.get_int("general.file_type")) {
    std::string_view name = *ft >= 0 && *ft <= UINT32_MAX ? gguf_file_type_name(static_cast<uint32_t>(*ft)) : "";
    quant = format_string("%s (file type %" PRId64 ")", name.empty() ? "unknown" : std::string(name).c_str(), *ft);
  }
  std::string common = most_common_weight_dtype(file);
  if (!common.empty()) {
    if (!quant.empty()) quant += ", ";
    quant += "weights mostly " + common;
  }
  add_row(&out, "quantization", quant.empty() ? "(no tensors)" : quant);
  add_row(&out, "tensors", std::to_string(file.tensors().size()));
  add_row(&out, "gguf version", std::to_string(file.version()));
  out += "\nMetadata\n";
  for (const auto& [key, value] : file.metadata()) {
    out += format_string("  %s = %s\n", key.c_str(), format_value(value).c_str());
  }
  return out;
}

Result<CheckpointListing> list_gguf_tensors(const std::string& path) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
  CheckpointListing out;
  out.format = "gguf";
  out.tensors.reserve(file.tensors().size());
  for (const GgufTensorInfo& t : file.tensors()) {
    out.tensors.push_back({t.name, t.shape, std::string(dtype_name(t.dtype)), t.bytes});
  }
  return out;
}

}  // namespace corral
