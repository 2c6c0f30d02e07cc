// Test helpers: writes pickle opcodes by hand, following the pickle protocol's opcode table,
// and torch.save-style zip archives through libzip (an independent ZIP writer).
#pragma once

#include <zip.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace corral::testing {

class PickleBuilder {
 public:
  PickleBuilder& proto(int v) { return op(0x80).byte(v); }
  PickleBuilder& op(int code) { return byte(code); }
  PickleBuilder& byte(int b) { out_.push_back(static_cast<char>(b)); return *this; }
  PickleBuilder& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) byte(static_cast<int>((v >> (8 * i)) & 0xff));
    return *this;
  }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& str(const std::string& s) {  // BINUNICODE
    op('X').le(s.size(), 4);
    out_ += s;
    return *this;
  }
  PickleBuilder& integer(int64_t v) {  // BININT1 / BININT
    if (v >= 0 && v < 256) return op('K').byte(static_cast<int>(v));
    return op('J').le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
  }
  PickleBuilder& global(const std::string& module, const std::string& name) {  // GLOBAL
    op('c');
    out_ += module + "\n" + name + "\n";
    return *this;
  }
  PickleBuilder& stack_global(const std::string& module, const std::string& name) {
    return str(module).str(name).op(0x93);
  }
  PickleBuilder& tuple_of_ints(const std::vector<int64_t>& v) {
    mark();
    for (int64_t x : v) integer(x);
    return op('t');
  }
  PickleBuilder& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
  // ('storage', torch.<type>, key, 'cpu', numel) as a persistent id.
  PickleBuilder& storage(const std::string& type, const std::string& key, int64_t numel) {
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t');
    return op('Q');  // BINPERSID
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  PickleBuilder& tensor(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                        const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    storage(type, key, numel);
    integer(offset).tuple_of_ints(size).tuple_of_ints(stride).op(0x89).ordered_dict();
    return op('t').op('R');
  }
  PickleBuilder& stop() { return op('.'); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

// Contiguous row-major strides of `size`.
inline std::vector<int64_t> strides_of(const std::vector<int64_t>& size) {
  std::vector<int64_t> s(size.size(), 1);
  for (size_t i = size.size(); i-- > 1;) s[i - 1] = s[i] * size[i];
  return s;
}

struct ZipFileSpec {
  std::string name;
  std::string data;
  bool deflate = false;
};

// Writes a zip with libzip (stored entries unless `deflate`) and returns its bytes.
inline std::string make_zip(const std::vector<ZipFileSpec>& files, const std::string& scratch_path) {
  int err = 0;
  zip_t* z = zip_open(scratch_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (z == nullptr) return {};
  for (const auto& f : files) {
    zip_source_t* src = zip_source_buffer(z, f.data.data(), f.data.size(), 0);
    zip_int64_t idx = zip_file_add(z, f.name.c_str(), src, ZIP_FL_OVERWRITE);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), f.deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) return {};
  FILE* fp = std::fopen(scratch_path.c_str(), "rb");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) out.append(buf, n);
  std::fclose(fp);
  std::remove(scratch_path.c_str());
  return out;
}

// A torch.save-like archive: archive/data.pkl, archive/byteorder, archive/data/<key>...
inline std::string make_torch_zip(const std::string& pickle,
                                  const std::vector<std::pair<std::string, std::string>>& storages,
                                  const std::string& scratch_path, const std::string& byteorder = "little") {
  std::vector<ZipFileSpec> files = {{"archive/data.pkl", pickle}, {"archive/byteorder", byteorder}};
  for (const auto& [key, data] : storages) files.push_back({"archive/data/" + key, data});
  files.push_back({"archive/version", "3\n"});
  return make_zip(files, scratch_path);
}

}  // namespace corral::testing
