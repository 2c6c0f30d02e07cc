#include "util/file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace corral {
namespace {

TEST(File, AtomicWriteThenMapAndRead) {
  std::string dir = testing::TempDir() + "corral_file_test";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/a.bin";
  ASSERT_TRUE(write_file_atomic(path, std::string_view("hello")).ok());
  Result<MappedFile> m = MappedFile::open(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->size(), 5u);
  EXPECT_EQ(*read_file(path), "hello");
  // overwrite leaves no temporary files behind
  ASSERT_TRUE(write_file_atomic(path, std::string_view("bye")).ok());
  EXPECT_EQ(*read_file(path), "bye");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

// Load::kCopy gives the file's bytes in private memory on a 2 MiB boundary (huge-page capable),
// read-only, living on after the file is replaced; empty and missing files behave as with kMap.
TEST(File, CopyLoadHasTheFileBytes) {
  const std::string dir = testing::TempDir() + "corral_file_copy_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/w.bin";
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  ASSERT_TRUE(write_file_atomic(path, std::string_view(bytes)).ok());
  Result<MappedFile> copy = MappedFile::open(path, MappedFile::Load::kCopy);
  ASSERT_TRUE(copy.ok()) << copy.status().to_string();
  ASSERT_EQ(copy->size(), bytes.size());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(copy->data()) % (2u << 20), 0u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(copy->data()), copy->size()), bytes);
  ASSERT_TRUE(write_file_atomic(path, std::string_view("replaced")).ok());
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(copy->data()), 4), bytes.substr(0, 4));
  MappedFile moved = std::move(copy).value();
  EXPECT_EQ(moved.size(), bytes.size());

  ASSERT_TRUE(write_file_atomic(path, std::string_view("")).ok());
  Result<MappedFile> empty = MappedFile::open(path, MappedFile::Load::kCopy);
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_EQ(MappedFile::open(dir + "/missing", MappedFile::Load::kCopy).status().code(),
            StatusCode::kNotFound);
}

TEST(File, MissingFileAndFolderErrors) {
  Result<MappedFile> m = MappedFile::open("/nonexistent/corral/x");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  Result<MappedFile> d = MappedFile::open("/");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(write_file_atomic("/nonexistent/corral/x", std::string_view("x")).ok());
}

TEST(File, ReadFileLimit) {
  std::string path = testing::TempDir() + "corral_limit.bin";
  ASSERT_TRUE(write_file_atomic(path, std::string_view("0123456789")).ok());
  EXPECT_FALSE(read_file(path, 4).ok());
}

}  // namespace
}  // namespace corral
