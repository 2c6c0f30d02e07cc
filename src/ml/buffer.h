// Buffer: a run of host bytes that tensors point into. Either an owned, aligned allocation
// (graph arenas, caches) or a non-owning wrap of memory someone else keeps alive (a mmapped
// GGUF: weights stay zero-copy). Move-only RAII. Depends on util/ only.
#pragma once

#include <cstddef>

#include "util/status.h"

namespace corral {

class Buffer {
 public:
  static constexpr size_t kAlignment = 64;

  Buffer() = default;
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Owned host memory, kAlignment-aligned, uninitialised. Fails with kOutOfMemory.
  static Result<Buffer> allocate(size_t bytes);
  // Non-owning: the caller keeps [data, data + bytes) alive longer than the Buffer and its tensors.
  static Buffer wrap(void* data, size_t bytes);

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  bool owned() const { return owned_; }

 private:
  void release();

  std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false;
};

}  // namespace corral
