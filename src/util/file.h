// Files: read-only memory mappings (RAII), whole-file reads and atomic writes
// (temporary file in the same folder, fsync, rename). Nothing here knows any format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace corral {

// A read-only, private mapping of a whole file. Move-only. Thread-compatible: the bytes
// never change while the mapping lives. An empty file maps to an empty span.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // How open() brings the bytes in. kMap maps the file itself (pages shared with the page
  // cache, read on first touch). kCopy reads it once into a private anonymous mapping (2 MiB
  // aligned, huge pages advised; made read-only after the read): what a loaded model streams
  // at every decode step comes from freshly allocated memory, not from page-cache pages of any
  // age (on the reference VM decode read a day-old cached file about 10% slower than a fresh
  // copy). Both cost the file's size in resident memory once touched.
  enum class Load { kMap, kCopy };
  static Result<MappedFile> open(const std::string& path, Load load = Load::kMap);

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  // kCopy only: lifts (true) or restores (false) the read-only protection of the copy, so the
  // loader can rearrange weights in place before anything reads them. kUnsupported for a mapping
  // of the file itself.
  Status set_writable(bool writable);
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  bool copy_ = false;
};

Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Writes all n bytes to the descriptor, retrying short and interrupted writes; errors name `path`.
Status write_all(int fd, const void* data, size_t n, const std::string& path);

// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
// folder. On failure nothing at `path` changes and the temporary file is removed.
Status write_file_atomic(const std::string& path, std::span<const std::byte> data);
Status write_file_atomic(const std::string& path, std::string_view data);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);

}  // namespace corral
