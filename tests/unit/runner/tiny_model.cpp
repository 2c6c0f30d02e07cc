#include "tiny_model.h"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <vector>

#include "formats/gguf.h"
#include "util/check.h"

namespace corral::testing {
namespace {

constexpr int64_t kHidden = 32, kLayers = 2, kHeads = 4, kKvHeads = 2, kFfn = 64;

std::span<const std::byte> bytes_of(const std::vector<float>& v) {
  return std::as_bytes(std::span<const float>(v));
}

}  // namespace

std::string gpt2_vocab_path() {
  return std::string(CORRAL_TESTDATA_DIR) + "/tokenizers/ggml-vocab-gpt-2.gguf";
}

Status write_tiny_model(const std::string& path, const TinyModelOptions& options) {
  CORRAL_ASSIGN_OR_RETURN(GgufFile vocab, GgufFile::open(gpt2_vocab_path()));
  const GgufArray* tokens = vocab.get_array("tokenizer.ggml.tokens");
  if (tokens == nullptr) return not_found("tokenizer.ggml.tokens in %s", gpt2_vocab_path().c_str());
  const int64_t n_vocab = static_cast<int64_t>(tokens->size());

  GgufWriter w;
  w.set("general.architecture", GgufValue::from_string("llama"));
  w.set("general.name", GgufValue::from_string("corral runner test model"));
  w.set("llama.context_length", GgufValue::from_u32(static_cast<uint32_t>(options.context_length)));
  w.set("llama.embedding_length", GgufValue::from_u32(kHidden));
  w.set("llama.block_count", GgufValue::from_u32(kLayers));
  w.set("llama.feed_forward_length", GgufValue::from_u32(kFfn));
  w.set("llama.attention.head_count", GgufValue::from_u32(kHeads));
  w.set("llama.attention.head_count_kv", GgufValue::from_u32(kKvHeads));
  w.set("llama.rope.freq_base", GgufValue::from_f32(10000.0f));
  w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::from_f32(1e-5f));
  for (const auto& [key, value] : vocab.metadata()) {
    if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);
  }
  if (!options.chat_template.empty()) {
    w.set("tokenizer.chat_template", GgufValue::from_string(options.chat_template));
  }

  std::mt19937 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> store;  // kept alive until write()
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset) -> Status {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float>& v = store.emplace_back(static_cast<size_t>(n));
    for (float& x : v) x = offset + scale * normal(rng);
    return w.add_tensor(name, std::move(shape), DType::kF32, bytes_of(v));
  };
  store.reserve(64);
  const int64_t head_dim = kHidden / kHeads;
  CORRAL_TRY(add("token_embd.weight", {n_vocab, kHidden}, 1.0f, 0.0f));
  for (int64_t i = 0; i < kLayers; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    const float s = 0.3f;
    CORRAL_TRY(add(b + "attn_norm.weight", {kHidden}, 0.1f, 1.0f));
    CORRAL_TRY(add(b + "attn_q.weight", {kHidden, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "attn_k.weight", {kKvHeads * head_dim, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "attn_v.weight", {kKvHeads * head_dim, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "attn_output.weight", {kHidden, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "ffn_norm.weight", {kHidden}, 0.1f, 1.0f));
    CORRAL_TRY(add(b + "ffn_gate.weight", {kFfn, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "ffn_up.weight", {kFfn, kHidden}, s, 0.0f));
    CORRAL_TRY(add(b + "ffn_down.weight", {kHidden, kFfn}, s, 0.0f));
  }
  CORRAL_TRY(add("output_norm.weight", {kHidden}, 0.1f, 1.0f));
  return w.write(path);
}

namespace {
// The file lives as long as the process: written on first use, removed by the destructor of the
// static that holds its path (an atexit handler registered while the static is being built
// would run after that static is destroyed).
struct TinyModelFile {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("corral_runner_tiny_" + std::to_string(::getpid()) + ".gguf"))
                         .string();
  TinyModelFile() {
    const Status s = write_tiny_model(path);
    CORRAL_CHECK(s.ok(), "writing the tiny model: %s", s.to_string().c_str());
  }
  ~TinyModelFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};
}  // namespace

const std::string& tiny_model_path() {
  static const TinyModelFile file;
  return file.path;
}

}  // namespace corral::testing
