// HF -> GGUF conversion against llama.cpp's own converter (convert_hf_to_gguf.py from the
// llama-cpp-python source distribution, run by tools/make_convert_goldens.py --llamacpp on the
// same checkpoints: expected_llamacpp.json): every tensor's name, shape, type and bytes, and
// every metadata key and value. general.name is the one key left out: llama.cpp derives it from
// the folder name by heuristics ("llama_bpe" -> "Llama_Bpe"); corral keeps the folder name.
#include <gtest/gtest.h>

#include <cmath>

#include "convert/convert.h"
#include "convert/hf_vocab.h"
#include "formats/gguf.h"
#include "test_util.h"

namespace corral::convert {
namespace {

using testing::golden_dir;
using testing::TempDir;
using nlohmann::json;

json value_json(const GgufValue& v);

json array_json(const GgufArray& a) {
  json out = json::array();
  switch (a.element_type) {
    case GgufType::kString: for (const auto& s : a.strings) out.push_back(s); break;
    case GgufType::kF32: case GgufType::kF64: for (double d : a.floats) out.push_back(d); break;
    case GgufType::kBool: for (int64_t i : a.ints) out.push_back(i != 0); break;
    case GgufType::kArray: for (const auto& v : a.values) out.push_back(value_json(v)); break;
    default: for (int64_t i : a.ints) out.push_back(i); break;
  }
  return out;
}

json value_json(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::kString: return *v.as_string();
    case GgufType::kBool: return *v.as_bool();
    case GgufType::kF32: case GgufType::kF64: return *v.as_float();
    case GgufType::kArray: return array_json(*v.as_array());
    default: return *v.as_int();
  }
}

void expect_matches_golden(const std::string& fixture) {
  const json golden = testing::read_golden_json("expected_llamacpp.json");
  ASSERT_TRUE(golden.contains(fixture)) << "expected_llamacpp.json lacks " << fixture;
  const json& want = golden[fixture];
  TempDir tmp;
  const std::string out = tmp.file("out.gguf");
  ConvertOptions opts;
  opts.threads = 2;
  auto result = convert_hf_directory(golden_dir() + "/" + fixture, out, opts);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  auto file = GgufFile::open(out);
  ASSERT_TRUE(file.ok()) << file.status().to_string();

  // Metadata: the same keys with the same values.
  std::set<std::string> seen;
  for (const auto& [key, value] : file->metadata()) {
    if (key == "general.alignment") continue;
    seen.insert(key);
    if (key == "general.name") {
      EXPECT_FALSE(value.as_string()->empty());
      continue;
    }
    ASSERT_TRUE(want["metadata"].contains(key)) << fixture << ": unexpected key " << key;
    const json got = value_json(value);
    const json& exp = want["metadata"][key];
    if (got.is_number_float() || exp.is_number_float()) {
      EXPECT_FLOAT_EQ(got.get<double>(), exp.get<double>()) << fixture << ": " << key;
    } else if (got.is_array() && !got.empty() && got[0].is_number_float()) {
      ASSERT_EQ(got.size(), exp.size()) << key;
      for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i].get<double>(), exp[i].get<double>()) << key << "[" << i << "]";
    } else {
      EXPECT_EQ(got, exp) << fixture << ": " << key;
    }
  }
  for (auto it = want["metadata"].begin(); it != want["metadata"].end(); ++it) {
    EXPECT_TRUE(seen.count(it.key())) << fixture << ": missing key " << it.key();
  }

  // Tensors: names, shapes, types and bytes.
  ASSERT_EQ(file->tensors().size(), want["tensors"].size()) << fixture;
  for (const json& t : want["tensors"]) {
    const std::string name = t["name"];
    const GgufTensorInfo* info = file->find_tensor(name);
    ASSERT_NE(info, nullptr) << fixture << ": missing tensor " << name;
    EXPECT_EQ(info->shape, t["shape"].get<std::vector<int64_t>>()) << name;
    EXPECT_EQ(std::string(dtype_name(info->dtype)), t["type"].get<std::string>()) << name;
    EXPECT_EQ(testing::sha256_hex(file->tensor_data(*info)), t["sha256"].get<std::string>()) << fixture << ": " << name;
  }
  EXPECT_EQ(result->tensors, want["tensors"].size());
}

TEST(ConvertGolden, LlamaBpeF32MatchesLlamaCpp) { expect_matches_golden("llama_bpe"); }
TEST(ConvertGolden, Qwen2BpeBf16TiedMatchesLlamaCpp) { expect_matches_golden("qwen2_bpe"); }
TEST(ConvertGolden, LlamaSentencePieceF16Llama3RopeMatchesLlamaCpp) { expect_matches_golden("llama_spm"); }
TEST(ConvertGolden, MistralSentencePieceF16MatchesLlamaCpp) { expect_matches_golden("mistral_spm"); }
TEST(ConvertGolden, LlamaFromPytorchBinMatchesLlamaCpp) { expect_matches_golden("llama_bpe_bin"); }
TEST(ConvertGolden, Qwen2FromPytorchBinMatchesLlamaCpp) { expect_matches_golden("qwen2_bpe_bin"); }
TEST(ConvertGolden, MistralFromPytorchBinMatchesLlamaCpp) { expect_matches_golden("mistral_spm_bin"); }

TEST(ConvertGolden, ChatTemplateIsReturnedForDetection) {
  TempDir tmp;
  auto r = convert_hf_directory(golden_dir() + "/qwen2_bpe", tmp.file("o.gguf"), {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->architecture, "qwen2");
  ASSERT_TRUE(r->chat_template.has_value());
  EXPECT_NE(r->chat_template->find("<|im_start|>"), std::string::npos);
}

TEST(ConvertGolden, CheckpointWithoutTokenizerIsNotFound) {
  // The readers' fixtures have no tokenizer: conversion must say so, not crash.
  TempDir tmp;
  auto r = convert_hf_directory(std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf/safetensors",
                                tmp.file("o.gguf"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("tokenizer"), std::string::npos) << r.status().message();
}

TEST(ConvertGolden, MistralUsesTheLlamaMapping) {
  TempDir tmp;
  std::filesystem::copy(golden_dir() + "/llama_bpe", tmp.file("m"));
  auto cfg = nlohmann::json::parse(*read_file(tmp.file("m/config.json")));
  cfg["architectures"] = {"MistralForCausalLM"};
  cfg["model_type"] = "mistral";
  ASSERT_TRUE(write_file_atomic(tmp.file("m/config.json"), std::string_view(cfg.dump())).ok());
  auto r = convert_hf_directory(tmp.file("m"), tmp.file("o.gguf"), {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->architecture, "llama");
  auto file = GgufFile::open(tmp.file("o.gguf"));
  ASSERT_TRUE(file.ok());
  const json golden = testing::read_golden_json("expected_llamacpp.json");
  for (const json& t : golden["llama_bpe"]["tensors"]) {
    const GgufTensorInfo* info = file->find_tensor(t["name"].get<std::string>());
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(testing::sha256_hex(file->tensor_data(*info)), t["sha256"].get<std::string>());
  }
}

TEST(ConvertErrors, UnknownArchitectureIsNamed) {
  TempDir tmp;
  std::filesystem::copy(golden_dir() + "/llama_bpe", tmp.file("m"));
  ASSERT_TRUE(write_file_atomic(tmp.file("m/config.json"),
                                std::string_view(R"({"architectures": ["FancyForCausalLM"], "vocab_size": 300})")).ok());
  auto r = convert_hf_directory(tmp.file("m"), tmp.file("o.gguf"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("FancyForCausalLM"), std::string::npos);
  EXPECT_FALSE(path_exists(tmp.file("o.gguf")));
}

TEST(ConvertErrors, MissingHyperParameterIsNamed) {
  TempDir tmp;
  std::filesystem::copy(golden_dir() + "/llama_bpe", tmp.file("m"));
  auto cfg = nlohmann::json::parse(*read_file(tmp.file("m/config.json")));
  cfg.erase("intermediate_size");
  ASSERT_TRUE(write_file_atomic(tmp.file("m/config.json"), std::string_view(cfg.dump())).ok());
  auto r = convert_hf_directory(tmp.file("m"), tmp.file("o.gguf"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("intermediate_size"), std::string::npos) << r.status().message();
}

TEST(ConvertErrors, TokenizerLargerThanVocabSizeIsRefused) {
  TempDir tmp;
  std::filesystem::copy(golden_dir() + "/llama_bpe", tmp.file("m"));
  auto r = read_hf_vocab(tmp.file("m"), 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("vocab_size"), std::string::npos);
}

TEST(ConvertErrors, MalformedTokenizerJsonIsCorrupt) {
  TempDir tmp;
  std::filesystem::copy(golden_dir() + "/llama_bpe", tmp.file("m"));
  for (std::string_view bad : {"{", R"({"model": {"type": "BPE", "vocab": []}})",
                               R"({"model": {"type": "BPE", "vocab": {"a": "x"}}})",
                               R"({"model": {"type": "BPE", "vocab": {"a": -4}}})",
                               R"({"model": {"type": "BPE", "vocab": {"a": 16000000}}})",  // beyond vocab_size
                               R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [1]}})",
                               R"({"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"id": "q"}]})"}) {
    ASSERT_TRUE(write_file_atomic(tmp.file("m/tokenizer.json"), bad).ok());
    auto r = read_hf_vocab(tmp.file("m"), 300);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << bad << " " << r.status().to_string();
  }
}

TEST(ConvertOutputType, F16AndBf16OutputConvertEveryMatrixAndKeepNormsF32) {
  TempDir tmp;
  for (QuantType t : {QuantType::kF16, QuantType::kBF16}) {
    ConvertOptions opts;
    opts.type = t;
    auto r = convert_hf_directory(golden_dir() + "/llama_bpe", tmp.file("o.gguf"), opts);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    auto file = GgufFile::open(tmp.file("o.gguf"));
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(file->get_int("general.file_type"), static_cast<int64_t>(quant_file_type(t)));
    for (const auto& info : file->tensors()) {
      EXPECT_EQ(info.dtype, info.shape.size() >= 2 ? quant_base_type(t) : DType::kF32) << info.name;
    }
  }
}

}  // namespace
}  // namespace corral::convert
