#include "util/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace corral {

MappedFile::~MappedFile() {
  if (data_ != nullptr && size_ > 0) munmap(data_, size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(other.data_), size_(other.size_), path_(std::move(other.path_)), copy_(other.copy_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr && size_ > 0) munmap(data_, size_);
    data_ = other.data_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    copy_ = other.copy_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

namespace {

// A private anonymous mapping of `size` bytes starting on a 2 MiB boundary (the slack around it
// is unmapped again), so transparent huge pages can back it; nullptr on failure.
void* map_anonymous_aligned(size_t size) {
  constexpr size_t kHuge = size_t{2} << 20;
  const long page_size = sysconf(_SC_PAGESIZE);
  const size_t page = page_size > 0 ? static_cast<size_t>(page_size) : 4096;
  const size_t len = (size + page - 1) / page * page;
  void* raw = mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = (base + kHuge - 1) & ~(kHuge - 1);
  if (start > base) munmap(raw, start - base);
  const uintptr_t end = base + len + kHuge;
  if (end > start + len) munmap(reinterpret_cast<void*>(start + len), end - (start + len));
  void* p = reinterpret_cast<void*>(start);
#ifdef MADV_HUGEPAGE
  madvise(p, len, MADV_HUGEPAGE);  // advice only: without THP the copy still works
#endif
  return p;
}

// Reads the whole file into p (size bytes), retrying short and interrupted reads.
Status read_all(int fd, std::byte* p, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        pread(fd, p + done, std::min<size_t>(size - done, size_t{1} << 30), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("%s: cannot read: %s", path.c_str(), std::strerror(errno));
    if (n == 0)
      return io_error("%s: file shrank while being read (%zu of %zu bytes)", path.c_str(), done, size);
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path, Load load) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found("%s: no such file", path.c_str());
    return io_error("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("%s: cannot stat: %s", path.c_str(), std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument("%s: not a regular file", path.c_str());
  }
  MappedFile out;
  out.path_ = path;
  out.size_ = static_cast<size_t>(st.st_size);
  if (out.size_ > 0 && load == Load::kCopy) {
    void* p = map_anonymous_aligned(out.size_);
    if (p == nullptr) {
      const int err = errno;
      ::close(fd);
      out.size_ = 0;
      return out_of_memory("%s: cannot allocate %zu bytes to load it: %s", path.c_str(),
                           static_cast<size_t>(st.st_size), std::strerror(err));
    }
    out.data_ = static_cast<std::byte*>(p);
    Status read = read_all(fd, out.data_, out.size_, path);
    ::close(fd);
    if (!read.ok()) return read;  // out's destructor unmaps the copy
    mprotect(p, out.size_, PROT_READ);
    out.copy_ = true;
    return out;
  }
  if (out.size_ > 0) {
    void* p = mmap(nullptr, out.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      out.size_ = 0;
      return io_error("%s: cannot map: %s", path.c_str(), std::strerror(err));
    }
    out.data_ = static_cast<std::byte*>(p);
  }
  ::close(fd);
  return out;
}

Status MappedFile::set_writable(bool writable) {
  if (!copy_) return unsupported("%s: mapped from the file, its bytes cannot change", path_.c_str());
  if (mprotect(data_, size_, writable ? PROT_READ | PROT_WRITE : PROT_READ) != 0) {
    return io_error("%s: cannot change the protection of its copy: %s", path_.c_str(), std::strerror(errno));
  }
  return ok_status();
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  CORRAL_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  if (f.size() > max_bytes) {
    return invalid_argument("%s: file is %zu bytes, more than the limit of %zu", path.c_str(), f.size(),
                            max_bytes);
  }
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

Status write_all(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error("%s: write failed: %s", path.c_str(), std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return ok_status();
}

Status write_file_atomic(const std::string& path, std::span<const std::byte> data) {
  std::random_device rd;
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("%s: cannot create: %s", tmp.c_str(), std::strerror(errno));
  Status st = write_all(fd, data.data(), data.size(), tmp);
  if (st.ok() && ::fsync(fd) != 0) st = io_error("%s: fsync failed: %s", tmp.c_str(), std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = io_error("%s: close failed: %s", tmp.c_str(), std::strerror(errno));
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = io_error("%s: rename failed: %s", path.c_str(), std::strerror(errno));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ok_status();
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  return write_file_atomic(
      path, std::span<const std::byte>(reinterpret_cast<const std::byte*>(data.data()), data.size()));
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace corral
