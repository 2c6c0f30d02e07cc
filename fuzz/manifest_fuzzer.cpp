// libFuzzer target for what a registry sends before corral trusts it: manifests
// (registry::validate_remote_manifest), WWW-Authenticate challenges and Content-Range headers.
// Besides "no crash", it checks invariants: every digest of an accepted manifest is a valid
// digest whose blob name is a single safe path component, and parsed ranges are ordered.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "registry/auth.h"
#include "registry/remote_manifest.h"
#include "store/digest.h"

namespace {

void require(bool cond) {
  if (!cond) std::abort();
}

void check_blob_name(const corral::store::Digest& d) {
  require(corral::store::is_valid_digest(d.str()));
  const std::string name = d.blob_name();
  require(name.size() == 71 && name.find('/') == std::string::npos && name.find("..") == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto m = corral::registry::validate_remote_manifest(std::string(text), "", "");
  if (m.ok()) {
    check_blob_name(m->manifest.config.digest);
    require(!m->manifest.layers.empty());
    for (const auto& l : m->blobs()) {
      check_blob_name(l.digest);
      require(l.size <= corral::registry::kMaxBlobBytes);
    }
  }

  auto challenges = corral::registry::parse_www_authenticate(text);
  if (challenges.ok()) {
    require(!challenges->empty());
    for (const auto& c : *challenges) require(!c.scheme.empty());
  }

  auto range = corral::registry::parse_content_range(text);
  if (range.ok()) {
    require(range->first <= range->last);
    if (range->total_known) require(range->last < range->total);
  }
  return 0;
}
