// A minimal read-only ZIP (and ZIP64) directory reader over bytes the caller keeps alive, made
// for zero-copy access to the stored (uncompressed) entries that torch.save writes. libzip has
// no API that gives an entry's data offset, hence this reader; tests check it against libzip.
// Every offset read from the archive is bounds-checked. Depends on util only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace corral {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;        // 0 = stored, 8 = deflate, ...
  uint16_t flags = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;          // uncompressed
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // Reads the central directory. Errors are kCorrupt (or kUnsupported for multi-disk archives).
  static Result<ZipReader> parse(std::span<const std::byte> bytes);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;
  // The bytes of a stored, unencrypted entry, as a view into the archive. kUnsupported for a
  // compressed or encrypted entry, kCorrupt when its local header or data lies outside the file.
  Result<std::span<const std::byte>> stored_data(const ZipEntry& entry) const;

 private:
  std::span<const std::byte> bytes_;
  std::vector<ZipEntry> entries_;  // sorted by name
};

}  // namespace corral
