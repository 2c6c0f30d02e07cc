// CpuBackend: runs graphs on the host. Each op becomes work items (rows, tokens, tiles) split
// across a persistent ThreadPool; kernels come from a per-ISA KernelTable chosen once at
// construction (best ISA of this CPU, or the CORRAL_CPU_ISA override), and mul_mat goes through
// the matmul seam (gemm.h). Thread-compatible: one compute() at a time per instance.
// Depends on ml/ and util/ only.
#pragma once

#include <memory>
#include <vector>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/kernel_abi.h"
#include "ml/backend.h"
#include "ml/backend_registry.h"
#include "ml/buffer.h"
#include "util/thread_pool.h"

namespace corral::cpu {

class CpuBackend final : public Backend {
 public:
  // Uses options.pool when given (not owned), else owns a pool of options.num_threads threads.
  // options.cpu_isa "" picks the best ISA; an unknown or unsupported name is kInvalidArgument.
  static Result<std::unique_ptr<CpuBackend>> create(const BackendOptions& options);

  std::string_view name() const override { return "cpu"; }
  bool supports(const TensorNode& node) const override;
  Status compute(Graph& g) override;
  // Where this ISA has the Q4_0x8 decode kernel (q4_0x8_direct): every 2-D Q4_0 weight whose rows
  // come in groups of 8 takes the Q4_0x8 layout (repack.h), read by mul_mat (as its weights) and
  // get_rows (as its table) only. options.repack_weights false (CORRAL_CPU_REPACK=0) keeps every
  // weight as it is.
  Status prepare_weights(Context& weights) override;

  Isa isa() const { return isa_; }
  int n_threads() const { return pool_->size(); }

 private:
  CpuBackend(Isa isa, ThreadPool* pool, std::unique_ptr<ThreadPool> owned);
  Status run_node(TensorNode& n);
  Status run_mul_mat(const TensorNode& n);
  Status run_get_rows_q4_0x8(const TensorNode& n);

  Isa isa_;
  bool repack_ = true;
  std::unique_ptr<ThreadPool> owned_pool_;
  ThreadPool* pool_;
  KernelTable table_{};
  std::vector<float> scratch_;  // per-thread kernel scratch
  Buffer work_;                 // packed activations of mul_mat
};

// Adds the "cpu" backend factory.
Status register_cpu_backend(BackendRegistry& registry);

}  // namespace corral::cpu
