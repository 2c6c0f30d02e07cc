// UTF-8 and Unicode property helpers against the Unicode standard (Table 3-7 well-formed byte
// sequences, UnicodeData.txt values for a few code points).
#include <gtest/gtest.h>

#include "tokenizer/unicode.h"

namespace corral::unicode {
namespace {

size_t decode(const std::string& s, uint32_t* cp) { return decode_utf8(s, 0, cp); }

TEST(UnicodeTest, DecodesWellFormedUtf8) {
  uint32_t cp = 0;
  EXPECT_EQ(decode("A", &cp), 1u);
  EXPECT_EQ(cp, 0x41u);
  EXPECT_EQ(decode("\xC3\xA9", &cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(decode("\xE2\x82\xAC", &cp), 3u);
  EXPECT_EQ(cp, 0x20ACu);
  EXPECT_EQ(decode("\xF0\x9F\xA6\x99", &cp), 4u);
  EXPECT_EQ(cp, 0x1F999u);
  EXPECT_EQ(decode("\xF4\x8F\xBF\xBF", &cp), 4u);
  EXPECT_EQ(cp, 0x10FFFFu);
}

TEST(UnicodeTest, RejectsIllFormedUtf8) {
  uint32_t cp = 0;
  for (const char* bad : {"\x80", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80",
                          "\xF0\x80\x80\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",
                          "\xC3", "\xE2\x82", "\xC3(", "\xE2\x28\xA1"}) {
    EXPECT_EQ(decode(bad, &cp), 0u) << "bytes: " << bad;
  }
  bool incomplete = false;
  EXPECT_EQ(decode_utf8_prefix("\xE2\x82", 0, &cp, &incomplete), 0u);
  EXPECT_TRUE(incomplete);
  EXPECT_EQ(decode_utf8_prefix("\xE2\x28", 0, &cp, &incomplete), 0u);
  EXPECT_FALSE(incomplete);
  EXPECT_EQ(decode_utf8_prefix("\xED\xA0", 0, &cp, &incomplete), 0u);  // a surrogate's start
  EXPECT_FALSE(incomplete);
  // Maximal subparts (Unicode 3.9, "U+FFFD substitution of maximal subparts").
  EXPECT_EQ(invalid_utf8_length("\xE2\x82" "a", 0), 2u);
  EXPECT_EQ(invalid_utf8_length("\xF0\x9F\xA6" "a", 0), 3u);
  EXPECT_EQ(invalid_utf8_length("\xC0\x80", 0), 1u);
  EXPECT_EQ(invalid_utf8_length("\xED\xA0\x80", 0), 1u);
}

TEST(UnicodeTest, EncodesUtf8) {
  EXPECT_EQ(to_utf8(0x41), "A");
  EXPECT_EQ(to_utf8(0xE9), "\xC3\xA9");
  EXPECT_EQ(to_utf8(0x2581), "\xE2\x96\x81");
  EXPECT_EQ(to_utf8(0x1F999), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(to_code_points("a\xFF" "b"), (std::vector<uint32_t>{'a', kReplacementChar, 'b'}));
}

TEST(UnicodeTest, CategoriesFromUnicodeData) {
  EXPECT_EQ(category('A'), Category::kLu);
  EXPECT_EQ(category('z'), Category::kLl);
  EXPECT_EQ(category(','), Category::kPo);
  EXPECT_EQ(category('('), Category::kPs);
  EXPECT_EQ(category('$'), Category::kSc);
  EXPECT_EQ(category(0x301), Category::kMn);   // combining acute accent
  EXPECT_EQ(category(0x4E00), Category::kLo);  // CJK ideograph
  EXPECT_EQ(category(0x200B), Category::kCf);  // zero width space
  EXPECT_EQ(category(0x0378), Category::kCn);  // unassigned
  EXPECT_EQ(category(0x1F600), Category::kSo);
  EXPECT_EQ(category(0x10FFFF), Category::kCn);
  EXPECT_EQ(category(0x110000), Category::kCn);
  EXPECT_TRUE(is_punctuation(0x3002));  // ideographic full stop
  EXPECT_FALSE(is_punctuation('+'));    // Sm
  EXPECT_TRUE(is_white_space(0x3000));
  EXPECT_TRUE(is_white_space('\n'));
  EXPECT_FALSE(is_white_space(0x200B));
}

TEST(UnicodeTest, LowercaseAndDecomposition) {
  EXPECT_EQ(to_lower('Q'), static_cast<uint32_t>('q'));
  EXPECT_EQ(to_lower(0xC4), 0xE4u);     // Ä -> ä
  EXPECT_EQ(to_lower(0x41F), 0x43Fu);   // П -> п
  EXPECT_EQ(to_lower(0x391), 0x3B1u);   // Α -> α
  EXPECT_EQ(to_lower(0x4E00), 0x4E00u);
  std::vector<uint32_t> out;
  append_nfd(0xC5, &out);  // Å -> A + combining ring above
  EXPECT_EQ(out, (std::vector<uint32_t>{0x41, 0x30A}));
  out.clear();
  append_nfd(0x1EC7, &out);  // ệ -> e + dot below + circumflex (full, recursive)
  EXPECT_EQ(out, (std::vector<uint32_t>{0x65, 0x323, 0x302}));
  out.clear();
  append_nfd(0xAC01, &out);  // 각 -> ᄀ ᅡ ᆨ (algorithmic Hangul)
  EXPECT_EQ(out, (std::vector<uint32_t>{0x1100, 0x1161, 0x11A8}));
  out.clear();
  append_nfd(0xFB01, &out);  // ﬁ has only a compatibility decomposition: unchanged by NFD
  EXPECT_EQ(out, (std::vector<uint32_t>{0xFB01}));
}

}  // namespace
}  // namespace corral::unicode
