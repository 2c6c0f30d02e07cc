#include "util/status.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value %d is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  CORRAL_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

Status check_both(int a, int b) {
  CORRAL_TRY(parse_positive(a));
  CORRAL_TRY(parse_positive(b));
  return ok_status();
}

TEST(Status, OkAndError) {
  EXPECT_TRUE(ok_status().ok());
  Status s = corrupt("tensor '%s' at offset %d", "x", 12);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.to_string(), "corrupt: tensor 'x' at offset 12");
  EXPECT_EQ(s.with_context("model.gguf").message(), "model.gguf: tensor 'x' at offset 12");
}

TEST(Status, MessageWithoutArgsIsNotFormatted) {
  Status s = invalid_argument("100% literal");
  EXPECT_EQ(s.message(), "100% literal");
}

TEST(Result, PropagatesValuesAndErrors) {
  EXPECT_EQ(*doubled(4), 8);
  Result<int> bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(check_both(1, 2).ok());
  EXPECT_EQ(check_both(1, 0).message(), "value 0 is not positive");
}

TEST(Result, OkStatusBecomesInternalError) {
  Result<int> r = ok_status();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace corral
