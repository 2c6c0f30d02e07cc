#include "formats/tensor_listing.h"

namespace corral {

uint64_t CheckpointListing::parameters() const {
  uint64_t n = 0;
  for (const auto& t : tensors) {
    uint64_t e = 1;
    for (int64_t d : t.shape) e *= static_cast<uint64_t>(d);
    n += e;
  }
  return n;
}

uint64_t CheckpointListing::bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors) n += t.bytes;
  return n;
}

Result<CheckpointListing> list_checkpoint_tensors(const std::string& path) {
  return unsupported("%s: no checkpoint reader is built yet", path.c_str());
}

}  // namespace corral
