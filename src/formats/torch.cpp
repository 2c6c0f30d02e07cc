#include "formats/torch.h"

#include <algorithm>

#include "formats/pickle.h"
#include "formats/zip_reader.h"

namespace corral {
namespace {

constexpr int kMaxDictNesting = 8;

struct TensorRef {
  std::string name;
  uint32_t node;
};

// Walks dicts of tensors. Each dict may be reached once: shared or cyclic dicts (legal in a
// pickle, absent from real checkpoints) would otherwise multiply the walk exponentially.
Status collect_tensors(const PickleTree& tree, uint32_t dict, const std::string& prefix, int depth,
                       std::vector<bool>* seen, std::vector<TensorRef>* out) {
  if (depth > kMaxDictNesting) {
    return unsupported("checkpoint: dicts nested deeper than %d at '%s'", kMaxDictNesting, prefix.c_str());
  }
  if ((*seen)[dict]) {
    return unsupported("checkpoint: the dict at '%s' is reached twice (shared or cyclic)", prefix.c_str());
  }
  (*seen)[dict] = true;
  const auto& items = tree.node(dict).items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const PickleNode& key = tree.node(items[i]);
    const PickleNode& value = tree.node(items[i + 1]);
    if (value.kind != PickleKind::kTensor && value.kind != PickleKind::kDict) continue;
    if (key.kind != PickleKind::kString) {
      return corrupt("checkpoint: a tensor or dict under '%s' has a key that is not a string",
                     prefix.c_str());
    }
    std::string name = prefix.empty() ? key.text : prefix + "." + key.text;
    if (value.kind == PickleKind::kTensor) {
      out->push_back({std::move(name), items[i + 1]});
    } else {
      CORRAL_TRY(collect_tensors(tree, items[i + 1], name, depth + 1, seen, out));
    }
  }
  return ok_status();
}

std::string dims_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// True when `stride` is the row-major stride of `shape` (dimensions of size 1 may have any).
bool is_contiguous(const std::vector<int64_t>& shape, const std::vector<int64_t>& stride) {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && stride[i] != expected) return false;
    if (__builtin_mul_overflow(expected, shape[i], &expected)) return false;
  }
  return true;
}

// Finds "<archive>/data.pkl" with a single-level archive folder; returns the folder.
Result<std::string> find_archive_prefix(const ZipReader& zip) {
  std::string prefix;
  for (const ZipEntry& e : zip.entries()) {
    const std::string_view n = e.name;
    const size_t slash = n.find('/');
    if (slash != std::string_view::npos && n.substr(slash) == "/data.pkl") {
      if (!prefix.empty()) return corrupt("checkpoint: more than one data.pkl in the archive");
      prefix = std::string(n.substr(0, slash + 1));
    }
  }
  if (prefix.empty()) return corrupt("checkpoint: the zip holds no '<archive>/data.pkl'");
  return prefix;
}

Result<HfTensor> resolve_tensor(const PickleTree& tree, const TensorRef& ref, const ZipReader& zip,
                                const std::string& prefix) {
  const PickleNode& t = tree.node(ref.node);
  const PickleNode& storage = tree.node(t.items[0]);
  const char* n = ref.name.c_str();
  const std::string entry_name = prefix + "data/" + storage.text;
  const ZipEntry* entry = zip.find(entry_name);
  if (entry == nullptr) {
    return corrupt("tensor '%s': storage '%s' is missing from the archive (no entry '%s')", n,
                   storage.text.c_str(), entry_name.c_str());
  }
  CORRAL_ASSIGN_OR_RETURN(std::span<const std::byte> data, zip.stored_data(*entry));
  const uint64_t esize = hf_dtype_size(storage.dtype);
  uint64_t storage_bytes = 0;
  if (!checked_mul(storage.numel, esize, &storage_bytes) || storage_bytes > data.size()) {
    return corrupt("tensor '%s': storage '%s' declares %llu elements of %s but its entry holds %zu bytes",
                   n, storage.text.c_str(), static_cast<unsigned long long>(storage.numel),
                   std::string(hf_dtype_name(storage.dtype)).c_str(), data.size());
  }
  if (!is_contiguous(t.shape, t.stride)) {
    return unsupported("tensor '%s': shape %s with stride %s is not contiguous; re-save it with "
                       ".contiguous()", n, dims_text(t.shape).c_str(), dims_text(t.stride).c_str());
  }
  std::optional<uint64_t> numel = checked_num_elements(t.shape);
  uint64_t end = 0, begin = static_cast<uint64_t>(t.int_value);
  if (!numel || !checked_add(begin, *numel, &end) || end > storage.numel) {
    return corrupt("tensor '%s': elements [%llu, +%s) are out of bounds of storage '%s' (%llu elements)",
                   n, static_cast<unsigned long long>(begin), numel ? std::to_string(*numel).c_str() : "overflow",
                   storage.text.c_str(), static_cast<unsigned long long>(storage.numel));
  }
  HfTensor out;
  out.name = ref.name;
  out.dtype = storage.dtype;
  out.shape = t.shape;
  out.data = data.subspan(static_cast<size_t>(begin * esize), static_cast<size_t>(*numel * esize));
  return out;
}

}  // namespace

Status TorchCheckpoint::init(std::span<const std::byte> bytes) {
  if (bytes.size() < 4 || std::to_integer<char>(bytes[0]) != 'P' || std::to_integer<char>(bytes[1]) != 'K') {
    if (!bytes.empty() && bytes[0] == std::byte{0x80}) {
      return unsupported("legacy (pre-1.6, non-zip) torch.save format is not supported; re-save "
                         "with a newer torch");
    }
    return corrupt("not a torch.save zip archive (no 'PK' signature)");
  }
  CORRAL_ASSIGN_OR_RETURN(ZipReader zip, ZipReader::parse(bytes));
  CORRAL_ASSIGN_OR_RETURN(std::string prefix, find_archive_prefix(zip));
  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    CORRAL_ASSIGN_OR_RETURN(std::span<const std::byte> b, zip.stored_data(*order));
    std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
    if (text != "little") {
      return unsupported("checkpoint byte order is '%s'; only little-endian is supported",
                         std::string(text.substr(0, 16)).c_str());
    }
  }
  CORRAL_ASSIGN_OR_RETURN(std::span<const std::byte> pkl, zip.stored_data(*zip.find(prefix + "data.pkl")));
  CORRAL_ASSIGN_OR_RETURN(PickleTree tree, unpickle_restricted(pkl));
  if (tree.node(tree.root()).kind != PickleKind::kDict) {
    return unsupported("checkpoint: the pickled object is not a dict of tensors");
  }
  std::vector<TensorRef> refs;
  std::vector<bool> seen(tree.size(), false);
  CORRAL_TRY(collect_tensors(tree, tree.root(), "", 0, &seen, &refs));
  tensors_.reserve(refs.size());
  for (const TensorRef& ref : refs) {
    CORRAL_ASSIGN_OR_RETURN(HfTensor t, resolve_tensor(tree, ref, zip, prefix));
    tensors_.push_back(std::move(t));
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const HfTensor& a, const HfTensor& b) { return a.name < b.name; });
  for (size_t i = 1; i < tensors_.size(); ++i) {
    if (tensors_[i].name == tensors_[i - 1].name) {
      return corrupt("checkpoint: tensor '%s' appears twice", tensors_[i].name.c_str());
    }
  }
  return ok_status();
}

Result<TorchCheckpoint> TorchCheckpoint::open(const std::string& path) {
  TorchCheckpoint out;
  CORRAL_ASSIGN_OR_RETURN(out.file_, MappedFile::open(path));
  Status st = out.init(out.file_.bytes());
  if (!st.ok()) return st.with_context(path);
  return out;
}

Result<TorchCheckpoint> TorchCheckpoint::parse(std::span<const std::byte> bytes) {
  TorchCheckpoint out;
  CORRAL_TRY(out.init(bytes));
  return out;
}

const HfTensor* TorchCheckpoint::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const HfTensor& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

}  // namespace corral
