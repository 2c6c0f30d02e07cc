// RegistryClient: `pull` and `push` of store models against any OCI distribution registry
// (Docker Registry HTTP API v2). Pull: manifest, then each missing blob with parallel ranged
// downloads into resumable partial files in the blob folder (named from the validated digest),
// digest-verified on entry into the store, manifest written last. Push: HEAD each blob, upload
// the missing ones (cross-repository mount, chunked PATCH, PUT ?digest=), then the manifest.
// Progress events have Ollama's /api/pull and /api/push shapes. Depends on util and store.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "registry/auth.h"
#include "store/store.h"
#include "util/status.h"

namespace corral::registry {

struct RegistryOptions {
  bool insecure = false;                   // plain http:// (and only then)
  std::optional<Credentials> credentials;  // Basic, or for the bearer-token endpoint
  int parallel = 4;                        // ranged downloads per blob
  uint64_t part_bytes = uint64_t(16) << 20;   // the smallest part of a parallel download
  uint64_t chunk_bytes = uint64_t(16) << 20;  // PATCH size of an upload
  const std::atomic<bool>* cancel = nullptr;
};

// One progress event, as Ollama streams them: {"status"} alone, or with digest/total/completed.
struct Progress {
  std::string status;
  std::string digest;  // empty for status-only events
  uint64_t total = 0;
  uint64_t completed = 0;
  uint64_t resumed = 0;  // bytes of this blob found from an earlier interrupted pull (CLI only)
  bool done = false;     // the last event of this blob
};
using ProgressFn = std::function<void(const Progress&)>;

struct TransferStats {
  size_t blobs_transferred = 0;  // downloaded or uploaded
  uint64_t bytes_transferred = 0;
  size_t blobs_present = 0;  // already in the store (pull) or the registry (push)
  uint64_t bytes_resumed = 0;  // pull: bytes kept from partial downloads
  size_t blobs_mounted = 0;    // push: cross-repository mounts
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions options) : options_(std::move(options)) {}

  Result<TransferStats> pull(store::Store& store, const store::ModelName& name, const ProgressFn& progress) const;
  Result<TransferStats> push(store::Store& store, const store::ModelName& name, const ProgressFn& progress) const;

 private:
  RegistryOptions options_;
};

// Ollama's short blob label: the first 12 hex digits ("pulling 6a0746a1ec1a").
std::string short_digest(const store::Digest& d);

}  // namespace corral::registry
