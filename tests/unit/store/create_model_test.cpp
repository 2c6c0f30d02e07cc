// store::create_model (the library behind `corral create` and POST /api/create): FROM an HF
// folder (converted, template detected from its chat template), FROM a stored model (layers
// inherited, overridden ones replaced), progress lines, and a failed create leaving the store
// exactly as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "store/create.h"
#include "test_dir.h"

namespace corral::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

const std::string kFixture = std::string(CORRAL_REPO_DIR) + "/tests/golden/convert/llama_bpe";

std::set<std::string> files_under(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

Modelfile from_text(const Store& st, const std::string& text) {
  ModelfileOptions o;
  o.defaults = st.defaults();
  auto mf = parse_modelfile(text, o);
  EXPECT_TRUE(mf.ok()) << mf.status().to_string();
  return mf.ok() ? *mf : Modelfile{};
}

TEST(CreateModelTest, FromHfFolderThenInherit) {
  TempDir dir;
  auto st = Store::open(dir.path() + "/models");
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  std::vector<std::string> progress;
  CreateOptions opts;
  opts.threads = 2;
  auto base_name = st->parse_name("base");
  ASSERT_TRUE(base_name.ok());
  auto m = create_model(*st, *base_name, from_text(*st, "FROM " + kFixture + "\n"), opts,
                        [&](std::string_view s) { progress.emplace_back(s); });
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front(), "gathering model components");
  EXPECT_EQ(progress.back(), "success");
  // The model layer is a GGUF converted from the folder; llama3's template was detected from
  // the checkpoint's chat template, with its stop strings as parameters.
  auto model = m->layers_of(media_type::kModel);
  ASSERT_EQ(model.size(), 1u);
  auto gguf = GgufFile::open(st->blobs().path(model[0]->digest));
  ASSERT_TRUE(gguf.ok()) << gguf.status().to_string();
  EXPECT_EQ(gguf->architecture(), "llama");
  EXPECT_EQ(m->layers_of(media_type::kTemplate).size(), 1u);
  auto params = st->read_text_layer(*base_name, media_type::kParams);
  ASSERT_TRUE(params.ok());
  EXPECT_NE(params->find("<|eot_id|>"), std::string::npos) << *params;

  auto child_name = st->parse_name("child");
  ASSERT_TRUE(child_name.ok());
  auto child = create_model(*st, *child_name, from_text(*st, "FROM base\nSYSTEM be brief\n"), opts);
  ASSERT_TRUE(child.ok()) << child.status().to_string();
  EXPECT_EQ(child->layers_of(media_type::kModel)[0]->digest, model[0]->digest);
  EXPECT_EQ(child->layers_of(media_type::kTemplate)[0]->digest, m->layers_of(media_type::kTemplate)[0]->digest);
  auto system = st->read_text_layer(*child_name, media_type::kSystem);
  ASSERT_TRUE(system.ok());
  EXPECT_EQ(*system, "be brief");
}

TEST(CreateModelTest, FailuresLeaveTheStoreUnchanged) {
  TempDir dir;
  auto st = Store::open(dir.path() + "/models");
  ASSERT_TRUE(st.ok());
  auto name = st->parse_name("m");
  ASSERT_TRUE(name.ok());
  const auto before = files_under(dir.path());
  auto r = create_model(*st, *name, from_text(*st, "FROM nosuchmodel\n"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nosuchmodel"), std::string::npos);
  // ADAPTER is refused before anything is added.
  auto a = create_model(*st, *name, from_text(*st, "FROM " + kFixture + "\nADAPTER /x.gguf\n"), {});
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnsupported);
  // A checkpoint folder without a tokenizer fails in conversion: nothing is left behind.
  auto b = create_model(*st, *name,
                        from_text(*st, "FROM " + std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf/safetensors\n"),
                        {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(files_under(dir.path()), before);
  EXPECT_FALSE(st->has_model(*name));
}

}  // namespace
}  // namespace corral::store
