// RegistryClient::pull: manifest, resumable parallel ranged blob downloads into partial files
// named from the validated digest, verification, then the blobs enter the store and the
// manifest is written last. A failure leaves the store's blobs and manifests as they were;
// only partial files of interrupted transfers stay behind for the next pull to resume.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "registry/remote_manifest.h"
#include "registry/session.h"
#include "util/file.h"

namespace corral::registry {
namespace {

using store::Digest;
using store::Layer;

struct Part {
  uint64_t offset = 0, length = 0;
  std::string path;
  uint64_t had = 0;  // bytes present before this pull
  std::atomic<uint64_t> have{0};
  Status status;
};

// The parts of one blob: fixed by its size and the options, so a later pull finds the same files.
std::vector<std::unique_ptr<Part>> plan_parts(const store::BlobStore& blobs, const Layer& l,
                                              const RegistryOptions& o) {
  uint64_t k = 1;
  if (o.parallel > 1 && o.part_bytes > 0)
    k = std::max<uint64_t>(1, std::min<uint64_t>(o.parallel, l.size / o.part_bytes));
  std::vector<std::unique_ptr<Part>> parts;
  for (uint64_t i = 0; i < k; ++i) {
    auto p = std::make_unique<Part>();
    p->offset = l.size / k * i;
    p->length = (i + 1 == k ? l.size : l.size / k * (i + 1)) - p->offset;
    // The name comes from the validated digest only (Digest::parse checked it in the manifest).
    p->path =
        blobs.dir() + "/" + l.digest.blob_name() + "-partial-" + std::to_string(k) + "-" + std::to_string(i);
    struct stat st {};
    if (::stat(p->path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) <= p->length) {
      p->had = static_cast<uint64_t>(st.st_size);
    }
    p->have = p->had;
    parts.push_back(std::move(p));
  }
  return parts;
}

void remove_parts(const std::vector<std::unique_ptr<Part>>& parts) {
  for (const auto& p : parts) ::unlink(p->path.c_str());
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status download_part(Session& s, const Layer& l, Part& part, const std::atomic<bool>* stop) {
  Fd fd(::open(part.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return io_error("%s: cannot open: %s", part.path.c_str(), std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return io_error("%s: cannot stat: %s", part.path.c_str(), std::strerror(errno));
  uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have > part.length) {  // not ours to trust: start this part over
    if (::ftruncate(fd.get(), 0) != 0)
      return io_error("%s: cannot truncate: %s", part.path.c_str(), std::strerror(errno));
    have = 0;
  }
  if (::lseek(fd.get(), static_cast<off_t>(have), SEEK_SET) < 0) {
    return io_error("%s: cannot seek: %s", part.path.c_str(), std::strerror(errno));
  }
  part.have = have;
  const std::string& d = l.digest.str();
  Status last;
  for (int attempt = 0; attempt < 3 && part.have < part.length; ++attempt) {
    const uint64_t off = part.offset + part.have;
    const uint64_t len = part.length - part.have;
    HttpRequest req;
    req.url = s.v2("/blobs/" + d);
    req.cancel = stop;
    if (off != 0 || len != l.size) {
      req.headers.push_back("Range: bytes=" + std::to_string(off) + "-" + std::to_string(off + len - 1));
    }
    req.on_start = [&](const HttpResponse& r) {
      return check_blob_reply(l.digest, l.size, off, len, r.status, r.header("content-range"),
                              r.header("content-length"));
    };
    req.on_data = [&](const char* data, size_t n) -> Status {
      if (part.have + n > part.length) {
        return corrupt("blob %s: the registry sent more bytes than the manifest's size %llu", d.c_str(),
                       (unsigned long long)l.size);
      }
      CORRAL_TRY(write_all(fd.get(), data, n, part.path));
      part.have += n;
      return ok_status();
    };
    Result<HttpResponse> res = s.send(req);
    if (!res.ok()) {
      if (res.status().code() != StatusCode::kUnavailable) return res.status();
      last = res.status();
      continue;
    }
    if (res->status == 416) {
      return check_blob_reply(l.digest, l.size, off, len, 416, res->header("content-range"), "");
    }
    if (res->status < 200 || res->status >= 300) return reply_error("GET blob " + d, *res);
    if (part.have < part.length) {
      last = unavailable("blob %s: the connection ended after %llu of %llu bytes", d.c_str(),
                         (unsigned long long)(part.offset + part.have), (unsigned long long)l.size);
    }
  }
  if (part.have < part.length) return last.with_context("run the pull again to resume");
  return ok_status();
}

// Downloads one blob's missing bytes with its parts in parallel, reporting progress.
Status download_blob(Session& s, const Layer& l, std::vector<std::unique_ptr<Part>>& parts,
                     const ProgressFn& progress, const std::atomic<bool>* cancel) {
  std::atomic<bool> stop{false};
  std::atomic<size_t> running{parts.size()};
  std::vector<std::thread> workers;
  for (auto& p : parts) {
    Part* part = p.get();
    workers.emplace_back([&s, &l, part, &stop, &running] {
      part->status = download_part(s, l, *part, &stop);
      if (!part->status.ok()) stop = true;  // one failed part ends the others
      --running;
    });
  }
  uint64_t resumed = 0;
  for (const auto& p : parts) resumed += p->had;
  const std::string label = "pulling " + short_digest(l.digest);
  uint64_t last = UINT64_MAX;
  for (;;) {
    const bool finished = running.load() == 0;
    uint64_t done = 0;
    for (const auto& p : parts) done += p->have.load();
    if (done != last && !finished) {
      progress(Progress{label, l.digest.str(), l.size, done, resumed, false});
      last = done;
    }
    if (finished) break;
    if (cancel != nullptr && cancel->load()) stop = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& w : workers) w.join();
  for (const auto& p : parts) {
    if (!p->status.ok() && p->status.code() != StatusCode::kCancelled) return p->status;
  }
  for (const auto& p : parts) {
    if (!p->status.ok()) return p->status;
  }
  return ok_status();
}

// Reads the parts in order as one stream.
class PartsSource {
 public:
  explicit PartsSource(const std::vector<std::unique_ptr<Part>>& parts) : parts_(parts) {}
  ~PartsSource() {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<size_t> read(std::span<std::byte> buf) {
    for (;;) {
      if (fd_ < 0) {
        if (next_ >= parts_.size()) return size_t(0);
        const Part& p = *parts_[next_++];
        fd_ = ::open(p.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) return io_error("%s: cannot open: %s", p.path.c_str(), std::strerror(errno));
        left_ = p.length;
      }
      if (left_ == 0) {
        ::close(fd_);
        fd_ = -1;
        continue;
      }
      ssize_t n = ::read(fd_, buf.data(), std::min<uint64_t>(buf.size(), left_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error("partial download: read failed: %s", std::strerror(errno));
      if (n == 0) return corrupt("partial download: a part is shorter than planned");
      left_ -= static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  }

 private:
  const std::vector<std::unique_ptr<Part>>& parts_;
  size_t next_ = 0;
  int fd_ = -1;
  uint64_t left_ = 0;
};

Result<Digest> hash_parts(const std::vector<std::unique_ptr<Part>>& parts) {
  PartsSource src(parts);
  store::Sha256 h;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    CORRAL_ASSIGN_OR_RETURN(size_t n, src.read(buf));
    if (n == 0) break;
    h.update(std::span<const std::byte>(buf.data(), n));
  }
  return h.finish();
}

Result<RemoteManifest> fetch_manifest(Session& s, const store::ModelName& name) {
  const std::string ref = name.digest() ? name.digest()->str() : name.tag();
  HttpRequest req;
  req.url = s.v2("/manifests/" + ref);
  req.headers.push_back("Accept: " + std::string(store::media_type::kManifest) +
                        ", application/vnd.oci.image.manifest.v1+json");
  req.max_body = kMaxManifestBytes;
  CORRAL_ASSIGN_OR_RETURN(HttpResponse res, s.send(req));
  if (res.status == 404) {
    return not_found("model '%s' was not found in registry %s", name.full().c_str(), name.host().c_str());
  }
  if (res.status != 200) return reply_error("GET manifest of " + name.full(), res);
  auto m = validate_remote_manifest(std::move(res.body), res.header("content-type"),
                                    res.header("docker-content-digest"));
  if (!m.ok()) return m.status().with_context(name.full());
  if (name.digest() && !(*name.digest() == m->digest)) {
    return corrupt("%s: the manifest hashes to %s", name.full().c_str(), m->digest.str().c_str());
  }
  return m;
}

}  // namespace

Result<TransferStats> RegistryClient::pull(store::Store& st, const store::ModelName& name,
                                           const ProgressFn& progress) const {
  TransferStats stats;
  Session s(options_, name, /*push=*/false);
  progress(Progress{"pulling manifest", "", 0, 0, 0, false});
  CORRAL_ASSIGN_OR_RETURN(RemoteManifest rm, fetch_manifest(s, name));
  CORRAL_TRY(st.blobs().init());
  const std::vector<Layer> blobs = rm.blobs();
  std::vector<std::vector<std::unique_ptr<Part>>> downloaded(blobs.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    const Layer& l = blobs[i];
    const std::string label = "pulling " + short_digest(l.digest);
    if (auto have = st.blobs().stat(l.digest); have.ok()) {
      if (have->size != l.size) {
        return corrupt("%s: the manifest gives blob %s %llu bytes, but that content has %llu",
                       name.full().c_str(), l.digest.str().c_str(), (unsigned long long)l.size,
                       (unsigned long long)have->size);
      }
      ++stats.blobs_present;
      remove_parts(plan_parts(st.blobs(), l, options_));  // left by a pull killed after the blob landed
      progress(Progress{label, l.digest.str(), l.size, l.size, 0, true});
      continue;
    }
    auto parts = plan_parts(st.blobs(), l, options_);
    Status status = download_blob(s, l, parts, progress, options_.cancel);
    uint64_t had = 0, have = 0;
    for (const auto& p : parts) {
      had += p->had;
      have += p->have.load();
    }
    if (status.ok()) {
      auto actual = hash_parts(parts);
      if (!actual.ok()) {
        status = actual.status();
      } else if (!(*actual == l.digest)) {
        status = corrupt("blob %s: the downloaded content hashes to %s; discarded", l.digest.str().c_str(),
                         actual->str().c_str());
      }
    }
    if (!status.ok()) {
      // Bytes that contradict the manifest are worthless; an interrupted transfer is kept.
      if (status.code() == StatusCode::kCorrupt) remove_parts(parts);
      return status.with_context("pull " + name.full());
    }
    stats.bytes_resumed += had;
    stats.bytes_transferred += have - had;
    ++stats.blobs_transferred;
    progress(Progress{label, l.digest.str(), l.size, l.size, had, true});
    downloaded[i] = std::move(parts);
  }

  progress(Progress{"verifying sha256 digest", "", 0, 0, 0, false});
  std::vector<Digest> added;
  auto roll_back = [&] {
    for (const Digest& d : added) (void)st.blobs().remove(d);
  };
  for (size_t i = 0; i < blobs.size(); ++i) {
    if (downloaded[i].empty() && blobs[i].size != 0) continue;
    if (st.blobs().exists(blobs[i].digest)) continue;  // another pull put it there meanwhile
    PartsSource src(downloaded[i]);
    auto info = st.blobs().add([&src](std::span<std::byte> buf) { return src.read(buf); }, blobs[i].digest);
    if (!info.ok()) {
      roll_back();
      if (info.status().code() ==
          StatusCode::kInvalidArgument) {  // digest mismatch: changed on disk meanwhile
        remove_parts(downloaded[i]);
        return corrupt("pull %s: blob %s: %s; discarded", name.full().c_str(), blobs[i].digest.str().c_str(),
                       info.status().message().c_str());
      }
      return info.status().with_context("pull " + name.full());
    }
    added.push_back(blobs[i].digest);
  }
  progress(Progress{"writing manifest", "", 0, 0, 0, false});
  // The store checks the blobs and places the file; then the file gets the registry's exact
  // bytes (same parsed content), so the manifest digest matches the registry's, as Ollama keeps it.
  Status written = st.write_manifest(name, rm.manifest);
  if (written.ok()) written = write_file_atomic(st.manifest_file(name), rm.raw);
  if (!written.ok()) {
    roll_back();
    return written.with_context("pull " + name.full());
  }
  for (const auto& parts : downloaded) remove_parts(parts);
  progress(Progress{"success", "", 0, 0, 0, false});
  return stats;
}

}  // namespace corral::registry
