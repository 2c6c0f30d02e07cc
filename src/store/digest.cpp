#include "store/digest.h"

#include <fcntl.h>
#include <unistd.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/check.h"

namespace corral::store {

namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr size_t kHexLen = 64;

Status check_hex(std::string_view hex, std::string_view whole) {
  if (hex.size() != kHexLen) {
    return invalid_argument("invalid digest '%.100s': expected 64 hex digits after sha256, got %zu",
                            std::string(whole).c_str(), hex.size());
  }
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return invalid_argument("invalid digest '%.100s': only lowercase hex digits are allowed",
                              std::string(whole).c_str());
    }
  }
  return ok_status();
}

}  // namespace

Digest::Digest() : text_("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {}

Result<Digest> Digest::parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return invalid_argument("invalid digest '%.100s': must start with 'sha256:'", std::string(text).c_str());
  }
  CORRAL_TRY(check_hex(text.substr(kPrefix.size()), text));
  return Digest(std::string(text));
}

Result<Digest> Digest::parse_blob_name(std::string_view name) {
  if (name.substr(0, 7) != "sha256-") {
    return invalid_argument("invalid blob name '%.100s': must start with 'sha256-'", std::string(name).c_str());
  }
  return parse("sha256:" + std::string(name.substr(7)));
}

Digest Digest::from_bytes(const std::array<uint8_t, 32>& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kPrefix);
  for (uint8_t b : hash) {
    text.push_back(kHex[b >> 4]);
    text.push_back(kHex[b & 15]);
  }
  return Digest(std::move(text));
}

bool is_valid_digest(std::string_view text) { return Digest::parse(text).ok(); }

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx != nullptr) EVP_MD_CTX_free(ctx);
  }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  CORRAL_CHECK(impl_->ctx != nullptr, "EVP_MD_CTX_new failed");
  CORRAL_CHECK(EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::byte> data) {
  if (data.empty()) return;
  CORRAL_CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1, "EVP_DigestUpdate failed");
}

void Sha256::update(std::string_view data) {
  update(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data.data()), data.size()));
}

Digest Sha256::finish() {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  CORRAL_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1 && len == 32, "EVP_DigestFinal_ex failed");
  return Digest::from_bytes(out);
}

Digest Sha256::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Result<Digest> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found("%s: no such file", path.c_str());
    return io_error("%s: cannot open: %s", path.c_str(), std::strerror(errno));
  }
  Sha256 h;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return io_error("%s: read failed: %s", path.c_str(), std::strerror(err));
    }
    if (n == 0) break;
    h.update(std::span<const std::byte>(buf.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return h.finish();
}

}  // namespace corral::store
