// Digest: a validated "sha256:<64 lowercase hex>" content address, and Sha256, a streaming
// hasher (OpenSSL EVP). Digest::parse is the ONE gate every digest passes before it names a
// file, so a digest can never smuggle a path (the CVE-2024-37032 class).
// Depends only on util (OpenSSL stays inside digest.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace corral::store {

class Digest {
 public:
  // The digest of empty content: every Digest value is valid, even a default one.
  Digest();
  // Accepts exactly "sha256:" followed by 64 lowercase hex digits; anything else is
  // invalid_argument naming the problem.
  static Result<Digest> parse(std::string_view text);
  // Accepts the blob file name form "sha256-<64 lowercase hex>" (the same validation).
  static Result<Digest> parse_blob_name(std::string_view name);
  static Digest from_bytes(const std::array<uint8_t, 32>& hash);

  const std::string& str() const { return text_; }    // "sha256:<hex>"
  std::string_view hex() const { return std::string_view(text_).substr(7); }
  std::string blob_name() const { return "sha256-" + std::string(hex()); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.text_ == b.text_; }
  friend bool operator<(const Digest& a, const Digest& b) { return a.text_ < b.text_; }

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// True when `text` is a valid digest (what Digest::parse accepts).
bool is_valid_digest(std::string_view text);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  Digest finish();  // the hasher must not be used afterwards

  static Digest of(std::string_view data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hashes a whole file, streaming.
Result<Digest> sha256_file(const std::string& path);

}  // namespace corral::store
