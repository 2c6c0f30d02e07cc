// WeightScope / WeightVisitor: one declaration of a module's weights drives loading (bind and
// shape-check against a file), listing and sizing. A module declares each tensor once, with its
// GGUF name, expected shape (outermost-first) and whether it is required; the visitor decides
// what to do with it. Depends on ml/ (Shape, Tensor) and util/ only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ml/tensor.h"

namespace corral::nn {

enum class WeightNeed : uint8_t {
  kRequired,  // missing => load error
  kOptional,  // missing => the slot stays an invalid Tensor
};

// Which dtypes a weight may have: any the kernels accept (matmul/get_rows weights), or F32 only
// (norm weights, biases and factors used by element-wise ops).
enum class WeightDTypes : uint8_t { kAny, kF32Only };

struct WeightDecl {
  std::string name;  // full GGUF name: "blk.3.attn_q.weight"
  Shape shape;       // expected, outermost-first
  WeightNeed need = WeightNeed::kRequired;
  WeightDTypes dtypes = WeightDTypes::kAny;
  Tensor* slot = nullptr;  // where a loader binds the tensor
};

class WeightVisitor {
 public:
  virtual ~WeightVisitor() = default;
  // Called once per declared weight. Errors are recorded by the visitor (see WeightLoader).
  virtual void visit(const WeightDecl& decl) = 0;
};

// A name prefix plus a visitor: scope.sub("blk").sub(3).sub("attn_q").tensor("weight", ...)
// declares "blk.3.attn_q.weight". Cheap to copy.
class WeightScope {
 public:
  explicit WeightScope(WeightVisitor& visitor, std::string prefix = {})
      : visitor_(&visitor), prefix_(std::move(prefix)) {}

  WeightScope sub(std::string_view part) const;
  WeightScope sub(int index) const;
  // The full name of `leaf` in this scope.
  std::string path(std::string_view leaf) const;

  void tensor(std::string_view leaf, const Shape& shape, Tensor* slot,
              WeightDTypes dtypes = WeightDTypes::kAny) const;
  void optional(std::string_view leaf, const Shape& shape, Tensor* slot,
                WeightDTypes dtypes = WeightDTypes::kAny) const;
  void declare(WeightDecl decl) const { visitor_->visit(decl); }

 private:
  WeightVisitor* visitor_;
  std::string prefix_;
};

// Collects the declarations (for listings, sizing and tests); binds nothing.
class WeightLister final : public WeightVisitor {
 public:
  void visit(const WeightDecl& decl) override { decls_.push_back(decl); }
  const std::vector<WeightDecl>& decls() const { return decls_; }

 private:
  std::vector<WeightDecl> decls_;
};

}  // namespace corral::nn
