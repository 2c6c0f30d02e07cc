#include "ml/buffer.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace corral {

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      owned_(std::exchange(other.owned_, false)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void Buffer::release() {
  if (owned_) std::free(data_);
  data_ = nullptr;
  size_ = 0;
  owned_ = false;
}

Result<Buffer> Buffer::allocate(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < bytes) return out_of_memory("buffer of %zu bytes: size overflows", bytes);
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) return out_of_memory("cannot allocate a host buffer of %zu bytes", bytes);
  Buffer b;
  b.data_ = static_cast<std::byte*>(p);
  b.size_ = bytes;
  b.owned_ = true;
  return b;
}

Buffer Buffer::wrap(void* data, size_t bytes) {
  Buffer b;
  b.data_ = static_cast<std::byte*>(data);
  b.size_ = bytes;
  b.owned_ = false;
  return b;
}

}  // namespace corral
