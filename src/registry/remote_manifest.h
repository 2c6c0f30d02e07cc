// Checks on what a registry sends before any of it is trusted: the manifest (size bound, media
// type, every digest through store::Digest::parse, sane sizes, consistent duplicates,
// Docker-Content-Digest) and a blob download's Content-Range / Content-Length against the size
// the manifest promised. Pure functions, no network. Depends only on util and store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/digest.h"
#include "store/manifest.h"
#include "util/status.h"

namespace corral::registry {

inline constexpr size_t kMaxManifestBytes = size_t(4) << 20;
inline constexpr size_t kMaxLayers = 1024;
inline constexpr uint64_t kMaxBlobBytes = uint64_t(1) << 42;  // 4 TiB

// A manifest as received: its bytes, parsed form and digest.
struct RemoteManifest {
  std::string raw;
  store::Manifest manifest;
  store::Digest digest;
  // config and layers without repeats, in manifest order.
  std::vector<store::Layer> blobs() const;
};

// Validates a manifest body. `content_type` is the reply's Content-Type (may be empty),
// `docker_digest` its Docker-Content-Digest header (may be empty). corrupt naming the problem.
Result<RemoteManifest> validate_remote_manifest(std::string raw, std::string_view content_type,
                                                std::string_view docker_digest);

// A parsed "bytes FIRST-LAST/TOTAL" (TOTAL may be "*", then total_known is false).
struct ContentRange {
  uint64_t first = 0, last = 0, total = 0;
  bool total_known = false;
};
Result<ContentRange> parse_content_range(std::string_view header);

// Checks a blob reply before its body is written: `status` 200 or 206, `content_range` and
// `content_length` headers (may be empty) against the requested range [offset, offset+length)
// of a blob of `blob_size` bytes. corrupt/unavailable naming `digest` and the sizes.
Status check_blob_reply(const store::Digest& digest, uint64_t blob_size, uint64_t offset, uint64_t length, long status,
                        std::string_view content_range, std::string_view content_length);

}  // namespace corral::registry
