#include "models/evaluate.h"

#include "ml/dump.h"

namespace corral {

Result<Logits> evaluate(const Model& model, Backend& backend, GraphAllocator& allocator, const Batch& batch,
                        KvCache& cache) {
  Context ctx;
  CORRAL_ASSIGN_OR_RETURN(Tensor logits, model.forward(ctx, batch, cache));
  Graph g = ctx.build({logits});
  CORRAL_TRY(allocator.allocate(g));
  CORRAL_TRY(backend.compute(g));
  Logits out;
  out.n_rows = logits.dim(0);
  out.n_vocab = logits.dim(1);
  out.values = read_f32(logits);
  return out;
}

}  // namespace corral
