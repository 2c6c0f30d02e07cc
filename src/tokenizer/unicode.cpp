#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>

namespace corral::unicode {
namespace {

struct CategoryRun {
  uint32_t start;
  uint8_t category;
};
struct CaseMapping {
  uint32_t from;
  uint32_t to;
};
struct Decomposition {
  uint32_t cp;
  uint32_t offset;
  uint32_t length;
};

#include "tokenizer/unicode_tables.inc"

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Checks the second byte's range for a lead byte (the rules of Unicode Table 3-7).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return is_continuation(b);
  }
}

// Expected length for a lead byte, 0 if it can never start a well-formed sequence.
size_t expected_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Number of bytes at pos that form a valid prefix of a sequence (stops at the first bad byte).
size_t valid_prefix(std::string_view text, size_t pos, size_t* need) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  *need = expected_length(lead);
  if (*need == 0) return 0;
  size_t n = 1;
  while (n < *need && pos + n < text.size()) {
    const auto b = static_cast<uint8_t>(text[pos + n]);
    if (n == 1 ? !second_byte_ok(lead, b) : !is_continuation(b)) break;
    ++n;
  }
  return n;
}

uint32_t assemble(std::string_view text, size_t pos, size_t n) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  uint32_t cp = n == 1 ? lead : n == 2 ? (lead & 0x1F) : n == 3 ? (lead & 0x0F) : (lead & 0x07);
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
  return cp;
}

std::array<uint32_t, 256> make_byte_map() {
  std::array<uint32_t, 256> map{};
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    map[static_cast<size_t>(b)] = printable ? static_cast<uint32_t>(b) : next++;
  }
  return map;
}

const std::array<uint32_t, 256>& byte_map() {
  static const std::array<uint32_t, 256> map = make_byte_map();
  return map;
}

}  // namespace

size_t decode_utf8(std::string_view text, size_t pos, uint32_t* cp) {
  bool incomplete = false;
  return decode_utf8_prefix(text, pos, cp, &incomplete);
}

size_t decode_utf8_prefix(std::string_view text, size_t pos, uint32_t* cp, bool* incomplete) {
  *incomplete = false;
  if (pos >= text.size()) return 0;
  size_t need = 0;
  const size_t n = valid_prefix(text, pos, &need);
  if (need == 0 || n == 0) return 0;
  if (n < need) {
    *incomplete = pos + n == text.size();
    return 0;
  }
  *cp = assemble(text, pos, n);
  return n;
}

size_t invalid_utf8_length(std::string_view text, size_t pos) {
  size_t need = 0;
  const size_t n = valid_prefix(text, pos, &need);
  return n == 0 ? 1 : n;
}

size_t char_length_at(std::string_view text, size_t pos) {
  uint32_t cp = 0;
  const size_t n = decode_utf8(text, pos, &cp);
  return n == 0 ? 1 : n;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(uint32_t cp) {
  std::string s;
  append_utf8(cp, &s);
  return s;
}

std::vector<uint32_t> to_code_points(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    const size_t n = decode_utf8(text, pos, &cp);
    if (n == 0) {
      cps.push_back(kReplacementChar);
      pos += 1;
    } else {
      cps.push_back(cp);
      pos += n;
    }
  }
  return cps;
}

Category category(uint32_t cp) {
  if (cp > 0x10FFFF) return Category::kCn;
  auto it = std::upper_bound(std::begin(kCategoryRuns), std::end(kCategoryRuns), cp,
                             [](uint32_t v, const CategoryRun& r) { return v < r.start; });
  return static_cast<Category>(std::prev(it)->category);
}

bool is_white_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

uint32_t to_lower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  auto it = std::lower_bound(std::begin(kLowercase), std::end(kLowercase), cp,
                             [](const CaseMapping& m, uint32_t v) { return m.from < v; });
  return (it != std::end(kLowercase) && it->from == cp) ? it->to : cp;
}

void append_nfd(uint32_t cp, std::vector<uint32_t>* out) {
  // Hangul syllables decompose algorithmically (Unicode 3.12).
  constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr uint32_t kTCount = 28, kNCount = 21 * 28, kSCount = 19 * 21 * 28;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  if (cp < 0xC0) {
    out->push_back(cp);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const Decomposition& d, uint32_t v) { return d.cp < v; });
  if (it == std::end(kDecompositions) || it->cp != cp) {
    out->push_back(cp);
    return;
  }
  out->insert(out->end(), kDecompositionData + it->offset,
              kDecompositionData + it->offset + it->length);
}

uint32_t byte_to_code_point(uint8_t byte) { return byte_map()[byte]; }

int byte_from_code_point(uint32_t cp) {
  static const std::array<int16_t, 324> reverse = [] {
    std::array<int16_t, 324> r{};
    r.fill(-1);
    for (int b = 0; b < 256; ++b) r[byte_map()[static_cast<size_t>(b)]] = static_cast<int16_t>(b);
    return r;
  }();
  return cp < reverse.size() ? reverse[cp] : -1;
}

}  // namespace corral::unicode
