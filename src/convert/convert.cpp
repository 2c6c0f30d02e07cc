// HF -> GGUF conversion and GGUF quantization (see convert.h).
#include "convert/convert.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "convert/arch_converter.h"
#include "convert/hf_vocab.h"
#include "convert/tensor_codec.h"
#include "formats/hf_checkpoint.h"
#include "formats/gguf.h"
#include "util/log.h"
#include "util/thread_pool.h"

namespace corral::convert {
namespace {

constexpr uint32_t kQuantizationVersion = 2;

struct PlannedTensor {
  const HfTensor* source = nullptr;  // null for an extra tensor
  std::shared_ptr<ExtraTensor> extra;
  std::string name;
  std::vector<int64_t> shape;
  DType type = DType::kF32;
  TensorTransform transform;
};

// Ordering: non-block tensors first (token_embd, rope_freqs, ...), then blk.0.., then output*.
std::tuple<int, int64_t, std::string> order_key(const std::string& name) {
  if (name.rfind("blk.", 0) == 0) {
    int64_t n = 0;
    std::from_chars(name.data() + 4, name.data() + name.size(), n);
    return {1, n, name};
  }
  if (name.rfind("output", 0) == 0) return {2, 0, name};
  return {0, 0, name};
}

DType source_following_type(HfDType t) {
  switch (t) {
    case HfDType::kF16: return DType::kF16;
    case HfDType::kBF16: return DType::kBF16;
    default: return DType::kF32;
  }
}

Result<int64_t> block_count(const HfConfig& config) { return config.get_int("num_hidden_layers"); }

// general.size_label as llama.cpp's converter writes it: the parameter count scaled to K, M, B
// or T, with at least two significant digits ("38K", "1.6M", "135M", "7.2B").
std::string size_label(uint64_t params) {
  const double n = static_cast<double>(params);
  double scaled = n * 1e-3;
  char suffix = 'K';
  if (n > 1e12) { scaled = n * 1e-12; suffix = 'T'; }
  else if (n > 1e9) { scaled = n * 1e-9; suffix = 'B'; }
  else if (n > 1e6) { scaled = n * 1e-6; suffix = 'M'; }
  const long long whole = std::llround(scaled);
  const int digits = whole == 0 ? 0 : static_cast<int>(std::to_string(whole).size());
  const int decimals = std::max(2 - digits, 0);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f%c", decimals, scaled, suffix);
  return buf;
}

uint32_t file_type_following(const std::vector<PlannedTensor>& plan) {
  for (const PlannedTensor& p : plan) {
    if (p.shape.size() < 2) continue;
    if (p.type == DType::kF16) return 1;
    if (p.type == DType::kBF16) return 32;
    return 0;
  }
  return 0;
}

Status add_planned(GgufWriter* writer, const PlannedTensor& p, ThreadPool* pool) {
  auto producer = [p, pool](std::vector<std::byte>* out) -> Status {
    std::vector<float> data;
    if (p.source) {
      CORRAL_TRY(hf_to_floats(*p.source, &data));
    } else {
      data = p.extra->data;
    }
    if (p.transform) CORRAL_TRY(p.transform(data, p.shape).with_context("tensor '" + p.source->name + "'"));
    const int64_t row = p.shape.empty() ? 1 : p.shape.back();
    return encode_rows(data, row == 0 ? 1 : row, p.type, pool, p.name, out);
  };
  return writer->add_tensor(p.name, p.shape, p.type, std::move(producer));
}

}  // namespace

Result<ConvertResult> convert_hf_directory(const std::string& dir, const std::string& out_path,
                                           const ConvertOptions& options) {
  CORRAL_ASSIGN_OR_RETURN(HfDirectory hf, open_hf_directory(dir));
  if (hf.architectures.empty()) return invalid_argument("%s/config.json: 'architectures' is missing", dir.c_str());
  const ArchConverter* conv = find_converter(hf.architectures[0]);
  if (!conv) {
    std::string known;
    for (const ArchConverter* c : all_converters()) {
      for (std::string_view a : c->hf_architectures) known += (known.empty() ? "" : ", ") + std::string(a);
    }
    return unsupported("%s: architecture '%s' cannot be converted (supported: %s)", dir.c_str(),
                       hf.architectures[0].c_str(), known.c_str());
  }
  CORRAL_ASSIGN_OR_RETURN(HfConfig config, HfConfig::parse(hf.config_json));
  CORRAL_ASSIGN_OR_RETURN(int64_t n_layers, block_count(config));
  CORRAL_ASSIGN_OR_RETURN(int64_t vocab_size, config.get_int("vocab_size"));
  CORRAL_ASSIGN_OR_RETURN(HfVocab vocab, read_hf_vocab(dir, vocab_size));

  GgufWriter writer;
  writer.set("general.architecture", GgufValue::from_string(std::string(conv->gguf_arch)));
  std::string name = options.name;
  if (name.empty()) name = std::filesystem::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
  writer.set("general.name", GgufValue::from_string(name));
  CORRAL_TRY(conv->write_hparams(config, &writer));
  vocab.write(&writer);

  // Plan every tensor.
  std::vector<PlannedTensor> plan;
  for (const HfTensor& t : hf.weights.tensors()) {
    CORRAL_ASSIGN_OR_RETURN(std::optional<TensorPlan> tp, conv->map_tensor(config, t.name));
    if (!tp) continue;
    PlannedTensor p;
    p.source = &t;
    p.name = std::move(tp->gguf_name);
    p.shape = t.shape;
    p.transform = std::move(tp->transform);
    plan.push_back(std::move(p));
  }
  if (conv->extra_tensors) {
    CORRAL_ASSIGN_OR_RETURN(std::vector<ExtraTensor> extras, conv->extra_tensors(config));
    for (ExtraTensor& e : extras) {
      PlannedTensor p;
      p.extra = std::make_shared<ExtraTensor>(std::move(e));
      p.name = p.extra->name;
      p.shape = p.extra->shape;
      plan.push_back(std::move(p));
    }
  }
  std::sort(plan.begin(), plan.end(),
            [](const PlannedTensor& a, const PlannedTensor& b) { return order_key(a.name) < order_key(b.name); });
  for (size_t i = 1; i < plan.size(); ++i) {
    if (plan[i].name == plan[i - 1].name) return corrupt("%s: two tensors map to '%s'", dir.c_str(), plan[i].name.c_str());
  }
  const bool has_output = std::any_of(plan.begin(), plan.end(), [](const PlannedTensor& p) { return p.name == "output.weight"; });
  for (PlannedTensor& p : plan) {
    if (options.type) {
      p.type = choose_tensor_type(*options.type, {p.name, p.shape, n_layers, has_output});
    } else {
      p.type = p.shape.size() < 2 || !p.source ? DType::kF32 : source_following_type(p.source->dtype);
    }
  }
  const uint32_t file_type = options.type ? quant_file_type(*options.type) : file_type_following(plan);
  writer.set("general.file_type", GgufValue::from_u32(file_type));
  // llama.cpp's converter writes these for every model, quantized or not.
  writer.set("general.quantization_version", GgufValue::from_u32(kQuantizationVersion));
  writer.set("general.type", GgufValue::from_string("model"));
  uint64_t n_params = 0;
  for (const PlannedTensor& p : plan) {
    uint64_t n = 1;
    for (int64_t d : p.shape) n *= static_cast<uint64_t>(d);
    n_params += n;
  }
  writer.set("general.size_label", GgufValue::from_string(size_label(n_params)));

  ThreadPool pool(options.threads);
  for (const PlannedTensor& p : plan) CORRAL_TRY(add_planned(&writer, p, &pool));
  CORRAL_TRY(writer.write(out_path));
  ConvertResult result;
  result.architecture = std::string(conv->gguf_arch);
  result.chat_template = vocab.chat_template;
  result.tensors = plan.size();
  result.warnings = vocab.warnings;
  return result;
}

Status quantize_gguf(const std::string& in_path, const std::string& out_path, QuantType type, int threads) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile in, GgufFile::open(in_path));
  const std::string arch = in.architecture();
  const int64_t n_layers = arch.empty() ? 0 : in.get_int(arch + ".block_count").value_or(0);
  const bool has_output = in.find_tensor("output.weight") != nullptr;
  GgufWriter writer;
  for (const auto& [key, value] : in.metadata()) {
    if (key == "general.alignment") continue;
    writer.set(key, value);
  }
  writer.set("general.file_type", GgufValue::from_u32(quant_file_type(type)));
  if (dtype_traits(quant_base_type(type)).block_size > 1) {
    writer.set("general.quantization_version", GgufValue::from_u32(kQuantizationVersion));
  }
  ThreadPool pool(threads);
  for (const GgufTensorInfo& t : in.tensors()) {
    const DType target = choose_tensor_type(type, {t.name, t.shape, n_layers, has_output});
    if (target == t.dtype) {
      CORRAL_TRY(writer.add_tensor(t.name, t.shape, t.dtype, in.tensor_data(t)));
      continue;
    }
    const GgufFile* file = &in;
    const GgufTensorInfo* info = &t;
    auto producer = [file, info, target, &pool](std::vector<std::byte>* out) -> Status {
      std::vector<float> data;
      CORRAL_TRY(gguf_to_floats(info->dtype, file->tensor_data(*info), info->num_elements(), info->name, &data));
      const int64_t row = info->shape.empty() ? 1 : std::max<int64_t>(1, info->shape.back());
      return encode_rows(data, row, target, &pool, info->name, out);
    };
    CORRAL_TRY(writer.add_tensor(t.name, t.shape, target, std::move(producer)));
  }
  return writer.write(out_path);
}

}  // namespace corral::convert
