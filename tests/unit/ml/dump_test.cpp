// .npy dumps checked with numpy itself (the repo venv's Python).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "ml/dump.h"
#include "ml/ops.h"
#include "util/half.h"

namespace corral {
namespace {

int run_python(const std::string& code) {
  const std::string cmd = std::string(CORRAL_PYTHON) + " -c \"" + code + "\"";
  return std::system(cmd.c_str());
}

TEST(Dump, NpyLoadsInNumpyWithTorchOrder) {
  const std::string dir = ::testing::TempDir() + "corral_dump_test";
  std::filesystem::create_directories(dir);
  Context ctx;
  std::vector<float> data(24);
  for (int i = 0; i < 24; ++i) data[static_cast<size_t>(i)] = static_cast<float>(i) * 0.5f;
  Tensor x = ctx.external(DType::kF32, {2, 3, 4}, data.data(), "x");
  Tensor xt = permute(ctx, x, {2, 0, 1});  // a strided view: gathered in torch order
  std::vector<uint16_t> half(6);
  for (int i = 0; i < 6; ++i) half[static_cast<size_t>(i)] = f32_to_fp16(static_cast<float>(i) - 2.5f);
  Tensor h = ctx.external(DType::kF16, {6}, half.data(), "h");
  ASSERT_TRUE(write_npy(dir + "/x.npy", x).ok());
  ASSERT_TRUE(write_npy(dir + "/xt.npy", xt).ok());
  ASSERT_TRUE(write_npy(dir + "/h.npy", h).ok());
  const std::string code =
      "import numpy as np; d='" + dir + "'; x=np.load(d+'/x.npy'); xt=np.load(d+'/xt.npy'); h=np.load(d+'/h.npy'); "
      "e=(np.arange(24,dtype=np.float32)*0.5).reshape(2,3,4); "
      "assert x.dtype==np.float32 and x.shape==(2,3,4) and (x==e).all(); "
      "assert xt.shape==(4,2,3) and (xt==e.transpose(2,0,1)).all(); "
      "assert h.dtype==np.float16 and (h==np.arange(6,dtype=np.float16)-2.5).all()";
  EXPECT_EQ(run_python(code), 0);
}

TEST(Dump, BadFilterIsAnError) {
  auto d = make_npy_dumper("/tmp", "([", nullptr);
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corral
