// Checkpoints written by torch and transformers themselves (tools/make_tiny_hf.py) against the
// names, shapes, dtypes and sha256 of the raw bytes that torch reported (expected.json).
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <string>

#include "formats/hf_checkpoint.h"
#include "formats/tensor_listing.h"
#include "util/file.h"

namespace corral {
namespace {

const std::string kGolden = std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf";

std::string sha256_hex(std::span<const std::byte> data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr), 1);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    Result<std::string> text = read_file(kGolden + "/expected.json");
    EXPECT_TRUE(text.ok()) << text.status().to_string();
    return nlohmann::json::parse(text.ok() ? *text : std::string("{}"));
  }();
  return j;
}

// Every tensor of `ckpt` matches expected[key] (same names in the same order), bytes included.
void expect_matches(const HfCheckpoint& ckpt, const std::string& key) {
  const nlohmann::json& want = expected().at(key);
  ASSERT_EQ(ckpt.tensors().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const HfTensor& t = ckpt.tensors()[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, want[i]["name"].get<std::string>());
    EXPECT_EQ(t.shape, want[i]["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(hf_dtype_name(t.dtype), want[i]["dtype"].get<std::string>());
    EXPECT_EQ(t.data.size(), t.num_elements() * hf_dtype_size(t.dtype));
    EXPECT_EQ(sha256_hex(t.data), want[i]["sha256"].get<std::string>());
  }
}

HfCheckpoint open_ok(Result<HfCheckpoint> r) {
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return HfCheckpoint();
  return std::move(r).value();
}

CheckpointListing list_ok(const std::string& path) {
  Result<CheckpointListing> r = list_checkpoint_tensors(path);
  EXPECT_TRUE(r.ok()) << path << ": " << r.status().to_string();
  return r.ok() ? std::move(r).value() : CheckpointListing();
}

void expect_listing_equals(const CheckpointListing& listing, const std::string& key) {
  const nlohmann::json& want = expected().at(key);
  ASSERT_EQ(listing.tensors.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(listing.tensors[i].name, want[i]["name"].get<std::string>());
    EXPECT_EQ(listing.tensors[i].shape, want[i]["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(listing.tensors[i].dtype, want[i]["dtype"].get<std::string>());
  }
}

TEST(HfGolden, SafetensorsDirectoryMatchesTorch) {
  HfCheckpoint ckpt = open_ok(HfCheckpoint::open_directory(kGolden + "/safetensors"));
  EXPECT_EQ(ckpt.format(), HfWeightFormat::kSafetensors);
  expect_matches(ckpt, "model");
}

TEST(HfGolden, TorchDirectoryMatchesTorch) {
  HfCheckpoint ckpt = open_ok(HfCheckpoint::open_directory(kGolden + "/torch"));
  EXPECT_EQ(ckpt.format(), HfWeightFormat::kTorch);
  expect_matches(ckpt, "model");
}

TEST(HfGolden, SingleFilesMatchTorch) {
  expect_matches(open_ok(HfCheckpoint::open_file(kGolden + "/safetensors/model.safetensors")), "model");
  expect_matches(open_ok(HfCheckpoint::open_file(kGolden + "/torch/pytorch_model.bin")), "model");
}

TEST(HfGolden, ShardedSafetensorsMatchTorch) {
  HfCheckpoint ckpt = open_ok(HfCheckpoint::open_directory(kGolden + "/safetensors_sharded"));
  EXPECT_EQ(ckpt.files().size(), 3u);
  expect_matches(ckpt, "model_bf16");
}

TEST(HfGolden, MixedDtypesTiedAndOffsetTensors) {
  for (const char* file : {"/mixed.pt", "/mixed_p4.pt"}) {
    SCOPED_TRACE(file);
    HfCheckpoint ckpt = open_ok(HfCheckpoint::open_file(kGolden + file));
    expect_matches(ckpt, "mixed");
    const HfTensor* a = ckpt.find("tied.a");
    const HfTensor* b = ckpt.find("tied.b");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->data.data(), b->data.data()) << "tied tensors share one storage, zero-copy";
  }
}

TEST(HfGolden, ShardedTorchMatchesTorch) {
  HfCheckpoint ckpt = open_ok(HfCheckpoint::open_directory(kGolden + "/torch_sharded"));
  EXPECT_EQ(ckpt.format(), HfWeightFormat::kTorch);
  EXPECT_EQ(ckpt.files().size(), 2u);
  expect_matches(ckpt, "mixed");
}

TEST(HfGolden, NestedDictNamesJoinWithDots) {
  expect_matches(open_ok(HfCheckpoint::open_file(kGolden + "/nested.pt")), "nested");
}

TEST(HfGolden, NonContiguousTensorIsRefused) {
  Result<HfCheckpoint> r = HfCheckpoint::open_file(kGolden + "/noncontig.pt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("tensor 't'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("not contiguous"), std::string::npos);
}

TEST(HfGolden, HfDirectoryReadsConfig) {
  Result<HfDirectory> dir = open_hf_directory(kGolden + "/safetensors");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  EXPECT_EQ(dir->model_type, "llama");
  EXPECT_EQ(dir->architectures, std::vector<std::string>{"LlamaForCausalLM"});
  EXPECT_EQ(dir->weights.tensors().size(), expected()["model"].size());
  Result<HfDirectory> no_config = open_hf_directory(kGolden + "/torch_sharded");
  ASSERT_FALSE(no_config.ok());
  EXPECT_EQ(no_config.status().code(), StatusCode::kNotFound);
}

TEST(TensorListing, SafetensorsAndTorchListingsAreIdentical) {
  CheckpointListing st = list_ok(kGolden + "/safetensors");
  CheckpointListing pt = list_ok(kGolden + "/torch");
  EXPECT_EQ(st.format, "safetensors");
  EXPECT_EQ(pt.format, "torch");
  expect_listing_equals(st, "model");
  expect_listing_equals(pt, "model");
  ASSERT_EQ(st.tensors.size(), pt.tensors.size());
  for (size_t i = 0; i < st.tensors.size(); ++i) {
    EXPECT_EQ(st.tensors[i].name, pt.tensors[i].name);
    EXPECT_EQ(st.tensors[i].shape, pt.tensors[i].shape);
    EXPECT_EQ(st.tensors[i].dtype, pt.tensors[i].dtype);
    EXPECT_EQ(st.tensors[i].bytes, pt.tensors[i].bytes);
  }
  EXPECT_EQ(st.parameters(), pt.parameters());
  EXPECT_EQ(st.bytes(), st.parameters() * 4);
}

TEST(TensorListing, FilesIndexesAndMixedDtypes) {
  expect_listing_equals(list_ok(kGolden + "/safetensors/model.safetensors"), "model");
  expect_listing_equals(list_ok(kGolden + "/safetensors_sharded/model.safetensors.index.json"), "model_bf16");
  expect_listing_equals(list_ok(kGolden + "/torch_sharded/pytorch_model.bin.index.json"), "mixed");
  CheckpointListing mixed = list_ok(kGolden + "/mixed.pt");
  expect_listing_equals(mixed, "mixed");
  EXPECT_EQ(mixed.parameters(), 127u);  // 15+24+24+5+7+6+6+3+1+0+12+12+12
}

TEST(TensorListing, SniffsFilesWithoutExtension) {
  const auto dir = std::filesystem::temp_directory_path() / ("corral_sniff_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kGolden + "/safetensors/model.safetensors", dir / "weights_a",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(kGolden + "/mixed.pt", dir / "weights_b",
                             std::filesystem::copy_options::overwrite_existing);
  CheckpointListing a = list_ok((dir / "weights_a").string());
  CheckpointListing b = list_ok((dir / "weights_b").string());
  EXPECT_EQ(a.format, "safetensors");
  expect_listing_equals(a, "model");
  EXPECT_EQ(b.format, "torch");
  expect_listing_equals(b, "mixed");
  std::filesystem::remove_all(dir);

  Result<CheckpointListing> json = list_checkpoint_tensors(kGolden + "/expected.json");
  EXPECT_FALSE(json.ok());
  Result<CheckpointListing> missing = list_checkpoint_tensors(kGolden + "/no-such-file.safetensors");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corral
