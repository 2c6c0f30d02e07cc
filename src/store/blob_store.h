// BlobStore: content-addressed files blobs/sha256-<hex> under a models folder (Ollama's
// layout). Adding streams into a temporary file in the same folder while hashing, fsyncs,
// checks an expected digest and renames it into place, so a crash at any point leaves either
// no blob or a complete one; temporary files ("tmp-*", "*-partial*") are never mistaken for
// blobs and are cleaned by remove_temp_files(). Depends only on util and store/digest.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/digest.h"
#include "util/file.h"
#include "util/status.h"

namespace corral::store {

struct BlobInfo {
  Digest digest;
  uint64_t size = 0;
};

// Reads up to buf.size() bytes into buf; returns 0 at the end.
using ByteSource = std::function<Result<size_t>(std::span<std::byte> buf)>;

class BlobStore {
 public:
  explicit BlobStore(std::string dir) : dir_(std::move(dir)) {}

  // Creates the folder (and its parents) if needed.
  Status init() const;
  const std::string& dir() const { return dir_; }

  // Adds content. With `expected`, a different digest is invalid_argument ("digest mismatch")
  // and the store is left unchanged. Adding content already present is cheap and succeeds.
  Result<BlobInfo> add(const ByteSource& source, const std::optional<Digest>& expected = std::nullopt);
  Result<BlobInfo> add_bytes(std::string_view data, const std::optional<Digest>& expected = std::nullopt);
  Result<BlobInfo> add_file(const std::string& path, const std::optional<Digest>& expected = std::nullopt);

  std::string path(const Digest& d) const { return dir_ + "/" + d.blob_name(); }
  bool exists(const Digest& d) const;
  // not_found if absent; corrupt if the file is not a regular file.
  Result<BlobInfo> stat(const Digest& d) const;
  Result<MappedFile> open(const Digest& d) const;
  Result<std::string> read(const Digest& d, size_t max_bytes) const;
  // Re-hashes the blob: corrupt if its content does not match its name.
  Status verify(const Digest& d) const;
  // Removes one blob (ok if absent).
  Status remove(const Digest& d) const;

  // Every valid blob (files whose name is a valid digest); other files are ignored.
  Result<std::vector<BlobInfo>> list() const;
  // Removes temporary files older than min_age; returns how many were removed.
  Result<size_t> remove_temp_files(std::chrono::seconds min_age) const;
  static bool is_temp_name(std::string_view name);

 private:
  std::string dir_;
};

}  // namespace corral::store
