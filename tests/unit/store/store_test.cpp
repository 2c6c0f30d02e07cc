// Store: manifest round trip (including an Ollama-written manifest), list, cp, rm, prune,
// case-insensitive names, layers by media type.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "store/store.h"
#include "test_dir.h"
#include "util/file.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;

// Adds blobs for a config, a model and a template and returns a manifest referencing them.
Manifest make_model(Store& s, const std::string& weights, const std::string& tmpl) {
  Manifest m;
  auto cfg = s.blobs().add_bytes(R"({"model_format":"gguf","rootfs":{"type":"layers","diff_ids":[]}})");
  auto model = s.blobs().add_bytes(weights);
  auto tpl = s.blobs().add_bytes(tmpl);
  m.config = {std::string(media_type::kConfig), cfg->digest, cfg->size, ""};
  m.layers.push_back({std::string(media_type::kModel), model->digest, model->size, ""});
  m.layers.push_back({std::string(media_type::kTemplate), tpl->digest, tpl->size, ""});
  return m;
}

size_t blob_count(const Store& s) { return s.blobs().list()->size(); }

TEST(ManifestTest, ParsesOllamaManifest) {
  // The shape `ollama pull` writes (docker v2 manifest with Ollama layer media types).
  const std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:34bb5ab01051a11372a91f95f3fbbc51173eed8e7f13ec395b9ae9b8bd0e242b","size":561},
    "layers":[
     {"mediaType":"application/vnd.ollama.image.model","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":2019377376},
     {"mediaType":"application/vnd.ollama.image.template","digest":"sha256:966de95ca8a62200913e3f8bfbf84c8494536f1b94b49166851e76644e966396","size":1429},
     {"mediaType":"application/vnd.ollama.image.license","digest":"sha256:fcc5a6bec9daf9b561a68827b67ab6088e1dba9d1fa2a50d7bbcc8384e0a265d","size":7711},
     {"mediaType":"application/vnd.ollama.image.params","digest":"sha256:56bb8bd477a519ffa694fc449c2413c6f0e1d3b1c88fa7e3c9d88d3ae49d4dcb","size":96}]})";
  auto m = parse_manifest(text);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->config.size, 561u);
  ASSERT_EQ(m->layers.size(), 4u);
  EXPECT_EQ(m->layers[0].size, 2019377376u);
  EXPECT_EQ(m->layers_of(media_type::kTemplate).size(), 1u);
  EXPECT_EQ(m->layers_of(media_type::kSystem).size(), 0u);
  EXPECT_EQ(m->total_size(), 561u + 2019377376u + 1429u + 7711u + 96u);
  // Round trip: our serialization parses to the same manifest and has the same JSON content.
  std::string out = serialize_manifest(*m);
  EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(text));
  EXPECT_EQ(out.find("schemaVersion"), 2u);  // key order: schemaVersion first
}

TEST(ManifestTest, RejectsMalformed) {
  const std::string good_layer =
      R"({"mediaType":"application/vnd.ollama.image.model","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":1})";
  auto with = [&](const std::string& config, const std::string& layers, const std::string& version = "2") {
    return R"({"schemaVersion":)" + version + R"(,"config":)" + config + R"(,"layers":)" + layers + "}";
  };
  EXPECT_TRUE(parse_manifest(with(good_layer, "[" + good_layer + "]")).ok());
  const std::string bad[] = {
      "", "null", "[]", "{", "not json",
      with(good_layer, "[" + good_layer + "]", "1"),
      with(good_layer, "{}"),
      with("[]", "[]"),
      with(good_layer, R"([{"mediaType":"x","digest":"sha256:../../etc/passwd","size":1}])"),
      with(good_layer, R"([{"mediaType":"x","digest":"sha256:DDE5AA3FC5FFC17176B5E8BDC82F587B24B2678C6C66101BF7DA77AF9F7CCDFF","size":1}])"),
      with(good_layer, R"([{"mediaType":"x","size":1}])"),
      with(good_layer, R"([{"digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":1}])"),
      with(good_layer, R"([{"mediaType":"x","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":-1}])"),
      with(good_layer, R"([{"mediaType":"x","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":"1"}])"),
      with(good_layer, R"([{"mediaType":"x","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":1.5}])"),
      with(good_layer, "[1]"),
  };
  for (const std::string& b : bad) {
    auto m = parse_manifest(b);
    EXPECT_FALSE(m.ok()) << b;
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << b;
    }
  }
}

TEST(StoreTest, ManifestRoundTripAndLayers) {
  testing::TempDir dir;
  auto s = Store::open(dir.path() + "/models");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto name = s->parse_name("me/tiny:v1");
  Manifest m = make_model(*s, "weights", "{{ .Prompt }}");
  ASSERT_TRUE(s->write_manifest(*name, m).ok());
  EXPECT_TRUE(fs::is_regular_file(dir.path() + "/models/manifests/registry.ollama.ai/me/tiny/v1"));
  auto back = s->read_manifest(*name);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(serialize_manifest(*back), serialize_manifest(m));
  EXPECT_EQ(*s->read_text_layer(*name, media_type::kTemplate), "{{ .Prompt }}");
  EXPECT_EQ(s->read_text_layer(*name, media_type::kSystem).status().code(), StatusCode::kNotFound);
  auto models = s->layers(*name, media_type::kModel);
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].digest, Sha256::of("weights"));
  EXPECT_EQ(s->read_manifest(*s->parse_name("me/other")).status().code(), StatusCode::kNotFound);
}

TEST(StoreTest, OpenFromEnvironmentConfig) {
  testing::TempDir dir;
  EnvConfig env;
  env.models_dir = dir.path() + "/m";
  env.registry = "localhost:5000";
  auto s = Store::open(env);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(fs::is_directory(dir.path() + "/m/blobs"));
  EXPECT_TRUE(fs::is_directory(dir.path() + "/m/manifests"));
  EXPECT_EQ(s->parse_name("x")->host(), "localhost:5000");
  env.registry = "../evil";
  EXPECT_EQ(Store::open(env).status().code(), StatusCode::kInvalidArgument);
  env.registry = "ok";
  env.models_dir = "";
  EXPECT_EQ(Store::open(env).status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreTest, WriteManifestNeedsItsBlobs) {
  testing::TempDir dir;
  auto s = Store::open(dir.path());
  Manifest m = make_model(*s, "w", "t");
  m.layers.push_back({std::string(media_type::kSystem), Sha256::of("never added"), 11, ""});
  Status st = s->write_manifest(*s->parse_name("m"), m);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_FALSE(s->has_model(*s->parse_name("m")));
  m.layers.pop_back();
  m.layers[0].size += 1;  // wrong size
  EXPECT_EQ(s->write_manifest(*s->parse_name("m"), m).code(), StatusCode::kInvalidArgument);
}

TEST(StoreTest, NamesAreCaseInsensitive) {
  testing::TempDir dir;
  auto s = Store::open(dir.path());
  ASSERT_TRUE(s->write_manifest(*s->parse_name("Me/Model:Tag"), make_model(*s, "a", "t")).ok());
  EXPECT_TRUE(s->has_model(*s->parse_name("me/model:tag")));
  EXPECT_TRUE(s->read_manifest(*s->parse_name("ME/MODEL:TAG")).ok());
  // Writing another case of the same name replaces the model instead of adding a second one.
  ASSERT_TRUE(s->write_manifest(*s->parse_name("me/model:tag"), make_model(*s, "b", "t")).ok());
  auto list = s->list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name.display(), "Me/Model:Tag");
  auto layers = s->layers(*s->parse_name("me/MODEL:tag"), media_type::kModel);
  EXPECT_EQ((*layers)[0].digest, Sha256::of("b"));
}

TEST(StoreTest, ListCopyRemovePrune) {
  testing::TempDir dir;
  auto s = Store::open(dir.path());
  auto a = *s->parse_name("alpha");
  auto b = *s->parse_name("me/beta:1");
  Manifest ma = make_model(*s, "alpha weights", "shared template");
  Manifest mb = make_model(*s, "beta weights", "shared template");
  ASSERT_TRUE(s->write_manifest(a, ma).ok());
  ASSERT_TRUE(s->write_manifest(b, mb).ok());
  // config (same content for both), 2 weights, 1 shared template
  EXPECT_EQ(blob_count(*s), 4u);

  auto list = s->list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name.display(), "alpha");
  EXPECT_EQ((*list)[0].size, ma.total_size());
  EXPECT_EQ((*list)[0].manifest_digest, *s->manifest_digest(a));
  auto file_text = read_file(s->manifest_file(a));
  EXPECT_EQ((*list)[0].manifest_digest, Sha256::of(*file_text));
  EXPECT_GT((*list)[0].modified.time_since_epoch().count(), 0);
  EXPECT_EQ((*list)[1].name.display(), "me/beta:1");

  // cp shares blobs.
  auto c = *s->parse_name("alpha-copy:x");
  ASSERT_TRUE(s->copy(a, c).ok());
  EXPECT_EQ(blob_count(*s), 4u);
  EXPECT_EQ(*s->manifest_digest(c), *s->manifest_digest(a));
  EXPECT_EQ(s->copy(*s->parse_name("nope"), c).code(), StatusCode::kNotFound);

  // rm alpha: its weights are still used by the copy.
  ASSERT_TRUE(s->remove(a).ok());
  EXPECT_FALSE(s->has_model(a));
  EXPECT_EQ(blob_count(*s), 4u);
  EXPECT_FALSE(fs::exists(dir.path() + "/manifests/registry.ollama.ai/library/alpha"));
  // rm the copy: alpha's weights go, the shared template and config stay.
  ASSERT_TRUE(s->remove(c).ok());
  EXPECT_EQ(blob_count(*s), 3u);
  EXPECT_FALSE(s->blobs().exists(Sha256::of("alpha weights")));
  EXPECT_TRUE(s->blobs().exists(Sha256::of("shared template")));
  EXPECT_EQ(s->remove(a).code(), StatusCode::kNotFound);
  // rm the last model: everything goes.
  ASSERT_TRUE(s->remove(b).ok());
  EXPECT_EQ(blob_count(*s), 0u);
  EXPECT_TRUE(s->list()->empty());
}

TEST(StoreTest, PruneRemovesOrphansAndTempFilesButRespectsAge) {
  testing::TempDir dir;
  auto s = Store::open(dir.path());
  ASSERT_TRUE(s->write_manifest(*s->parse_name("m"), make_model(*s, "w", "t")).ok());
  auto orphan = s->blobs().add_bytes("orphan from a crashed create");
  ASSERT_TRUE(write_file_atomic(s->blobs().dir() + "/tmp-1-2", std::string_view("junk")).ok());
  PruneOptions young;
  young.min_age = std::chrono::hours(1);
  auto none = s->prune(young);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->blobs_removed, 0u);
  EXPECT_EQ(none->temp_files_removed, 0u);
  auto stats = s->prune();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->blobs_removed, 1u);
  EXPECT_EQ(stats->bytes_removed, orphan->size);
  EXPECT_EQ(stats->temp_files_removed, 1u);
  EXPECT_FALSE(s->blobs().exists(orphan->digest));
  EXPECT_EQ(blob_count(*s), 3u);
}

TEST(StoreTest, CorruptManifestStopsPruneAndIsSkippedByList) {
  testing::TempDir dir;
  auto s = Store::open(dir.path());
  ASSERT_TRUE(s->write_manifest(*s->parse_name("good"), make_model(*s, "w", "t")).ok());
  std::string bad_dir = dir.path() + "/manifests/registry.ollama.ai/library/bad";
  fs::create_directories(bad_dir);
  ASSERT_TRUE(write_file_atomic(bad_dir + "/latest", std::string_view("{broken")).ok());
  fs::create_directories(dir.path() + "/manifests/registry.ollama.ai/library/..bad");
  ASSERT_TRUE(write_file_atomic(dir.path() + "/manifests/registry.ollama.ai/library/..bad/latest",
                                std::string_view("{}")).ok());
  auto orphan = s->blobs().add_bytes("orphan");
  std::vector<std::string> problems;
  auto list = s->list(&problems);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(problems.size(), 2u);
  auto pr = s->prune();
  EXPECT_EQ(pr.status().code(), StatusCode::kCorrupt);
  EXPECT_TRUE(s->blobs().exists(orphan->digest));  // nothing deleted
  EXPECT_EQ(s->read_manifest(*s->parse_name("bad")).status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace corral::store
