// WeightLoader: the WeightVisitor that binds each declared weight to a GGUF tensor, zero-copy
// (a leaf in a long-lived Context pointing into the file's mapping). It checks each one — a
// missing required tensor (kNotFound), a shape or dtype the model does not expect (kCorrupt) —
// and finish() fails when the file holds a tensor no module claimed (kCorrupt), as a guard
// against silently ignored weights. Messages name the tensor, expected and actual shapes.
// Depends on formats/gguf.h, ml/, nn/weight_scope.h and util/.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "formats/gguf.h"
#include "ml/context.h"
#include "nn/weight_scope.h"

namespace corral {

class WeightLoader final : public nn::WeightVisitor {
 public:
  // file and arena must outlive the bound tensors.
  WeightLoader(const GgufFile& file, Context& arena) : file_(file), arena_(arena) {}

  void visit(const nn::WeightDecl& decl) override;
  // The first error (with a count of further ones), or unclaimed tensors; ok when all is well.
  Status finish() const;

  size_t bound_count() const { return claimed_.size(); }
  uint64_t bound_bytes() const { return bound_bytes_; }

 private:
  void fail(Status s);

  const GgufFile& file_;
  Context& arena_;
  std::unordered_set<std::string> claimed_;
  std::vector<Status> errors_;
  uint64_t bound_bytes_ = 0;
};

}  // namespace corral
