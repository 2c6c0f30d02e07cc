// Hostile and broken pickles, generated here: forbidden globals, unknown opcodes, truncation at
// every byte, deep nesting, huge memo indexes and lengths. Each fails with a specific error.
#include <gtest/gtest.h>
#include <string>

#include "formats/pickle.h"
#include "formats/zip_reader.h"
#include "unit/torch/pickle_builder.h"
#include "util/file.h"

namespace corral {
namespace {

using testing::PickleBuilder;

Status unpickle_status(const std::string& s, const UnpickleLimits& limits = {}) {
  Result<PickleTree> r = unpickle_restricted({reinterpret_cast<const std::byte*>(s.data()), s.size()}, limits);
  return r.ok() ? ok_status() : r.status();
}

void expect_error(const Status& st, StatusCode code, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), code) << st.to_string();
  for (const char* p : parts) EXPECT_NE(st.message().find(p), std::string::npos) << st.message() << " lacks: " << p;
}

// The classic payload: GLOBAL module.name, MARK, a string argument, TUPLE, REDUCE.
std::string exploit(const std::string& module, const std::string& name) {
  PickleBuilder b;
  b.proto(2).global(module, name).mark().str("touch /tmp/pwned").op('t').op('R').stop();
  return b.bytes();
}

TEST(PickleMalformed, OsSystemIsRefused) {
  expect_error(unpickle_status(exploit("os", "system")), StatusCode::kInvalidArgument,
               {"global 'os.system' is not allowed", "offset 2"});
}

TEST(PickleMalformed, BuiltinsEvalIsRefusedThroughStackGlobal) {
  PickleBuilder b;
  b.proto(4).stack_global("builtins", "eval").mark().str("1+1").op('t').op('R').stop();
  expect_error(unpickle_status(b.bytes()), StatusCode::kInvalidArgument, {"'builtins.eval'"});
}

TEST(PickleMalformed, SubprocessPopenIsRefused) {
  expect_error(unpickle_status(exploit("subprocess", "Popen")), StatusCode::kInvalidArgument,
               {"'subprocess.Popen'"});
}

TEST(PickleMalformed, PosixSystemIsRefused) {
  expect_error(unpickle_status(exploit("posix", "system")), StatusCode::kInvalidArgument,
               {"'posix.system'"});
}

TEST(PickleMalformed, LookalikeTorchGlobalsAreRefused) {
  expect_error(unpickle_status(exploit("torch", "load")), StatusCode::kInvalidArgument, {"'torch.load'"});
  // A newline in the name ends the GLOBAL operand early; what follows ('o', OBJ) is refused.
  expect_error(unpickle_status(exploit("torch._utils", "_rebuild_tensor_v2\nos")),
               StatusCode::kUnsupported, {"opcode 0x6f"});
  expect_error(unpickle_status(exploit("collections ", "OrderedDict")), StatusCode::kInvalidArgument,
               {"'collections .OrderedDict'"});
}

TEST(PickleMalformed, AllowedButNotCallableGlobal) {
  PickleBuilder b;
  b.proto(2).global("torch", "FloatStorage").op(')').op('R').stop();
  expect_error(unpickle_status(b.bytes()), StatusCode::kInvalidArgument,
               {"'torch.FloatStorage' cannot be called"});
}

TEST(PickleMalformed, UnknownOpcodeNamesByteAndOffset) {
  PickleBuilder b;
  b.proto(2).op('N').op(0xff).stop();
  expect_error(unpickle_status(b.bytes()), StatusCode::kUnsupported, {"opcode 0xff", "offset 3"});
  PickleBuilder text;  // protocol 0 INT, outside the supported subset
  text.op('I').byte('1').byte('\n').stop();
  expect_error(unpickle_status(text.bytes()), StatusCode::kUnsupported, {"opcode 0x49", "offset 0"});
  PickleBuilder obj;  // NEWOBJ builds arbitrary classes: refused
  obj.proto(2).global("collections", "OrderedDict").op(')').op(0x81).stop();
  expect_error(unpickle_status(obj.bytes()), StatusCode::kUnsupported, {"opcode 0x81"});
}

TEST(PickleMalformed, TruncatedAtEveryByteNeverCrashes) {
  Result<std::string> zip_bytes = read_file(std::string(CORRAL_REPO_DIR) + "/tests/golden/tiny_llama_hf/mixed.pt");
  ASSERT_TRUE(zip_bytes.ok());
  Result<ZipReader> zip = ZipReader::parse({reinterpret_cast<const std::byte*>(zip_bytes->data()), zip_bytes->size()});
  ASSERT_TRUE(zip.ok());
  const ZipEntry* e = zip->find("mixed/data.pkl");
  ASSERT_NE(e, nullptr);
  Result<std::span<const std::byte>> pkl = zip->stored_data(*e);
  ASSERT_TRUE(pkl.ok());
  ASSERT_TRUE(unpickle_restricted(*pkl).ok());
  for (size_t n = 0; n < pkl->size(); ++n) {
    Result<PickleTree> r = unpickle_restricted(pkl->first(n));
    ASSERT_FALSE(r.ok()) << "a pickle cut at byte " << n << " has no STOP";
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().to_string();
  }
}

TEST(PickleMalformed, DeepMarkNesting) {
  std::string s = "\x80\x02" + std::string(100000, '(') + ".";
  expect_error(unpickle_status(s), StatusCode::kCorrupt, {"nested MARKs"});
}

TEST(PickleMalformed, DeepStack) {
  std::string s = "\x80\x02" + std::string(100000, ']') + ".";
  expect_error(unpickle_status(s), StatusCode::kCorrupt, {"stack deeper than"});
}

TEST(PickleMalformed, HugeMemoIndex) {
  PickleBuilder b;  // LONG_BINPUT 0xffffffff works (no allocation by index), LONG_BINGET of a hole fails
  b.proto(2).op('N').op('r').le(0xffffffffu, 4).op('j').le(0xfffffffeu, 4).stop();
  expect_error(unpickle_status(b.bytes()), StatusCode::kCorrupt, {"memo index 4294967294 was never stored"});
  PickleBuilder many;
  many.proto(2).op('N');
  for (int i = 0; i < 20; ++i) many.op('q').byte(i);
  many.stop();
  expect_error(unpickle_status(many.bytes(), UnpickleLimits{.max_memo = 10}), StatusCode::kCorrupt,
               {"more than 10 memo entries"});
}

TEST(PickleMalformed, HugeLengthsDoNotAllocate) {
  PickleBuilder s8;
  s8.proto(4).op(0x8d).le(uint64_t{1} << 62, 8).stop();  // BINUNICODE8 of 2^62 bytes
  expect_error(unpickle_status(s8.bytes()), StatusCode::kCorrupt, {"truncated string"});
  PickleBuilder l4;
  l4.proto(2).op(0x8b).le(0x7fffffff, 4).stop();  // LONG4 of 2 GB
  expect_error(unpickle_status(l4.bytes()), StatusCode::kCorrupt, {"wider than 64 bits"});
}

TEST(PickleMalformed, MemoReuseCannotMultiplyWork) {
  // One list of 1000 pairs, then OrderedDict(list) rebuilt from the memo 100000 times.
  PickleBuilder b;
  b.proto(2).global("collections", "OrderedDict").op('q').byte(0).op(']');
  b.mark();
  for (int i = 0; i < 1000; ++i) b.str("k").op('N').op(0x86);
  b.op('e').op(0x85).op('q').byte(1);  // (list,) -> memo 1
  for (int i = 0; i < 100000; ++i) b.op('h').byte(0).op('h').byte(1).op('R').op('0');
  b.op('N').stop();
  expect_error(unpickle_status(b.bytes()), StatusCode::kCorrupt, {"expand past"});
  PickleBuilder args;
  args.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark();
  for (int i = 0; i < 8; ++i) args.op('N');
  args.op('t').op('R').stop();
  expect_error(unpickle_status(args.bytes()), StatusCode::kCorrupt, {"more than 7 arguments"});
}

TEST(PickleMalformed, NodeLimit) {
  std::string s = "\x80\x02]";
  for (int i = 0; i < 100; ++i) s += "Na";
  s += ".";
  expect_error(unpickle_status(s, UnpickleLimits{.max_nodes = 50}), StatusCode::kCorrupt, {"more than 50 values"});
}

TEST(PickleMalformed, StackUnderflowAndMissingMark) {
  expect_error(unpickle_status("\x80\x02" "a."), StatusCode::kCorrupt, {"stack underflow", "offset 2"});
  expect_error(unpickle_status("\x80\x02" "t."), StatusCode::kCorrupt, {"no MARK"});
  expect_error(unpickle_status("\x80\x02" "."), StatusCode::kCorrupt, {"empty stack"});
  expect_error(unpickle_status("\x80\x02" "N"), StatusCode::kCorrupt, {"no STOP"});
  expect_error(unpickle_status("\x80\x02" "NNa."), StatusCode::kCorrupt, {"APPEND to a value that is not a list"});
}

TEST(PickleMalformed, BadPersistentIdAndRebuildArguments) {
  PickleBuilder pid;
  pid.proto(2).mark().str("storage").str("not a type").str("0").str("cpu").integer(4).op('t').op('Q').stop();
  expect_error(unpickle_status(pid.bytes()), StatusCode::kCorrupt, {"storage type"});
  PickleBuilder args;
  args.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark().integer(1).integer(2).op(')').op(')')
      .op('t').op('R').stop();
  expect_error(unpickle_status(args.bytes()), StatusCode::kCorrupt, {"not a storage"});
  PickleBuilder neg;
  neg.proto(2).global("torch._utils", "_rebuild_tensor_v2").mark().storage("FloatStorage", "0", 4)
      .integer(0).tuple_of_ints({-1}).tuple_of_ints({1}).op('t').op('R').stop();
  expect_error(unpickle_status(neg.bytes()), StatusCode::kCorrupt, {"size is not a non-negative integer"});
}

}  // namespace
}  // namespace corral
