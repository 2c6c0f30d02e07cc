// Test helpers shared by the runner and batcher tests: loading a Runner on the tiny model of
// tiny_model.h, and a greedy generation request. Test-only; header-only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "runner/runner.h"
#include "tiny_model.h"

namespace corral::testing {

// Loads the tiny model with `options`; a failure is a test failure and gives nullptr.
inline std::unique_ptr<Runner> load_tiny_runner(const RunnerOptions& options, BackendRegistry& backends) {
  Result<std::unique_ptr<Runner>> r = Runner::load(tiny_model_path(), options, backends);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

// Greedy decoding of `prompt` for n tokens, without a repeat penalty.
inline GenerateRequest greedy_request(std::vector<int32_t> prompt, int n) {
  GenerateRequest g;
  g.prompt = std::move(prompt);
  g.sampling.temperature = 0.0f;
  g.sampling.repeat_penalty = 1.0f;
  g.num_predict = n;
  return g;
}

}  // namespace corral::testing
