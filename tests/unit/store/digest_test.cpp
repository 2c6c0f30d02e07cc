// Digest validation and SHA-256 against the FIPS 180-2 test vectors.
#include <gtest/gtest.h>

#include <string>

#include "store/digest.h"
#include "util/file.h"
#include "test_dir.h"

namespace corral::store {
namespace {

const std::string kHexAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256::of("").str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::of("abc").str(), "sha256:" + kHexAbc);
  EXPECT_EQ(Sha256::of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").str(),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in uneven pieces.
  Sha256 h;
  std::string chunk(7919, 'a');
  size_t left = 1000000;
  while (left > 0) {
    size_t n = std::min(left, chunk.size());
    h.update(std::string_view(chunk).substr(0, n));
    left -= n;
  }
  EXPECT_EQ(h.finish().str(), "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(Digest().str(), Sha256::of("").str());
}

TEST(DigestTest, FileHash) {
  testing::TempDir dir;
  std::string p = dir.path() + "/f";
  ASSERT_TRUE(write_file_atomic(p, std::string_view("abc")).ok());
  auto d = sha256_file(p);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hex(), kHexAbc);
  EXPECT_EQ(sha256_file(dir.path() + "/missing").status().code(), StatusCode::kNotFound);
}

TEST(DigestTest, ParseAcceptsOnlyCanonicalSha256) {
  auto ok = Digest::parse("sha256:" + kHexAbc);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->hex(), kHexAbc);
  EXPECT_EQ(ok->blob_name(), "sha256-" + kHexAbc);
  auto from_name = Digest::parse_blob_name("sha256-" + kHexAbc);
  ASSERT_TRUE(from_name.ok());
  EXPECT_EQ(*from_name, *ok);

  std::string upper = kHexAbc;
  upper[0] = 'B';
  const std::string bad[] = {
      "",
      "sha256:",
      "sha256:" + kHexAbc.substr(1),                 // 63 digits
      "sha256:" + kHexAbc + "0",                     // 65 digits
      "sha256:" + upper,                             // uppercase
      "SHA256:" + kHexAbc,                           // uppercase algorithm
      "sha256-" + kHexAbc,                           // file-name form is not a digest
      "sha512:" + kHexAbc + kHexAbc,                 // other algorithm
      "sha256:" + kHexAbc.substr(0, 60) + "../x",    // path smuggling
      "sha256:../../../../etc/passwd",
      "sha256:" + kHexAbc.substr(0, 63) + "/",
      "sha256:" + kHexAbc.substr(0, 63) + "g",
      "sha256:" + kHexAbc.substr(0, 63) + std::string(1, '\0'),
      " sha256:" + kHexAbc,
      "sha256:" + kHexAbc + "\n",
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(Digest::parse(b).ok()) << b;
    EXPECT_FALSE(is_valid_digest(b)) << b;
  }
  EXPECT_FALSE(Digest::parse_blob_name("sha256:" + kHexAbc).ok());
  EXPECT_FALSE(Digest::parse_blob_name("sha256-" + kHexAbc + "-partial").ok());
  EXPECT_FALSE(Digest::parse_blob_name("tmp-123").ok());
}

}  // namespace
}  // namespace corral::store
