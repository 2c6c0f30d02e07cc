// Shared fixtures of the model tests: a CPU backend, a loaded golden model and its prompts.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "backends/cpu/cpu_backend.h"
#include "formats/gguf.h"
#include "models/evaluate.h"
#include "models/loader.h"
#include "models/npy.h"

namespace corral::testing {

inline std::string golden_dir(const std::string& name) {
  return std::string(CORRAL_REPO_DIR) + "/tests/golden/models/" + name;
}

inline std::unique_ptr<Backend> make_cpu_backend() {
  BackendOptions o;
  o.num_threads = 2;
  auto b = cpu::CpuBackend::create(o);
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return std::move(b).value();
}

inline NpyArray load_npy(const std::string& path) {
  NpyArray a;
  EXPECT_TRUE(read_npy(path, &a)) << path;
  return a;
}

inline int argmax(std::span<const float> v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Compares logits rows [0, got.n_rows) with golden rows [first, first + n_rows).
inline void expect_logits_match(const Logits& got, const NpyArray& want, int64_t first, double tol,
                                const std::string& what) {
  ASSERT_EQ(want.shape.size(), 2u);
  ASSERT_EQ(got.n_vocab, want.shape[1]) << what;
  ASSERT_LE(first + got.n_rows, want.shape[0]) << what;
  const std::vector<float> w = want.f32();
  double max_diff = 0;
  int bad_argmax = 0;
  for (int64_t r = 0; r < got.n_rows; ++r) {
    const auto row = got.row(r);
    std::span<const float> ref(w.data() + (first + r) * got.n_vocab, static_cast<size_t>(got.n_vocab));
    for (int64_t j = 0; j < got.n_vocab; ++j) {
      const double d = std::fabs(static_cast<double>(row[static_cast<size_t>(j)]) - ref[static_cast<size_t>(j)]);
      max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
    }
    if (argmax(row) != argmax(ref)) ++bad_argmax;
  }
  EXPECT_LE(max_diff, tol) << what << ": max |diff| over " << got.n_rows << " rows";
  EXPECT_EQ(bad_argmax, 0) << what << ": positions whose argmax differs from transformers";
  ::testing::Test::RecordProperty(what + "_max_abs_diff", std::to_string(max_diff));
  std::printf("[ %s ] max |diff| = %.3g over %lld rows\n", what.c_str(), max_diff, static_cast<long long>(got.n_rows));
}

}  // namespace corral::testing
