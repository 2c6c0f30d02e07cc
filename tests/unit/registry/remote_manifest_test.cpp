// What a registry sends is checked before it is trusted: manifests (digests with path
// characters, wrong media types, inconsistent sizes, a wrong Docker-Content-Digest, size
// limits) and blob replies (Content-Range / Content-Length against the manifest's size).
#include <gtest/gtest.h>

#include <string>

#include "registry/remote_manifest.h"

namespace corral::registry {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

std::string manifest(const std::string& config_digest, const std::string& layer_digest, const std::string& size = "10",
                     const std::string& media = "application/vnd.docker.distribution.manifest.v2+json") {
  return R"({"schemaVersion":2,"mediaType":")" + media +
         R"(","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + config_digest +
         R"(","size":3},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":")" + layer_digest +
         R"(","size":)" + size + "}]}";
}

TEST(RemoteManifest, AcceptsADockerV2Manifest) {
  std::string raw = manifest(kA, kB);
  auto m = validate_remote_manifest(raw, "application/vnd.docker.distribution.manifest.v2+json", "");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->raw, raw);
  EXPECT_EQ(m->digest.str(), store::Sha256::of(raw).str());
  auto blobs = m->blobs();
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs[0].digest.str(), kA);
  EXPECT_EQ(blobs[1].size, 10u);
}

TEST(RemoteManifest, DigestsThatCouldBePathsAreRejected) {
  for (const std::string& bad :
       {std::string("sha256:../../../../etc/passwd"), "sha256:" + std::string(62, 'a') + "/..",
        "sha256-" + std::string(64, 'a'), "../sha256:" + std::string(64, 'a'), "sha256:" + std::string(64, 'A'),
        "sha512:" + std::string(128, 'a'), std::string("")}) {
    auto m = validate_remote_manifest(manifest(kA, bad), "", "");
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << bad;
    EXPECT_NE(m.status().message().find("layers[0].digest"), std::string::npos) << m.status().message();
    EXPECT_FALSE(validate_remote_manifest(manifest(bad, kB), "", "").ok()) << bad;
  }
}

TEST(RemoteManifest, MalformedManifests) {
  EXPECT_FALSE(validate_remote_manifest("", "", "").ok());
  EXPECT_FALSE(validate_remote_manifest("{", "", "").ok());
  EXPECT_FALSE(validate_remote_manifest("[]", "", "").ok());
  EXPECT_FALSE(validate_remote_manifest(R"({"schemaVersion":1})", "", "").ok());
  EXPECT_FALSE(validate_remote_manifest(manifest(kA, kB, "-1"), "", "").ok());
  EXPECT_FALSE(validate_remote_manifest(manifest(kA, kB, "\"10\""), "", "").ok());
  EXPECT_FALSE(validate_remote_manifest(manifest(kA, kB, "1e3"), "", "").ok());
  EXPECT_FALSE(validate_remote_manifest(manifest(kA, kB, "99999999999999999999999"), "", "").ok());
  auto too_big = validate_remote_manifest(manifest(kA, kB, "9007199254740992"), "", "");
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("limit"), std::string::npos);
  auto media = validate_remote_manifest(manifest(kA, kB, "10", "text/html"), "", "");
  ASSERT_FALSE(media.ok());
  EXPECT_NE(media.status().message().find("mediaType"), std::string::npos);
  EXPECT_TRUE(validate_remote_manifest(manifest(kA, kB, "10", "application/vnd.oci.image.manifest.v1+json"), "", "").ok());
  auto index = validate_remote_manifest(manifest(kA, kB), "application/vnd.docker.distribution.manifest.list.v2+json", "");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kUnsupported);
  std::string no_layers = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
                          R"("config":{"mediaType":"x","digest":")" + kA + R"(","size":3},"layers":[]})";
  EXPECT_FALSE(validate_remote_manifest(no_layers, "", "").ok());
  std::string huge(kMaxManifestBytes + 1, ' ');
  EXPECT_FALSE(validate_remote_manifest(huge, "", "").ok());
}

TEST(RemoteManifest, SameDigestWithTwoSizesIsRejected) {
  // The config and the layer are the same blob but disagree on its size (3 vs 10).
  auto m = validate_remote_manifest(manifest(kA, kA), "", "");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("two different sizes"), std::string::npos);
  EXPECT_TRUE(validate_remote_manifest(manifest(kA, kA, "3"), "", "").ok());
}

TEST(RemoteManifest, DockerContentDigestMustMatch) {
  std::string raw = manifest(kA, kB);
  EXPECT_TRUE(validate_remote_manifest(raw, "", store::Sha256::of(raw).str()).ok());
  auto wrong = validate_remote_manifest(raw, "", kA);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("hashes to"), std::string::npos);
  EXPECT_FALSE(validate_remote_manifest(raw, "", "sha256:../x").ok());
}

TEST(ContentRange, Parse) {
  auto r = parse_content_range("bytes 0-99/1000");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 99u);
  EXPECT_EQ(r->total, 1000u);
  EXPECT_TRUE(r->total_known);
  auto star = parse_content_range("bytes 5-9/*");
  ASSERT_TRUE(star.ok());
  EXPECT_FALSE(star->total_known);
  for (const char* bad : {"", "bytes", "bytes 9-5/10", "bytes 0-10/10", "items 0-1/2", "bytes -1-2/3", "bytes 0-1",
                          "bytes 0-1/x", "bytes 0-99999999999999999999999/1"}) {
    EXPECT_FALSE(parse_content_range(bad).ok()) << bad;
  }
}

TEST(BlobReply, SizesAreCheckedAgainstTheManifest) {
  const store::Digest d = *store::Digest::parse(kA);
  // A whole-blob reply.
  EXPECT_TRUE(check_blob_reply(d, 100, 0, 100, 200, "", "100").ok());
  EXPECT_TRUE(check_blob_reply(d, 100, 0, 100, 200, "", "").ok());
  auto longer = check_blob_reply(d, 100, 0, 100, 200, "", "120");
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.code(), StatusCode::kCorrupt);
  EXPECT_NE(longer.message().find("the registry has 120 bytes but the manifest says 100"), std::string::npos);
  EXPECT_FALSE(check_blob_reply(d, 100, 0, 100, 200, "", "80").ok());
  // A range reply.
  EXPECT_TRUE(check_blob_reply(d, 100, 40, 60, 206, "bytes 40-99/100", "60").ok());
  EXPECT_TRUE(check_blob_reply(d, 100, 40, 10, 206, "bytes 40-49/*", "").ok());
  EXPECT_FALSE(check_blob_reply(d, 100, 40, 60, 206, "bytes 40-99/150", "").ok());
  EXPECT_FALSE(check_blob_reply(d, 100, 40, 60, 206, "bytes 0-59/100", "").ok());
  EXPECT_FALSE(check_blob_reply(d, 100, 40, 60, 206, "", "").ok());
  // A registry that ignores the range: refused for a part, fine for the whole blob.
  EXPECT_EQ(check_blob_reply(d, 100, 40, 60, 200, "", "100").code(), StatusCode::kUnavailable);
  EXPECT_EQ(check_blob_reply(d, 100, 40, 60, 416, "bytes */40", "").code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace corral::registry
