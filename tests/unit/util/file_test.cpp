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
