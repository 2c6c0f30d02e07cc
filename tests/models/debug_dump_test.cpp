// DebugDumper: one folder per forward pass, the filter regex over "name" / "name.layer", the
// graph-order list, and a bad filter as an error.
#include <filesystem>
#include <fstream>

#include "models/debug_dump.h"
#include "models/model_test_util.h"

namespace corral::testing {
namespace {

std::vector<std::string> lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

TEST(DebugDump, WritesFilteredTensorsPerStepInGraphOrder) {
  const std::string dir = ::testing::TempDir() + "corral_debug_dump";
  std::filesystem::remove_all(dir);
  auto dumper = DebugDumper::create({.dir = dir, .filter = "^(l_out|result_norm)"});
  ASSERT_TRUE(dumper.ok());
  auto model = open_model(golden_dir("qwen2") + "/model.gguf");
  ASSERT_TRUE(model.ok());
  auto kv = make_kv_cache((*model)->cache_spec(), 32);
  auto backend = make_cpu_backend();
  GraphAllocator alloc;
  for (int step = 0; step < 2; ++step) {
    auto obs = (*dumper)->next_step();
    ASSERT_TRUE(obs.ok());
    backend->set_observer(*obs);
    Batch b;
    b.add_sequence(std::vector<int32_t>{5 + step, 7, 9}, step * 3, 0, true);
    ASSERT_TRUE(evaluate(**model, *backend, alloc, b, *kv).ok());
  }
  EXPECT_TRUE((*dumper)->status().ok());
  for (const char* step : {"0000", "0001"}) {
    EXPECT_EQ(lines(dir + "/" + step + "/order.txt"), (std::vector<std::string>{"l_out.0", "l_out.1", "result_norm"}));
    NpyArray a;
    ASSERT_TRUE(read_npy(dir + "/" + step + "/l_out.1.npy", &a));
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 64}));
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/0000/attn_norm.0.npy"));
  EXPECT_EQ(DebugDumper::create({.dir = dir, .filter = "(["}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corral::testing
