// KvCells bookkeeping: placement, capacity errors, position rules, removal, prefix sharing and
// the additive mask, checked against hand-derived expectations.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kv/cells.h"

namespace corral {
namespace {

Result<std::vector<int32_t>> place(KvCells& c, std::vector<int32_t> pos, std::vector<int32_t> seq) {
  return c.place(pos, seq);
}

TEST(KvCells, PlacesTokensInTheLowestFreeCells) {
  KvCells c(8, 2);
  auto rows = place(c, {0, 1, 2}, {0, 0, 0});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<int32_t>{0, 1, 2}));
  rows = place(c, {0, 3}, {1, 0});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(c.used(), 5);
  EXPECT_EQ(c.end(), 5);
  EXPECT_EQ(c.seq_pos_max(0), 3);
  EXPECT_EQ(c.seq_pos_max(1), 0);
  EXPECT_EQ(c.pos(4), 3);
  EXPECT_TRUE(c.has_seq(3, 1));
  EXPECT_FALSE(c.has_seq(3, 0));
  // Freed cells in the middle are reused first.
  ASSERT_TRUE(c.remove(0, 1, 2).ok());
  EXPECT_TRUE(c.is_free(1));
  rows = place(c, {1}, {1});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<int32_t>{1}));
}

TEST(KvCells, FullCacheIsUnavailableAndChangesNothing) {
  KvCells c(4, 1);
  ASSERT_TRUE(place(c, {0, 1, 2}, {0, 0, 0}).ok());
  auto r = place(c, {3, 4}, {0, 0});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("kv cache full: 2 tokens need cells but only 1 of 4 are free"),
            std::string::npos)
      << r.status().to_string();
  EXPECT_EQ(c.used(), 3);
  EXPECT_EQ(c.seq_pos_max(0), 2);
}

TEST(KvCells, PositionsMustIncreasePerSequence) {
  KvCells c(8, 2);
  ASSERT_TRUE(place(c, {0, 1}, {0, 0}).ok());
  EXPECT_EQ(place(c, {1}, {0}).status().code(), StatusCode::kInvalidArgument);   // already held
  EXPECT_EQ(place(c, {3, 2}, {0, 0}).status().code(), StatusCode::kInvalidArgument);  // decreasing
  EXPECT_EQ(place(c, {-1}, {1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(place(c, {0}, {2}).status().code(), StatusCode::kInvalidArgument);  // seq out of range
  EXPECT_EQ(place(c, {0, 1}, {1}).status().code(), StatusCode::kInvalidArgument);  // sizes differ
  EXPECT_EQ(c.used(), 2);
  // Gaps are allowed (positions need only increase) and other sequences start anywhere.
  EXPECT_TRUE(place(c, {5}, {0}).ok());
  EXPECT_TRUE(place(c, {7, 8}, {1, 1}).ok());
}

TEST(KvCells, RemoveRangesAndWholeSequences) {
  KvCells c(8, 2);
  ASSERT_TRUE(place(c, {0, 1, 2, 3}, {0, 0, 0, 0}).ok());
  ASSERT_TRUE(place(c, {0, 1}, {1, 1}).ok());
  ASSERT_TRUE(c.remove(0, 2, -1).ok());  // drop positions >= 2 of seq 0
  EXPECT_EQ(c.seq_pos_max(0), 1);
  EXPECT_EQ(c.used(), 4);
  ASSERT_TRUE(c.remove(-1, 0, 1).ok());  // position 0 of every sequence
  EXPECT_EQ(c.seq_pos_min(0), 1);
  EXPECT_EQ(c.seq_pos_min(1), 1);
  EXPECT_EQ(c.used(), 2);
  ASSERT_TRUE(c.remove(1, 0, -1).ok());
  EXPECT_EQ(c.seq_pos_max(1), -1);
  EXPECT_EQ(c.used(), 1);
  EXPECT_EQ(c.remove(5, 0, -1).code(), StatusCode::kInvalidArgument);
  c.clear();
  EXPECT_EQ(c.used(), 0);
  EXPECT_EQ(c.end(), 0);
}

TEST(KvCells, CopyPrefixSharesCellsUntilEveryOwnerDropsThem) {
  KvCells c(8, 3);
  ASSERT_TRUE(place(c, {0, 1, 2, 3}, {0, 0, 0, 0}).ok());
  ASSERT_TRUE(place(c, {0}, {1}).ok());  // dst's old content is forgotten by copy_prefix
  ASSERT_TRUE(c.copy_prefix(0, 1, 3).ok());
  EXPECT_EQ(c.used(), 4) << "shared cells are not duplicated; seq 1's old cell is freed";
  EXPECT_EQ(c.seq_pos_max(1), 2);
  for (int cell = 0; cell < 3; ++cell) EXPECT_TRUE(c.has_seq(cell, 0) && c.has_seq(cell, 1));
  EXPECT_FALSE(c.has_seq(3, 1));
  ASSERT_TRUE(c.remove(0, 0, -1).ok());
  EXPECT_EQ(c.used(), 3) << "cells still held by seq 1 stay";
  ASSERT_TRUE(c.remove(1, 0, -1).ok());
  EXPECT_EQ(c.used(), 0);
  EXPECT_EQ(c.copy_prefix(0, 0, 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.copy_prefix(0, 3, 1).code(), StatusCode::kInvalidArgument);
}

TEST(KvCells, MaskShowsEachTokenItsSequenceUpToItsPosition) {
  KvCells c(8, 2);
  ASSERT_TRUE(place(c, {0, 1}, {0, 0}).ok());                 // cells 0, 1
  const std::vector<int32_t> pos = {2, 0, 3, 1}, seq = {0, 1, 0, 1};
  ASSERT_TRUE(c.place(pos, seq).ok());                        // cells 2, 3, 4, 5
  std::vector<float> m(4 * 6);
  c.build_mask(pos, seq, 6, m.data());
  const float X = -INFINITY;
  const std::vector<float> want = {
      0, 0, 0, X, X, X,  // seq 0 @2: cells 0,1,2
      X, X, X, 0, X, X,  // seq 1 @0: cell 3
      0, 0, 0, X, 0, X,  // seq 0 @3: cells 0,1,2,4
      X, X, X, 0, X, 0,  // seq 1 @1: cells 3,5
  };
  EXPECT_EQ(m, want);
}

}  // namespace
}  // namespace corral
