// Unicode helpers of the tokenizers: UTF-8 decoding/encoding that never fails on bad bytes,
// general categories, simple lowercase, canonical decomposition (NFD) and GPT-2's byte <->
// unicode mapping. Tables are generated from Python's unicodedata by
// tools/make_tokenizer_goldens.py. Depends on the standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::unicode {

enum class Category : uint8_t {
  kCn, kLu, kLl, kLt, kLm, kLo, kMn, kMc, kMe, kNd, kNl, kNo, kPc, kPd, kPs, kPe, kPi, kPf, kPo,
  kSm, kSc, kSk, kSo, kZs, kZl, kZp, kCc, kCf, kCs, kCo,
};

constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence a lead byte announces (1 for continuation/invalid bytes).
inline size_t utf8_lead_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Decodes one well-formed code point at text[pos]. Returns the number of bytes consumed (0 when
// the bytes there are not well-formed UTF-8: bad lead, bad continuation, overlong, surrogate,
// > U+10FFFF, or truncated). `*cp` is set only on success.
size_t decode_utf8(std::string_view text, size_t pos, uint32_t* cp);

// Like decode_utf8, but tells a truncated-but-valid prefix at the end of `text` (returns 0 and
// sets *incomplete = true) from an invalid sequence (returns 0, *incomplete = false).
size_t decode_utf8_prefix(std::string_view text, size_t pos, uint32_t* cp, bool* incomplete);

// Length of the maximal ill-formed subpart at text[pos] (Unicode's "best practice" for U+FFFD
// substitution): at least 1.
size_t invalid_utf8_length(std::string_view text, size_t pos);

void append_utf8(uint32_t cp, std::string* out);
std::string to_utf8(uint32_t cp);

// Code points of `text`; each ill-formed byte becomes U+FFFD.
std::vector<uint32_t> to_code_points(std::string_view text);

// Byte length of each "character" of `text`: a well-formed sequence, or 1 for an ill-formed
// byte. Used to cut text into the initial symbols of SentencePiece and BPE.
size_t char_length_at(std::string_view text, size_t pos);

Category category(uint32_t cp);
inline bool is_punctuation(uint32_t cp) {
  Category c = category(cp);
  return c >= Category::kPc && c <= Category::kPo;
}
// Unicode White_Space property.
bool is_white_space(uint32_t cp);
// Simple (one code point) lowercase mapping; cp itself when it has none.
uint32_t to_lower(uint32_t cp);
// Appends the full canonical decomposition of cp (without canonical reordering).
void append_nfd(uint32_t cp, std::vector<uint32_t>* out);

// GPT-2 byte-level mapping: each byte to a printable code point, and back (-1 if none).
uint32_t byte_to_code_point(uint8_t byte);
int byte_from_code_point(uint32_t cp);

}  // namespace corral::unicode
