// ZipReader against libzip on the archives torch.save wrote and on archives libzip writes.
#include "formats/zip_reader.h"

#include <zip.h>

#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

#include "unit/torch/pickle_builder.h"
#include "util/file.h"

namespace corral {
namespace {

const std::string kGolden = std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf";

void expect_same_as_libzip(const std::string& path) {
  SCOPED_TRACE(path);
  Result<MappedFile> f = MappedFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  Result<ZipReader> ours = ZipReader::parse(f->bytes());
  ASSERT_TRUE(ours.ok()) << ours.status().to_string();

  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  ASSERT_NE(z, nullptr) << "libzip error " << err;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  ASSERT_EQ(static_cast<size_t>(n), ours->entries().size());
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    ASSERT_EQ(zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st), 0);
    const ZipEntry* e = ours->find(st.name);
    ASSERT_NE(e, nullptr) << st.name;
    EXPECT_EQ(e->size, st.size);
    EXPECT_EQ(e->method, st.comp_method);
    std::string want(st.size, '\0');
    zip_file_t* zf = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    ASSERT_NE(zf, nullptr);
    ASSERT_EQ(zip_fread(zf, want.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(zf);
    Result<std::span<const std::byte>> got = ours->stored_data(*e);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(got->data()), got->size()), want) << st.name;
  }
  zip_close(z);
}

TEST(ZipReader, MatchesLibzipOnTorchArchives) {
  for (const char* f : {"/mixed.pt", "/mixed_p4.pt", "/nested.pt", "/torch/pytorch_model.bin",
                        "/torch_sharded/pytorch_model-00001-of-00002.bin"}) {
    expect_same_as_libzip(kGolden + f);
  }
}

TEST(ZipReader, MatchesLibzipOnLibzipArchive) {
  const std::string path = "/tmp/corral_zip_test_" + std::to_string(::getpid()) + ".zip";
  std::string bytes = testing::make_zip(
      {{"a/one", "hello"}, {"a/two", std::string(1000, 'x'), true}, {"b", ""}}, path + ".tmp");
  ASSERT_FALSE(bytes.empty());
  ASSERT_TRUE(write_file_atomic(path, bytes).ok());
  Result<ZipReader> ours = ZipReader::parse(std::span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(ours.ok());
  ASSERT_EQ(ours->entries().size(), 3u);
  const ZipEntry* two = ours->find("a/two");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->method, 8);
  Result<std::span<const std::byte>> compressed = ours->stored_data(*two);
  ASSERT_FALSE(compressed.ok());
  EXPECT_EQ(compressed.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(compressed.status().message().find("compressed"), std::string::npos);
  // The stored ones read the same as libzip reads them.
  const ZipEntry* one = ours->find("a/one");
  ASSERT_NE(one, nullptr);
  Result<std::span<const std::byte>> data = ours->stored_data(*one);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data->data()), data->size()), "hello");
  std::remove(path.c_str());
}

TEST(ZipReader, TruncatedArchivesFailCleanly) {
  Result<std::string> text = read_file(kGolden + "/mixed.pt");
  ASSERT_TRUE(text.ok());
  for (size_t n = 0; n < text->size(); ++n) {
    std::span<const std::byte> cut(reinterpret_cast<const std::byte*>(text->data()), n);
    Result<ZipReader> r = ZipReader::parse(cut);
    if (!r.ok()) continue;
    for (const ZipEntry& e : r->entries()) (void)r->stored_data(e);  // must not read out of bounds
  }
}

}  // namespace
}  // namespace corral
