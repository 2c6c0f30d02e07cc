// The restricted unpickler on opcode sequences written from the pickle protocol's opcode
// table, and on the data.pkl that torch.save wrote for the goldens.
#include "formats/pickle.h"

#include <gtest/gtest.h>
#include <string>

#include "formats/zip_reader.h"
#include "unit/torch/pickle_builder.h"
#include "util/file.h"

namespace corral {
namespace {

using testing::PickleBuilder;

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

PickleTree unpickle_ok(const std::string& s) {
  Result<PickleTree> r = unpickle_restricted(as_bytes(s));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : PickleTree();
}

TEST(Pickle, Integers) {
  // LONG1 with 2 bytes 0xff 0x7f is 32767; with 0x00 0x80 it is -32768 (two's complement).
  PickleBuilder b;
  b.proto(2).mark().integer(7).integer(-2).op('M').le(65535, 2).op(0x8a).byte(2).le(0x7fff, 2)
      .op(0x8a).byte(2).le(0x8000, 2).op(0x8a).byte(0).op(0x8a).byte(8).le(0x8000000000000000ull, 8)
      .op('t').stop();
  PickleTree t = unpickle_ok(b.bytes());
  const PickleNode& tup = t.node(t.root());
  ASSERT_EQ(tup.kind, PickleKind::kTuple);
  std::vector<int64_t> got;
  for (uint32_t id : tup.items) got.push_back(t.node(id).int_value);
  EXPECT_EQ(got, (std::vector<int64_t>{7, -2, 65535, 32767, -32768, 0, INT64_MIN}));
}

TEST(Pickle, FloatsStringsAndContainers) {
  PickleBuilder b;
  // BINFLOAT is big-endian: 1.5 = 0x3FF8000000000000.
  b.proto(2).op(']').mark().op('G').byte(0x3f).byte(0xf8).le(0, 6).op(0x8c).byte(2).byte('h').byte('i')
      .op('N').op(0x88).op('}').str("k").integer(1).op('s').op('e').stop();
  PickleTree t = unpickle_ok(b.bytes());
  const PickleNode& list = t.node(t.root());
  ASSERT_EQ(list.kind, PickleKind::kList);
  ASSERT_EQ(list.items.size(), 5u);
  EXPECT_EQ(t.node(list.items[0]).float_value, 1.5);
  EXPECT_EQ(t.node(list.items[1]).text, "hi");
  EXPECT_EQ(t.node(list.items[2]).kind, PickleKind::kNone);
  EXPECT_EQ(t.node(list.items[3]).int_value, 1);
  const PickleNode& dict = t.node(list.items[4]);
  ASSERT_EQ(dict.kind, PickleKind::kDict);
  ASSERT_EQ(dict.items.size(), 2u);
  EXPECT_EQ(t.node(dict.items[0]).text, "k");
}

TEST(Pickle, MemoSharesValues) {
  PickleBuilder b;
  b.proto(4).op(']').op(0x94).op('h').byte(0).op('a').stop();  // l = []; l.append(l)
  PickleTree t = unpickle_ok(b.bytes());
  const PickleNode& list = t.node(t.root());
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0], t.root()) << "a list that contains itself";
}

TEST(Pickle, TensorFromRebuildTensorV2) {
  PickleBuilder b;
  b.proto(2).ordered_dict().str("w").tensor("HalfStorage", "0", 12, 2, {2, 5}, {5, 1}).op('s').stop();
  PickleTree t = unpickle_ok(b.bytes());
  const PickleNode& dict = t.node(t.root());
  ASSERT_EQ(dict.items.size(), 2u);
  const PickleNode& tensor = t.node(dict.items[1]);
  ASSERT_EQ(tensor.kind, PickleKind::kTensor);
  EXPECT_EQ(tensor.dtype, HfDType::kF16);
  EXPECT_EQ(tensor.int_value, 2);
  EXPECT_EQ(tensor.shape, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(tensor.stride, (std::vector<int64_t>{5, 1}));
  const PickleNode& storage = t.node(tensor.items[0]);
  EXPECT_EQ(storage.text, "0");
  EXPECT_EQ(storage.numel, 12u);
}

TEST(Pickle, ParameterWrapsTensor) {
  PickleBuilder b;
  b.proto(2).global("torch._utils", "_rebuild_parameter").mark()
      .tensor("FloatStorage", "3", 4, 0, {4}, {1}).op(0x88).ordered_dict().op('t').op('R').stop();
  PickleTree t = unpickle_ok(b.bytes());
  EXPECT_EQ(t.node(t.root()).kind, PickleKind::kTensor);
}

TEST(Pickle, ReadsTorchWrittenDataPkl) {
  for (const char* file : {"/mixed.pt", "/mixed_p4.pt"}) {
    Result<std::string> zip_bytes = read_file(std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf" + file);
    ASSERT_TRUE(zip_bytes.ok());
    Result<ZipReader> zip = ZipReader::parse(as_bytes(*zip_bytes));
    ASSERT_TRUE(zip.ok());
    const ZipEntry* e = nullptr;
    for (const ZipEntry& x : zip->entries()) {
      if (x.name.ends_with("/data.pkl")) e = &x;
    }
    ASSERT_NE(e, nullptr);
    Result<std::span<const std::byte>> pkl = zip->stored_data(*e);
    ASSERT_TRUE(pkl.ok());
    Result<PickleTree> t = unpickle_restricted(*pkl);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    const PickleNode& root = t->node(t->root());
    ASSERT_EQ(root.kind, PickleKind::kDict);
    EXPECT_EQ(root.items.size(), 2u * 13);
    EXPECT_EQ(t->node(root.items[0]).text, "f32");
  }
}

}  // namespace
}  // namespace corral
