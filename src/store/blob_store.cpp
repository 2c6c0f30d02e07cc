#include "store/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

namespace corral::store {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 1 << 20;

// Owns a temporary file: removed on destruction unless released.
class TempFile {
 public:
  TempFile() = default;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  Status create(const std::string& dir) {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
      std::string p = dir + "/tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) +
                      std::to_string(rd());
      fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd_ >= 0) {
        path_ = p;
        return ok_status();
      }
      if (errno != EEXIST) return io_error("%s: cannot create: %s", p.c_str(), std::strerror(errno));
    }
    return io_error("%s: cannot create a unique temporary file", dir.c_str());
  }

  Status write(const std::byte* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return io_error("%s: write failed: %s", path_.c_str(), std::strerror(errno));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return ok_status();
  }

  Status sync_and_close() {
    if (::fsync(fd_) != 0) return io_error("%s: fsync failed: %s", path_.c_str(), std::strerror(errno));
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return io_error("%s: close failed: %s", path_.c_str(), std::strerror(errno));
    return ok_status();
  }

  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  int fd_ = -1;
  std::string path_;
};

void sync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

Status BlobStore::init() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return io_error("%s: cannot create folder: %s", dir_.c_str(), ec.message().c_str());
  return ok_status();
}

bool BlobStore::is_temp_name(std::string_view name) {
  return name.substr(0, 4) == "tmp-" || name.find("-partial") != std::string_view::npos;
}

Result<BlobInfo> BlobStore::add(const ByteSource& source, const std::optional<Digest>& expected) {
  CORRAL_TRY(init());
  TempFile tmp;
  CORRAL_TRY(tmp.create(dir_));
  Sha256 hasher;
  std::vector<std::byte> buf(kChunk);
  uint64_t size = 0;
  for (;;) {
    CORRAL_ASSIGN_OR_RETURN(size_t n, source(std::span<std::byte>(buf)));
    if (n == 0) break;
    if (n > buf.size()) return internal_error("blob source returned %zu bytes for a %zu-byte buffer", n, buf.size());
    hasher.update(std::span<const std::byte>(buf.data(), n));
    CORRAL_TRY(tmp.write(buf.data(), n));
    size += n;
  }
  CORRAL_TRY(tmp.sync_and_close());
  Digest digest = hasher.finish();
  if (expected && !(*expected == digest)) {
    return invalid_argument("digest mismatch: expected %s, content is %s", expected->str().c_str(),
                            digest.str().c_str());
  }
  const std::string final_path = path(digest);
  if (auto existing = stat(digest); existing.ok() && existing->size == size) {
    return BlobInfo{digest, size};  // already stored; the temporary file goes away
  }
  if (std::rename(tmp.path().c_str(), final_path.c_str()) != 0) {
    return io_error("%s: rename failed: %s", final_path.c_str(), std::strerror(errno));
  }
  tmp.release();
  sync_dir(dir_);
  return BlobInfo{digest, size};
}

Result<BlobInfo> BlobStore::add_bytes(std::string_view data, const std::optional<Digest>& expected) {
  size_t offset = 0;
  return add(
      [&](std::span<std::byte> buf) -> Result<size_t> {
        size_t n = std::min(buf.size(), data.size() - offset);
        std::memcpy(buf.data(), data.data() + offset, n);
        offset += n;
        return n;
      },
      expected);
}

Result<BlobInfo> BlobStore::add_file(const std::string& file, const std::optional<Digest>& expected) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found("%s: no such file", file.c_str());
    return io_error("%s: cannot open: %s", file.c_str(), std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument("%s: not a regular file", file.c_str());
  }
  auto result = add(
      [&](std::span<std::byte> buf) -> Result<size_t> {
        for (;;) {
          ssize_t n = ::read(fd, buf.data(), buf.size());
          if (n >= 0) return static_cast<size_t>(n);
          if (errno != EINTR) return io_error("%s: read failed: %s", file.c_str(), std::strerror(errno));
        }
      },
      expected);
  ::close(fd);
  return result;
}

bool BlobStore::exists(const Digest& d) const { return stat(d).ok(); }

Result<BlobInfo> BlobStore::stat(const Digest& d) const {
  struct stat st {};
  const std::string p = path(d);
  if (::stat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return not_found("blob %s not found", d.str().c_str());
    return io_error("%s: cannot stat: %s", p.c_str(), std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return corrupt("%s: not a regular file", p.c_str());
  return BlobInfo{d, static_cast<uint64_t>(st.st_size)};
}

Result<MappedFile> BlobStore::open(const Digest& d) const {
  CORRAL_TRY(stat(d));
  return MappedFile::open(path(d));
}

Result<std::string> BlobStore::read(const Digest& d, size_t max_bytes) const {
  CORRAL_TRY(stat(d));
  return read_file(path(d), max_bytes);
}

Status BlobStore::verify(const Digest& d) const {
  CORRAL_TRY(stat(d));
  CORRAL_ASSIGN_OR_RETURN(Digest actual, sha256_file(path(d)));
  if (!(actual == d)) {
    return corrupt("blob %s is damaged: its content hashes to %s", d.str().c_str(), actual.str().c_str());
  }
  return ok_status();
}

Status BlobStore::remove(const Digest& d) const {
  const std::string p = path(d);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
    return io_error("%s: cannot remove: %s", p.c_str(), std::strerror(errno));
  }
  return ok_status();
}

Result<std::vector<BlobInfo>> BlobStore::list() const {
  std::vector<BlobInfo> out;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return io_error("%s: cannot list: %s", dir_.c_str(), ec.message().c_str());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return io_error("%s: cannot list: %s", dir_.c_str(), ec.message().c_str());
    auto digest = Digest::parse_blob_name(it->path().filename().string());
    if (!digest.ok()) continue;
    auto info = stat(*digest);
    if (info.ok()) out.push_back(*info);
  }
  return out;
}

Result<size_t> BlobStore::remove_temp_files(std::chrono::seconds min_age) const {
  size_t removed = 0;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return removed;
    return io_error("%s: cannot list: %s", dir_.c_str(), ec.message().c_str());
  }
  const auto now = fs::file_time_type::clock::now();
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return io_error("%s: cannot list: %s", dir_.c_str(), ec.message().c_str());
    if (!is_temp_name(it->path().filename().string())) continue;
    std::error_code tec;
    auto mtime = fs::last_write_time(it->path(), tec);
    if (tec || now - mtime < min_age) continue;
    if (fs::remove(it->path(), tec)) ++removed;
  }
  return removed;
}

}  // namespace corral::store
