// ReferenceBackend: plain scalar loops (double accumulation) for every op and dtype. It is the
// test oracle every real backend is compared against, written for obviousness, not speed, and
// never registered as a runtime backend. Depends on ml/ only.
#pragma once

#include "ml/backend.h"

namespace corral::reference {

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  bool supports(const TensorNode& node) const override;
  Status compute(Graph& g) override;
};

}  // namespace corral::reference
