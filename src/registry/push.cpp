// RegistryClient::push: HEAD each blob; upload the missing ones (a cross-repository mount when
// another local model of the same registry holds the blob and the registry accepts it, else
// POST, chunked PATCH, PUT ?digest=); then PUT the manifest bytes exactly as stored.
#include <string>
#include <vector>

#include "registry/remote_manifest.h"
#include "registry/session.h"
#include "util/file.h"

namespace corral::registry {
namespace {

using store::Digest;
using store::Layer;

// Another repository of the same registry that holds `d` according to the local store.
std::string mount_source(const store::Store& st, const store::ModelName& name, const Digest& d) {
  auto entries = st.list();
  if (!entries.ok()) return {};
  for (const auto& e : *entries) {
    if (!store::equal_fold(e.name.host(), name.host())) continue;
    if (store::equal_fold(e.name.name_space(), name.name_space()) && store::equal_fold(e.name.model(), name.model())) continue;
    auto m = st.read_manifest(e.name);
    if (!m.ok()) continue;
    bool has = m->config.digest == d;
    for (const auto& l : m->layers) has = has || l.digest == d;
    if (has) {
      std::string repo = e.name.name_space() + "/" + e.name.model();
      for (char& c : repo) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return repo;
    }
  }
  return {};
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

// Uploads one blob; true when the registry mounted it instead.
Result<bool> upload_blob(Session& s, const store::Store& st, const store::ModelName& name, const Layer& l,
                         const ProgressFn& progress) {
  const std::string& d = l.digest.str();
  const std::string label = "pushing " + short_digest(l.digest);
  HttpRequest post;
  post.method = "POST";
  post.url = s.v2("/blobs/uploads/");
  const std::string from = mount_source(st, name, l.digest);
  if (!from.empty()) post.url += "?mount=" + url_escape(d) + "&from=" + url_escape(from);
  post.headers.push_back("Content-Type: application/octet-stream");
  CORRAL_ASSIGN_OR_RETURN(HttpResponse started, s.send(post));
  if (started.status == 201) return true;  // mounted from `from`
  if (started.status != 202) return reply_error("POST upload of " + d, started);
  CORRAL_ASSIGN_OR_RETURN(std::string location, s.resolve(started.header("location")));

  CORRAL_ASSIGN_OR_RETURN(MappedFile file, st.blobs().open(l.digest));
  if (file.size() != l.size) {
    return corrupt("blob %s: the store has %zu bytes, the manifest says %llu", d.c_str(), file.size(),
                   (unsigned long long)l.size);
  }
  const char* bytes = reinterpret_cast<const char*>(file.data());
  const uint64_t chunk = std::max<uint64_t>(1, s.options().chunk_bytes);
  for (uint64_t off = 0; off < l.size;) {
    const uint64_t n = std::min(chunk, l.size - off);
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.body = std::string_view(bytes + off, n);
    patch.headers.push_back("Content-Type: application/octet-stream");
    patch.headers.push_back("Content-Range: " + std::to_string(off) + "-" + std::to_string(off + n - 1));
    CORRAL_ASSIGN_OR_RETURN(HttpResponse res, s.send(patch));
    if (res.status != 202 && res.status != 204) return reply_error("PATCH upload of " + d, res);
    if (res.has_header("location")) {
      CORRAL_ASSIGN_OR_RETURN(location, s.resolve(res.header("location")));
    }
    off += n;
    progress(Progress{label, d, l.size, off, 0, false});
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = with_query(location, "digest=" + url_escape(d));
  put.headers.push_back("Content-Type: application/octet-stream");
  CORRAL_ASSIGN_OR_RETURN(HttpResponse done, s.send(put));
  if (done.status != 201 && done.status != 204) return reply_error("PUT upload of " + d, done);
  if (std::string got = done.header("docker-content-digest"); !got.empty() && got != d) {
    return corrupt("blob %s: the registry stored it as %s", d.c_str(), got.c_str());
  }
  return false;
}

}  // namespace

Result<TransferStats> RegistryClient::push(store::Store& st, const store::ModelName& name,
                                           const ProgressFn& progress) const {
  TransferStats stats;
  progress(Progress{"retrieving manifest", "", 0, 0, 0, false});
  if (!st.has_model(name)) return not_found("model '%s' not found", name.full().c_str());
  CORRAL_ASSIGN_OR_RETURN(std::string raw, read_file(st.manifest_file(name), kMaxManifestBytes + 1));
  auto checked = validate_remote_manifest(std::move(raw), "", "");
  if (!checked.ok()) return checked.status().with_context(name.full());
  RemoteManifest rm = std::move(checked).value();
  Session s(options_, name, /*push=*/true);
  for (const Layer& l : rm.blobs()) {
    const std::string label = "pushing " + short_digest(l.digest);
    CORRAL_ASSIGN_OR_RETURN(store::BlobInfo local, st.blobs().stat(l.digest));
    if (local.size != l.size) {
      return corrupt("blob %s: the store has %llu bytes, the manifest says %llu", l.digest.str().c_str(),
                     (unsigned long long)local.size, (unsigned long long)l.size);
    }
    HttpRequest head;
    head.method = "HEAD";
    head.url = s.v2("/blobs/" + l.digest.str());
    CORRAL_ASSIGN_OR_RETURN(HttpResponse res, s.send(head));
    if (res.status == 200) {
      ++stats.blobs_present;
      progress(Progress{label, l.digest.str(), l.size, l.size, 0, true});
      continue;
    }
    if (res.status != 404) return reply_error("HEAD blob " + l.digest.str(), res);
    progress(Progress{label, l.digest.str(), l.size, 0, 0, false});
    CORRAL_ASSIGN_OR_RETURN(bool mounted, upload_blob(s, st, name, l, progress));
    if (mounted) {
      ++stats.blobs_mounted;
    } else {
      ++stats.blobs_transferred;
      stats.bytes_transferred += l.size;
    }
    progress(Progress{label, l.digest.str(), l.size, l.size, 0, true});
  }
  progress(Progress{"pushing manifest", "", 0, 0, 0, false});
  HttpRequest put;
  put.method = "PUT";
  put.url = s.v2("/manifests/" + name.tag());
  put.body = rm.raw;
  put.headers.push_back("Content-Type: " + rm.manifest.media_type);
  CORRAL_ASSIGN_OR_RETURN(HttpResponse res, s.send(put));
  if (res.status != 201 && res.status != 200) return reply_error("PUT manifest of " + name.full(), res);
  progress(Progress{"success", "", 0, 0, 0, false});
  return stats;
}

}  // namespace corral::registry
