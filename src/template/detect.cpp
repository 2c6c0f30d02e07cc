// Detection of built-in templates from Jinja chat templates.
#include <algorithm>
#include <cstdint>

#include "template/go_fmt.h"
#include "template/library.h"

namespace corral::tmpl {
namespace {

struct KnownJinja {
  std::string_view name;
  std::string_view jinja;
};

constexpr KnownJinja kKnown[] = {
#include "template/known_jinja.inc"
};

std::vector<char32_t> runes(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t sz = 1;
    char32_t r = decode_rune(s, i, &sz);
    out.push_back(r == U'\uFFFD' && sz == 1 ? 0x110000 + static_cast<unsigned char>(s[i]) : r);
    i += sz;
  }
  return out;
}

std::string strip_whitespace(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') out.push_back(c);
  }
  return out;
}

constexpr size_t kMaxJinjaBytes = 1u << 20;

}  // namespace

size_t bounded_edit_distance(std::string_view as, std::string_view bs, size_t limit) {
  std::vector<char32_t> a = runes(as), b = runes(bs);
  if (a.size() > b.size()) std::swap(a, b);
  size_t n = a.size(), m = b.size();
  if (m - n >= limit) return limit;
  // Banded dynamic programming: only cells with |i - j| < limit can stay below the limit.
  const size_t kInf = limit;
  std::vector<size_t> prev(m + 1, kInf), cur(m + 1, kInf);
  for (size_t j = 0; j <= std::min(m, limit); ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    size_t lo = i > limit ? i - limit : 0;
    size_t hi = std::min(m, i + limit);
    std::fill(cur.begin() + static_cast<std::ptrdiff_t>(lo ? lo - 1 : 0),
              cur.begin() + static_cast<std::ptrdiff_t>(std::min(m, hi + 1) + 1), kInf);
    if (lo == 0) cur[0] = std::min(i, kInf);
    size_t row_min = cur[0];
    for (size_t j = std::max<size_t>(lo, 1); j <= hi; ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      size_t del = prev[j] + 1;
      size_t ins = cur[j - 1] + 1;
      size_t v = std::min({sub, del, ins, kInf});
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min >= limit) return limit;
    std::swap(prev, cur);
  }
  return std::min(prev[m], limit);
}

std::optional<TemplateMatch> detect_template(std::string_view jinja) {
  if (jinja.empty() || jinja.size() > kMaxJinjaBytes) return std::nullopt;
  for (const auto& k : kKnown) {
    if (k.jinja == jinja) {
      if (const BuiltinTemplate* t = find_builtin_template(k.name)) return TemplateMatch{t, TemplateMatch::How::kExact, 0};
    }
  }
  std::string stripped = strip_whitespace(jinja);
  for (const auto& k : kKnown) {
    if (strip_whitespace(k.jinja) == stripped) {
      if (const BuiltinTemplate* t = find_builtin_template(k.name)) {
        return TemplateMatch{t, TemplateMatch::How::kWhitespace, 0};
      }
    }
  }
  const KnownJinja* best = nullptr;
  size_t best_d = kMaxTemplateDistance;
  for (const auto& k : kKnown) {
    size_t d = bounded_edit_distance(jinja, k.jinja, best_d);
    if (d < best_d) {
      best_d = d;
      best = &k;
    }
  }
  if (!best) return std::nullopt;
  const BuiltinTemplate* t = find_builtin_template(best->name);
  if (!t) return std::nullopt;
  return TemplateMatch{t, TemplateMatch::How::kEditDistance, best_d};
}

}  // namespace corral::tmpl
