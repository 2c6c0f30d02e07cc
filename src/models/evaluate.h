// evaluate(): one forward pass end to end — build the model's graph for a batch, plan its memory,
// compute it on a backend and copy the logits out. The simplest way to drive a Model (tests,
// tools, a first runner); a batching runner does the same steps with its own buffers.
// Depends on ml/ (allocator, backend), models/model.h.
#pragma once

#include <span>
#include <vector>

#include "ml/allocator.h"
#include "ml/backend.h"
#include "models/model.h"

namespace corral {

struct Logits {
  int64_t n_rows = 0;   // batch.output_rows().size() (1 when none was marked)
  int64_t n_vocab = 0;
  std::vector<float> values;  // [n_rows, n_vocab], row-major

  std::span<const float> row(int64_t i) const {
    return std::span<const float>(values).subspan(static_cast<size_t>(i * n_vocab), static_cast<size_t>(n_vocab));
  }
};

// Runs model.forward on `batch` (placing it in `cache`) and computes it with `backend`, whose
// observer (if any) sees every named node. The allocator may be reused across calls (plans of
// same-shaped graphs are reused).
Result<Logits> evaluate(const Model& model, Backend& backend, GraphAllocator& allocator, const Batch& batch,
                        KvCache& cache);

}  // namespace corral
