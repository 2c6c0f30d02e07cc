// A restricted unpickler for PyTorch checkpoints (data.pkl inside torch.save's zip). It reads
// the binary opcodes of pickle protocols 2..5 that state dicts use, and builds a tree of plain
// values. It executes nothing: the only globals it accepts are collections.OrderedDict, torch's
// tensor/parameter rebuild functions, torch storage types and torch dtypes; any other global
// or opcode is refused with its name and byte offset. Stack, marks, memo and node count are
// bounded. Depends on util and formats/hf_tensor only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/hf_tensor.h"
#include "util/status.h"

namespace corral {

enum class PickleKind : uint8_t {
  kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict,
  kGlobal,   // an allowed global that was not called (storage type, dtype, function)
  kStorage,  // a persistent id ('storage', type, key, location, numel)
  kTensor,   // the result of torch._utils._rebuild_tensor[_v2] (or a parameter wrapping one)
};

// One value. Nodes live in the PickleTree's arena and refer to each other by index, so shared
// and even cyclic references (legal in pickle) own nothing and need no recursion to free.
struct PickleNode {
  PickleKind kind = PickleKind::kNone;
  int64_t int_value = 0;           // kInt, kBool (0/1), kTensor: storage offset (elements)
  double float_value = 0;          // kFloat
  std::string text;                // kString, kBytes; kGlobal: "module.name"; kStorage: key
  std::vector<uint32_t> items;     // kTuple/kList: elements; kDict: key, value, key, value...;
                                   // kTensor: {storage node}
  HfDType dtype = HfDType::kU8;    // kStorage, kTensor, kGlobal of a storage type or dtype
  uint64_t numel = 0;              // kStorage: elements in the storage
  std::vector<int64_t> shape;      // kTensor
  std::vector<int64_t> stride;     // kTensor
  uint8_t global_kind = 0;         // kGlobal: which allowed global (internal)
};

struct UnpickleLimits {
  size_t max_stack = 1 << 16;
  size_t max_marks = 1 << 12;
  size_t max_memo = 1 << 20;
  size_t max_nodes = 1 << 21;
  // Bytes copied out of values that the memo lets a pickle reuse (dict items, tensor shapes,
  // storage keys): bounds the work and memory a small pickle can make the reader do.
  size_t max_copy_bytes = size_t(1) << 26;
};

class PickleTree {
 public:
  uint32_t root() const { return root_; }
  const PickleNode& node(uint32_t id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<PickleNode> nodes_;
  uint32_t root_ = 0;
  friend class Unpickler;
};

// Runs the restricted unpickler over `bytes` up to its STOP opcode. Errors are kCorrupt
// (truncated or inconsistent data), kUnsupported (opcode outside the supported subset) or
// kInvalidArgument (a global outside the allow-list), naming the opcode or global and the offset.
Result<PickleTree> unpickle_restricted(std::span<const std::byte> bytes,
                                       const UnpickleLimits& limits = {});

}  // namespace corral
