// Streaming: converting a synthetic ~200 MB F32 checkpoint keeps the peak anonymous memory
// (RssAnon, sampled; the mmapped input and the written file's page cache do not count) near the
// largest tensor, far below the model size.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "convert/convert.h"
#include "test_util.h"

namespace corral::convert {
namespace {

using testing::TempDir;

int64_t rss_anon_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  }
  return -1;
}

struct SynthTensor {
  std::string name;
  std::vector<int64_t> shape;
};

void write_safetensors(const std::string& path, const std::vector<SynthTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + n * 4}}};
    offset += n * 4;
  }
  std::string h = header.dump();
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = h.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  std::vector<float> chunk(1 << 16);
  uint32_t state = 12345;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    for (uint64_t done = 0; done < n;) {
      const uint64_t k = std::min<uint64_t>(chunk.size(), n - done);
      for (uint64_t i = 0; i < k; ++i) {
        state = state * 1664525u + 1013904223u;
        chunk[i] = static_cast<float>(static_cast<int32_t>(state >> 8) - (1 << 23)) * 1e-9f;
      }
      out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(k * 4));
      done += k;
    }
  }
}

TEST(ConvertMemory, PeakMemoryNearLargestTensorNotModelSize) {
  TempDir tmp;
  const std::string dir = tmp.file("big");
  std::filesystem::create_directories(dir);
  const int64_t hidden = 512, ffn = 1536, layers = 16, vocab = 8192;
  std::vector<SynthTensor> ts = {{"model.embed_tokens.weight", {vocab, hidden}},
                                 {"lm_head.weight", {vocab, hidden}},
                                 {"model.norm.weight", {hidden}}};
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* n : {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                          "self_attn.o_proj.weight"}) {
      ts.push_back({p + n, {hidden, hidden}});
    }
    ts.push_back({p + "mlp.gate_proj.weight", {ffn, hidden}});
    ts.push_back({p + "mlp.up_proj.weight", {ffn, hidden}});
    ts.push_back({p + "mlp.down_proj.weight", {hidden, ffn}});
    ts.push_back({p + "input_layernorm.weight", {hidden}});
    ts.push_back({p + "post_attention_layernorm.weight", {hidden}});
  }
  write_safetensors(dir + "/model.safetensors", ts);
  nlohmann::json cfg = {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", hidden},
                        {"intermediate_size", ffn}, {"num_hidden_layers", layers}, {"num_attention_heads", 8},
                        {"num_key_value_heads", 8}, {"vocab_size", vocab}, {"rms_norm_eps", 1e-5},
                        {"max_position_embeddings", 2048}};
  ASSERT_TRUE(write_file_atomic(dir + "/config.json", std::string_view(cfg.dump())).ok());
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::copy_file(testing::golden_dir() + "/llama_bpe/" + f, dir + "/" + f);
  }
  const uint64_t model_bytes = std::filesystem::file_size(dir + "/model.safetensors");
  const uint64_t largest = static_cast<uint64_t>(vocab * hidden) * 4;

  for (std::optional<QuantType> type : {std::optional<QuantType>(), std::optional<QuantType>(QuantType::kQ4_K_M)}) {
    const int64_t base = rss_anon_bytes();
    ASSERT_GT(base, 0);
    std::atomic<bool> done{false};
    std::atomic<int64_t> peak{base};
    std::thread sampler([&] {
      while (!done) {
        const int64_t v = rss_anon_bytes();
        if (v > peak) peak = v;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    ConvertOptions opts;
    opts.type = type;
    opts.threads = 2;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = convert_hf_directory(dir, tmp.file("out.gguf"), opts);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    done = true;
    sampler.join();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const int64_t grew = peak - base;
    std::printf("convert %s: model %.1f MB, largest tensor %.1f MB, peak anonymous growth %.1f MB, %.2f s\n",
                type ? std::string(quant_type_name(*type)).c_str() : "F32", model_bytes / 1e6, largest / 1e6,
                grew / 1e6, secs);
    EXPECT_LT(static_cast<uint64_t>(grew), 3 * largest + (uint64_t{32} << 20));
    EXPECT_LT(static_cast<uint64_t>(grew), model_bytes / 3);
  }
}

}  // namespace
}  // namespace corral::convert
