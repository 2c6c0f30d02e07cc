#include "formats/tensor_listing.h"

#include <string_view>

#include "formats/gguf.h"
#include "formats/hf_checkpoint.h"
#include "util/file.h"

namespace corral {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

enum class Sniffed { kUnknown, kGguf, kZip, kSafetensors };

// Looks at the first bytes of a file whose extension says nothing.
Sniffed sniff(const std::string& path) {
  Result<MappedFile> f = MappedFile::open(path);
  if (!f.ok() || f->size() < 9) return Sniffed::kUnknown;
  const auto* p = reinterpret_cast<const unsigned char*>(f->data());
  if (p[0] == 'G' && p[1] == 'G' && p[2] == 'U' && p[3] == 'F') return Sniffed::kGguf;
  if (p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4) return Sniffed::kZip;
  if (p[8] == '{') return Sniffed::kSafetensors;
  return Sniffed::kUnknown;
}

// safetensors, torch and HF folders are listed sorted by name (byte order): the torch pickle's
// order and the safetensors header's order differ for the same model, and one deterministic
// order makes the listings of both comparable line by line.
CheckpointListing to_listing(HfWeightFormat format, const std::vector<HfTensor>& tensors) {
  CheckpointListing out;
  out.format = std::string(hf_weight_format_name(format));
  out.tensors.reserve(tensors.size());
  for (const HfTensor& t : tensors) {
    TensorListing l;
    l.name = t.name;
    l.shape = t.shape;
    std::optional<DType> gguf = hf_dtype_to_gguf(t.dtype);
    l.dtype = gguf ? std::string(dtype_name(*gguf)) : std::string(hf_dtype_name(t.dtype));
    l.bytes = t.data.size();
    out.tensors.push_back(std::move(l));
  }
  return out;
}

Result<CheckpointListing> list_hf(Result<HfCheckpoint> ckpt) {
  if (!ckpt.ok()) return ckpt.status();
  return to_listing(ckpt->format(), ckpt->tensors());
}

}  // namespace

uint64_t CheckpointListing::parameters() const {
  uint64_t n = 0;
  for (const auto& t : tensors) {
    uint64_t e = 1;
    for (int64_t d : t.shape) e *= static_cast<uint64_t>(d);
    n += e;
  }
  return n;
}

uint64_t CheckpointListing::bytes() const {
  uint64_t n = 0;
  for (const auto& t : tensors) n += t.bytes;
  return n;
}

Result<CheckpointListing> list_checkpoint_tensors(const std::string& path) {
  if (is_directory(path)) return list_hf(HfCheckpoint::open_directory(path));
  if (!path_exists(path)) return not_found("%s: no such file or directory", path.c_str());
  if (ends_with(path, ".gguf")) return list_gguf_tensors(path);
  if (ends_with(path, ".safetensors") || ends_with(path, ".index.json") || ends_with(path, ".bin") ||
      ends_with(path, ".pt") || ends_with(path, ".pth")) {
    return list_hf(HfCheckpoint::open_file(path));
  }
  switch (sniff(path)) {
    case Sniffed::kGguf:
      return list_gguf_tensors(path);
    case Sniffed::kZip: {
      Result<TorchCheckpoint> t = TorchCheckpoint::open(path);
      if (!t.ok()) return t.status();
      return to_listing(HfWeightFormat::kTorch, t->tensors());
    }
    case Sniffed::kSafetensors: {
      Result<SafetensorsFile> f = SafetensorsFile::open(path);
      if (!f.ok()) return f.status();
      return to_listing(HfWeightFormat::kSafetensors, f->tensors());
    }
    case Sniffed::kUnknown:
      break;
  }
  return unsupported("%s: not a GGUF, safetensors or PyTorch checkpoint", path.c_str());
}

}  // namespace corral
