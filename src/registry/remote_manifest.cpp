#include "registry/remote_manifest.h"

#include <charconv>
#include <map>

namespace corral::registry {
namespace {

constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view media_type_only(std::string_view ct) {
  size_t semi = ct.find(';');
  if (semi != std::string_view::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  return ct;
}

}  // namespace

std::vector<store::Layer> RemoteManifest::blobs() const {
  std::vector<store::Layer> out;
  auto add = [&](const store::Layer& l) {
    for (const auto& o : out) {
      if (o.digest == l.digest) return;
    }
    out.push_back(l);
  };
  add(manifest.config);
  for (const auto& l : manifest.layers) add(l);
  return out;
}

Result<RemoteManifest> validate_remote_manifest(std::string raw, std::string_view content_type,
                                                std::string_view docker_digest) {
  if (raw.size() > kMaxManifestBytes) {
    return corrupt("manifest: %zu bytes is larger than the %zu-byte limit", raw.size(), kMaxManifestBytes);
  }
  std::string_view ct = media_type_only(content_type);
  if (ct.find("manifest.list") != std::string_view::npos || ct.find("image.index") != std::string_view::npos) {
    return unsupported("manifest: the registry sent an image index (%.*s), not a model manifest", (int)ct.size(),
                       ct.data());
  }
  CORRAL_ASSIGN_OR_RETURN(store::Manifest m, store::parse_manifest(raw));
  if (m.media_type != store::media_type::kManifest && m.media_type != kOciManifest) {
    return corrupt("manifest: unsupported mediaType '%s' (expected %s)", m.media_type.c_str(),
                   std::string(store::media_type::kManifest).c_str());
  }
  if (m.layers.empty()) return corrupt("manifest: it lists no layers");
  if (m.layers.size() > kMaxLayers) return corrupt("manifest: %zu layers is more than %zu", m.layers.size(), kMaxLayers);
  std::map<std::string, uint64_t> sizes;
  auto check = [&](const store::Layer& l, const std::string& where) -> Status {
    if (l.size > kMaxBlobBytes) {
      return corrupt("manifest: %s (%s) claims %llu bytes, more than the %llu-byte limit", where.c_str(),
                     l.digest.str().c_str(), (unsigned long long)l.size, (unsigned long long)kMaxBlobBytes);
    }
    auto [it, inserted] = sizes.emplace(l.digest.str(), l.size);
    if (!inserted && it->second != l.size) {
      return corrupt("manifest: %s lists %s with two different sizes (%llu and %llu)", where.c_str(),
                     l.digest.str().c_str(), (unsigned long long)it->second, (unsigned long long)l.size);
    }
    return ok_status();
  };
  CORRAL_TRY(check(m.config, "config"));
  for (size_t i = 0; i < m.layers.size(); ++i) CORRAL_TRY(check(m.layers[i], "layers[" + std::to_string(i) + "]"));
  store::Digest digest = store::Sha256::of(raw);
  if (!docker_digest.empty()) {
    auto claimed = store::Digest::parse(docker_digest);
    if (!claimed.ok()) return corrupt("manifest: Docker-Content-Digest: %s", claimed.status().message().c_str());
    if (!(*claimed == digest)) {
      return corrupt("manifest: its content hashes to %s but the registry says %s", digest.str().c_str(),
                     claimed->str().c_str());
    }
  }
  return RemoteManifest{std::move(raw), std::move(m), digest};
}

Result<ContentRange> parse_content_range(std::string_view h) {
  auto bad = [&] { return corrupt("Content-Range '%.*s' is malformed", (int)std::min<size_t>(h.size(), 100), h.data()); };
  if (h.substr(0, 6) != "bytes ") return bad();
  h.remove_prefix(6);
  size_t dash = h.find('-');
  size_t slash = h.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return bad();
  ContentRange r;
  if (!parse_u64(h.substr(0, dash), &r.first) || !parse_u64(h.substr(dash + 1, slash - dash - 1), &r.last) ||
      r.last < r.first) {
    return bad();
  }
  std::string_view total = h.substr(slash + 1);
  if (total != "*") {
    if (!parse_u64(total, &r.total) || r.last >= r.total) return bad();
    r.total_known = true;
  }
  return r;
}

Status check_blob_reply(const store::Digest& digest, uint64_t blob_size, uint64_t offset, uint64_t length, long status,
                        std::string_view content_range, std::string_view content_length) {
  const char* d = digest.str().c_str();
  auto size_mismatch = [&](uint64_t got) {
    return corrupt("blob %s: the registry has %llu bytes but the manifest says %llu", d, (unsigned long long)got,
                   (unsigned long long)blob_size);
  };
  if (status == 200) {
    if (offset != 0 || length != blob_size) {
      return unavailable("blob %s: the registry ignored the byte range %llu-%llu", d, (unsigned long long)offset,
                         (unsigned long long)(offset + length - 1));
    }
    if (!content_length.empty()) {
      uint64_t n = 0;
      if (!parse_u64(content_length, &n)) return corrupt("blob %s: Content-Length is malformed", d);
      if (n != blob_size) return size_mismatch(n);
    }
    return ok_status();
  }
  if (status == 206) {
    if (content_range.empty()) return corrupt("blob %s: a partial reply without Content-Range", d);
    CORRAL_ASSIGN_OR_RETURN(ContentRange r, parse_content_range(content_range));
    if (r.total_known && r.total != blob_size) return size_mismatch(r.total);
    if (r.first != offset || r.last != offset + length - 1) {
      return corrupt("blob %s: asked for bytes %llu-%llu, the registry sent %llu-%llu", d, (unsigned long long)offset,
                     (unsigned long long)(offset + length - 1), (unsigned long long)r.first,
                     (unsigned long long)r.last);
    }
    return ok_status();
  }
  if (status == 416) {
    return corrupt("blob %s: the registry has fewer bytes than the manifest's %llu (416 for bytes %llu-)", d,
                   (unsigned long long)blob_size, (unsigned long long)offset);
  }
  return unavailable("blob %s: HTTP %ld", d, status);
}

}  // namespace corral::registry
