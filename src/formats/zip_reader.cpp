#include "formats/zip_reader.h"

#include <algorithm>

#include "util/dtype.h"

namespace corral {
namespace {

constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;

uint64_t le(std::span<const std::byte> b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | std::to_integer<uint64_t>(b[at + i]);
  return v;
}

// True when [at, at+n) lies inside b.
bool inside(std::span<const std::byte> b, uint64_t at, uint64_t n) {
  return at <= b.size() && n <= b.size() - at;
}

struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

Result<Directory> find_directory(std::span<const std::byte> b) {
  if (b.size() < kEocdSize) return corrupt("zip: file of %zu bytes has no end-of-directory record", b.size());
  const size_t last = b.size() - kEocdSize;
  const size_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  size_t eocd = SIZE_MAX;
  for (size_t at = last + 1; at-- > first;) {
    if (le(b, at, 4) == kEocdSig && at + kEocdSize + le(b, at + 20, 2) == b.size()) {
      eocd = at;
      break;
    }
  }
  if (eocd == SIZE_MAX) return corrupt("zip: no end-of-central-directory record");
  if (le(b, eocd + 4, 2) != 0 || le(b, eocd + 6, 2) != 0) {
    return unsupported("zip: multi-disk archives are not supported");
  }
  Directory d{le(b, eocd + 10, 2), le(b, eocd + 12, 4), le(b, eocd + 16, 4)};
  const bool needs64 = d.entries == 0xFFFF || d.size == 0xFFFFFFFF || d.offset == 0xFFFFFFFF;
  if (eocd >= 20 && le(b, eocd - 20, 4) == kZip64LocatorSig) {
    uint64_t at = le(b, eocd - 20 + 8, 8);
    if (!inside(b, at, 56) || le(b, static_cast<size_t>(at), 4) != kZip64EocdSig) {
      return corrupt("zip: ZIP64 end-of-directory record at %llu is missing or out of bounds",
                     static_cast<unsigned long long>(at));
    }
    const size_t z = static_cast<size_t>(at);
    d = Directory{le(b, z + 32, 8), le(b, z + 40, 8), le(b, z + 48, 8)};
  } else if (needs64) {
    return corrupt("zip: ZIP64 sizes are used but the ZIP64 locator is missing");
  }
  if (!inside(b, d.offset, d.size)) {
    return corrupt("zip: central directory [%llu, +%llu) is outside the file",
                   static_cast<unsigned long long>(d.offset), static_cast<unsigned long long>(d.size));
  }
  if (d.entries > d.size / kCentralSize) {
    return corrupt("zip: %llu entries cannot fit in a central directory of %llu bytes",
                   static_cast<unsigned long long>(d.entries), static_cast<unsigned long long>(d.size));
  }
  return d;
}

// Applies the ZIP64 extended-information extra field (id 1) to the fields marked 0xFFFFFFFF.
Status apply_zip64_extra(std::span<const std::byte> extra, ZipEntry* e, bool size64, bool comp64,
                         bool off64) {
  size_t at = 0;
  while (at + 4 <= extra.size()) {
    const uint64_t id = le(extra, at, 2);
    const uint64_t len = le(extra, at + 2, 2);
    if (at + 4 + len > extra.size()) break;
    if (id == 1) {
      size_t p = at + 4;
      const size_t end = p + len;
      auto take = [&](uint64_t* out) -> bool {
        if (p + 8 > end) return false;
        *out = le(extra, p, 8);
        p += 8;
        return true;
      };
      if ((size64 && !take(&e->size)) || (comp64 && !take(&e->compressed_size)) ||
          (off64 && !take(&e->local_header_offset))) {
        return corrupt("zip: entry '%s': ZIP64 extra field is too short", e->name.c_str());
      }
      return ok_status();
    }
    at += 4 + len;
  }
  if (size64 || comp64 || off64) {
    return corrupt("zip: entry '%s': ZIP64 sizes are used but the extra field is missing",
                   e->name.c_str());
  }
  return ok_status();
}

}  // namespace

Result<ZipReader> ZipReader::parse(std::span<const std::byte> b) {
  CORRAL_ASSIGN_OR_RETURN(Directory dir, find_directory(b));
  ZipReader out;
  out.bytes_ = b;
  out.entries_.reserve(static_cast<size_t>(dir.entries));
  size_t at = static_cast<size_t>(dir.offset);
  const size_t end = static_cast<size_t>(dir.offset + dir.size);
  for (uint64_t i = 0; i < dir.entries; ++i) {
    if (at + kCentralSize > end || le(b, at, 4) != kCentralSig) {
      return corrupt("zip: central directory entry %llu at offset %zu is malformed",
                     static_cast<unsigned long long>(i), at);
    }
    const size_t name_len = static_cast<size_t>(le(b, at + 28, 2));
    const size_t extra_len = static_cast<size_t>(le(b, at + 30, 2));
    const size_t comment_len = static_cast<size_t>(le(b, at + 32, 2));
    if (at + kCentralSize + name_len + extra_len + comment_len > end) {
      return corrupt("zip: central directory entry %llu runs past the directory",
                     static_cast<unsigned long long>(i));
    }
    ZipEntry e;
    e.flags = static_cast<uint16_t>(le(b, at + 8, 2));
    e.method = static_cast<uint16_t>(le(b, at + 10, 2));
    e.compressed_size = le(b, at + 20, 4);
    e.size = le(b, at + 24, 4);
    e.local_header_offset = le(b, at + 42, 4);
    e.name.assign(reinterpret_cast<const char*>(b.data() + at + kCentralSize), name_len);
    CORRAL_TRY(apply_zip64_extra(b.subspan(at + kCentralSize + name_len, extra_len), &e,
                                 e.size == 0xFFFFFFFF, e.compressed_size == 0xFFFFFFFF,
                                 e.local_header_offset == 0xFFFFFFFF));
    out.entries_.push_back(std::move(e));
    at += kCentralSize + name_len + extra_len + comment_len;
  }
  std::sort(out.entries_.begin(), out.entries_.end(),
            [](const ZipEntry& x, const ZipEntry& y) { return x.name < y.name; });
  for (size_t i = 1; i < out.entries_.size(); ++i) {
    if (out.entries_[i].name == out.entries_[i - 1].name) {
      return corrupt("zip: entry '%s' appears twice", out.entries_[i].name.c_str());
    }
  }
  return out;
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const ZipEntry& e, std::string_view n) { return e.name < n; });
  if (it == entries_.end() || it->name != name) return nullptr;
  return &*it;
}

Result<std::span<const std::byte>> ZipReader::stored_data(const ZipEntry& e) const {
  const char* n = e.name.c_str();
  if (e.flags & 1) return unsupported("zip: entry '%s' is encrypted", n);
  if (e.method != 0) {
    return unsupported("zip: entry '%s' is compressed (method %u); only stored entries can be mapped",
                       n, static_cast<unsigned>(e.method));
  }
  if (e.compressed_size != e.size) {
    return corrupt("zip: stored entry '%s' has compressed size %llu != size %llu", n,
                   static_cast<unsigned long long>(e.compressed_size),
                   static_cast<unsigned long long>(e.size));
  }
  const std::span<const std::byte> b = bytes_;
  if (!inside(b, e.local_header_offset, kLocalSize) ||
      le(b, static_cast<size_t>(e.local_header_offset), 4) != kLocalSig) {
    return corrupt("zip: entry '%s': local header at %llu is missing", n,
                   static_cast<unsigned long long>(e.local_header_offset));
  }
  const size_t h = static_cast<size_t>(e.local_header_offset);
  uint64_t data_at = e.local_header_offset + kLocalSize + le(b, h + 26, 2) + le(b, h + 28, 2);
  if (!inside(b, data_at, e.size)) {
    return corrupt("zip: entry '%s': data [%llu, +%llu) is past the end of the file", n,
                   static_cast<unsigned long long>(data_at), static_cast<unsigned long long>(e.size));
  }
  return b.subspan(static_cast<size_t>(data_at), static_cast<size_t>(e.size));
}

}  // namespace corral
