// Loader behaviour: the weight declaration of each architecture matches converted files, and
// every way a file can disagree with it (missing, unclaimed, mis-shaped, wrong dtype tensors,
// missing or bad keys, unknown architecture) is a clear error naming the thing.
#include <filesystem>
#include <functional>

#include "models/model_test_util.h"
#include "nn/weight_scope.h"

namespace corral::testing {
namespace {

using Edit = std::function<void(const GgufFile& src, GgufWriter* w)>;

// Writes a copy of the tiny llama golden with `edit` applied to the metadata and tensors
// (`skip`: tensor names to drop), and returns its path.
std::string rewrite(const std::string& tag, const std::vector<std::string>& skip, const Edit& edit) {
  static std::unique_ptr<GgufFile> src;
  if (!src) src = std::make_unique<GgufFile>(GgufFile::open(golden_dir("llama") + "/model.gguf").value());
  GgufWriter w;
  for (const auto& [key, value] : src->metadata()) w.set(key, value);
  for (const GgufTensorInfo& t : src->tensors()) {
    if (std::find(skip.begin(), skip.end(), t.name) != skip.end()) continue;
    EXPECT_TRUE(w.add_tensor(t.name, t.shape, t.dtype, src->tensor_data(t)).ok());
  }
  if (edit) edit(*src, &w);
  const std::string path = ::testing::TempDir() + "corral_loader_" + tag + ".gguf";
  EXPECT_TRUE(w.write(path).ok());
  return path;
}

Status load_status(const std::string& path) {
  auto m = open_model(path);
  return m.ok() ? ok_status() : m.status();
}

TEST(Loader, TinyModelsLoadWithTheirDeclaredWeights) {
  for (const char* name : {"llama", "llama3_rope", "qwen2"}) {
    auto file = GgufFile::open(golden_dir(name) + "/model.gguf");
    ASSERT_TRUE(file.ok());
    auto model = load_model(*file);
    ASSERT_TRUE(model.ok()) << name << ": " << model.status().to_string();
    const ModelConfig& c = (*model)->config();
    EXPECT_EQ(c.vocab_size, 256);
    EXPECT_EQ(c.hidden_size, 64);
    EXPECT_EQ(c.num_layers, 2);
    EXPECT_EQ(c.num_heads, 4);
    EXPECT_EQ(c.num_kv_heads, 2);
    EXPECT_EQ(c.head_dim, 16);
    EXPECT_EQ(c.ffn_dim, 128);
    nn::WeightLister lister;
    (*model)->visit(nn::WeightScope(lister));
    size_t present = 0;
    for (const auto& d : lister.decls()) present += file->find_tensor(d.name) != nullptr;
    EXPECT_EQ(present, file->tensors().size()) << name << ": every file tensor is declared";
  }
}

TEST(Loader, MissingTensorIsNotFoundNamingIt) {
  const Status s = load_status(rewrite("missing", {"blk.1.attn_k.weight"}, nullptr));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("'blk.1.attn_k.weight' is missing (expected shape [32, 64])"), std::string::npos)
      << s.to_string();
}

TEST(Loader, UnclaimedTensorIsAnError) {
  static const float extra[4] = {1, 2, 3, 4};
  const Status s = load_status(rewrite("extra", {}, [](const GgufFile&, GgufWriter* w) {
    ASSERT_TRUE(w->add_tensor("blk.0.attn_sinks.weight", {4}, DType::kF32,
                              std::as_bytes(std::span<const float>(extra))).ok());
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("'blk.0.attn_sinks.weight' is not used by architecture 'llama'"), std::string::npos)
      << s.to_string();
}

TEST(Loader, MisShapedTensorNamesBothShapes) {
  static std::vector<float> wrong(64 * 48, 0.0f);
  const Status s = load_status(rewrite("shape", {"blk.0.ffn_up.weight"}, [](const GgufFile&, GgufWriter* w) {
    ASSERT_TRUE(w->add_tensor("blk.0.ffn_up.weight", {48, 64}, DType::kF32,
                              std::as_bytes(std::span<const float>(wrong))).ok());
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("'blk.0.ffn_up.weight' has shape [48, 64], but the model expects [128, 64]"),
            std::string::npos)
      << s.to_string();
}

TEST(Loader, NormWeightMustBeF32) {
  static std::vector<uint16_t> half(64, 0x3c00);
  const Status s = load_status(rewrite("dtype", {"output_norm.weight"}, [](const GgufFile&, GgufWriter* w) {
    ASSERT_TRUE(w->add_tensor("output_norm.weight", {64}, DType::kF16,
                              std::as_bytes(std::span<const uint16_t>(half))).ok());
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("'output_norm.weight' has dtype F16, but the model needs F32"), std::string::npos)
      << s.to_string();
}

TEST(Loader, UnknownArchitectureIsUnsupported) {
  const Status s = load_status(rewrite("arch", {}, [](const GgufFile&, GgufWriter* w) {
    w->set("general.architecture", GgufValue::from_string("mamba9"));
  }));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("'mamba9' is not supported (known: llama, qwen2)"), std::string::npos) << s.to_string();
}

TEST(Loader, MissingOrBadKeysNameTheKey) {
  // GgufWriter cannot delete a key; overwrite with a wrong type / value instead.
  Status s = load_status(rewrite("heads", {}, [](const GgufFile&, GgufWriter* w) {
    w->set("llama.attention.head_count_kv", GgufValue::from_u32(3));
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("head_count 4 is not a multiple of head_count_kv 3"), std::string::npos)
      << s.to_string();
  s = load_status(rewrite("layers", {}, [](const GgufFile&, GgufWriter* w) {
    w->set("llama.block_count", GgufValue::from_string("two"));
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("'llama.block_count' must be an integer"), std::string::npos) << s.to_string();
  s = load_status(rewrite("eps", {}, [](const GgufFile&, GgufWriter* w) {
    w->set("llama.attention.layer_norm_rms_epsilon", GgufValue::from_f32(-1.0f));
  }));
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  // More layers than the file holds: the first missing tensor is reported.
  s = load_status(rewrite("more_layers", {}, [](const GgufFile&, GgufWriter* w) {
    w->set("llama.block_count", GgufValue::from_u32(3));
  }));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("'blk.2.attn_norm.weight' is missing"), std::string::npos) << s.to_string();
}

TEST(Loader, BadTokenAndFullCacheAreStatuses) {
  auto model = open_model(golden_dir("llama") + "/model.gguf");
  ASSERT_TRUE(model.ok());
  auto kv = make_kv_cache((*model)->cache_spec(), 8, 1, DType::kF32);
  ASSERT_TRUE(kv.ok());
  auto backend = make_cpu_backend();
  GraphAllocator alloc;
  Batch bad;
  bad.add(256, 0, 0, true);
  EXPECT_EQ(evaluate(**model, *backend, alloc, bad, *kv).status().code(), StatusCode::kInvalidArgument);
  Batch nine;
  for (int i = 0; i < 9; ++i) nine.add(i, i, 0, i == 8);
  const auto full = evaluate(**model, *backend, alloc, nine, *kv);
  EXPECT_EQ(full.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(full.status().message().find("kv cache full"), std::string::npos);
  EXPECT_EQ(kv->cells().used(), 0) << "a failed placement changes nothing";
}

}  // namespace
}  // namespace corral::testing
