// BlobStore: add (bytes, file, stream), digest verification, crash leftovers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "store/blob_store.h"
#include "test_dir.h"
#include "util/file.h"

namespace corral::store {
namespace {

namespace fs = std::filesystem;

const std::string kAbc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(BlobStoreTest, AddBytesNamesTheBlobByItsSha256) {
  testing::TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  auto info = blobs.add_bytes("abc");
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->digest.str(), kAbc);
  EXPECT_EQ(info->size, 3u);
  EXPECT_EQ(files_in(blobs.dir()), std::vector<std::string>{"sha256-" + info->digest.str().substr(7)});
  EXPECT_EQ(*blobs.read(info->digest, 100), "abc");
  EXPECT_TRUE(blobs.exists(info->digest));
  EXPECT_TRUE(blobs.verify(info->digest).ok());
  auto mapped = blobs.open(info->digest);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->size(), 3u);
  // Adding the same content again is fine and changes nothing.
  auto again = blobs.add_bytes("abc", *Digest::parse(kAbc));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(files_in(blobs.dir()).size(), 1u);
}

TEST(BlobStoreTest, AddFileStreamsLargeContent) {
  testing::TempDir dir;
  std::string src = dir.path() + "/big.bin";
  std::string content(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 131) >> 3);
  ASSERT_TRUE(write_file_atomic(src, content).ok());
  BlobStore blobs(dir.path() + "/blobs");
  auto info = blobs.add_file(src);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->digest, Sha256::of(content));
  EXPECT_EQ(info->size, content.size());
  EXPECT_EQ(*blobs.read(info->digest, content.size()), content);
  EXPECT_EQ(blobs.add_file(dir.path() + "/missing").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(blobs.add_file(dir.path()).ok());  // a folder
}

TEST(BlobStoreTest, ExpectedDigestMismatchLeavesStoreUnchanged) {
  testing::TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  ASSERT_TRUE(blobs.add_bytes("first").ok());
  auto before = files_in(blobs.dir());
  auto r = blobs.add_bytes("abd", *Digest::parse(kAbc));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("digest mismatch"), std::string::npos);
  EXPECT_EQ(files_in(blobs.dir()), before);  // no blob, no temp file
  EXPECT_FALSE(blobs.exists(*Digest::parse(kAbc)));
}

TEST(BlobStoreTest, FailingSourceLeavesNothing) {
  testing::TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  ASSERT_TRUE(blobs.init().ok());
  int calls = 0;
  auto r = blobs.add([&](std::span<std::byte> buf) -> Result<size_t> {
    if (++calls > 2) return io_error("network went away");
    buf[0] = std::byte{1};
    return size_t{1};
  });
  EXPECT_EQ(r.status().code(), StatusCode::kIo);
  EXPECT_TRUE(files_in(blobs.dir()).empty());
}

TEST(BlobStoreTest, CrashLeftoversAreIgnoredAndCleaned) {
  testing::TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  auto real = blobs.add_bytes("real");
  ASSERT_TRUE(real.ok());
  // What a crash mid-add (or an interrupted pull) leaves behind.
  ASSERT_TRUE(write_file_atomic(blobs.dir() + "/tmp-4242-123456", std::string_view("half a blo")).ok());
  ASSERT_TRUE(write_file_atomic(blobs.dir() + "/" + Digest::parse(kAbc)->blob_name() + "-partial",
                                std::string_view("ab")).ok());
  ASSERT_TRUE(write_file_atomic(blobs.dir() + "/README", std::string_view("not ours")).ok());
  auto list = blobs.list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].digest, real->digest);
  EXPECT_FALSE(blobs.exists(*Digest::parse(kAbc)));
  // Young temp files survive a min_age; then they go, and unknown files stay.
  EXPECT_EQ(*blobs.remove_temp_files(std::chrono::hours(1)), 0u);
  EXPECT_EQ(*blobs.remove_temp_files(std::chrono::seconds(0)), 2u);
  EXPECT_EQ(files_in(blobs.dir()), (std::vector<std::string>{"README", real->digest.blob_name()}));
}

TEST(BlobStoreTest, VerifyDetectsDamage) {
  testing::TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  auto info = blobs.add_bytes("abc");
  ASSERT_TRUE(info.ok());
  {
    std::ofstream f(blobs.path(info->digest), std::ios::binary | std::ios::trunc);
    f << "abd";
  }
  Status st = blobs.verify(info->digest);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(blobs.verify(Sha256::of("nothing")).code(), StatusCode::kNotFound);
  EXPECT_TRUE(blobs.remove(info->digest).ok());
  EXPECT_TRUE(blobs.remove(info->digest).ok());  // absent is fine
  EXPECT_EQ(blobs.stat(info->digest).status().code(), StatusCode::kNotFound);
}

TEST(BlobStoreTest, IsTempName) {
  EXPECT_TRUE(BlobStore::is_temp_name("tmp-1-2"));
  EXPECT_TRUE(BlobStore::is_temp_name("sha256-abc-partial"));
  EXPECT_TRUE(BlobStore::is_temp_name("sha256-abc-partial-0"));
  EXPECT_FALSE(BlobStore::is_temp_name("sha256-" + std::string(64, 'a')));
}

}  // namespace
}  // namespace corral::store
