// StopMatcher over a token stream, and num_predict accounting.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample/predict_budget.h"
#include "sample/stop.h"

namespace corral::sample {
namespace {

struct StopRun {
  std::vector<std::string> emitted;  // text released after each piece
  std::string text;                  // everything released (flush included if no stop)
  bool stopped = false;
  int stop_index = -1;
};

StopRun feed(std::vector<std::string> stops, const std::vector<std::string>& pieces) {
  StopMatcher m(std::move(stops));
  StopRun r;
  for (const std::string& p : pieces) {
    auto step = m.push(p);
    r.emitted.push_back(step.text);
    r.text += step.text;
    if (step.stopped) {
      r.stopped = true;
      r.stop_index = step.stop_index;
      break;
    }
  }
  if (!r.stopped) r.text += m.flush();
  return r;
}

TEST(StopMatcherTest, NoStopsPassesEverything) {
  StopRun r = feed({}, {"Hello", ",", " world"});
  EXPECT_EQ(r.emitted, (std::vector<std::string>{"Hello", ",", " world"}));
  EXPECT_FALSE(r.stopped);
}

TEST(StopMatcherTest, StopInsideOnePiece) {
  StopRun r = feed({"END"}, {"abc", "xyENDzz"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "abcxy");
  EXPECT_EQ(r.stop_index, 0);
}

TEST(StopMatcherTest, StopAcrossTokenBoundaries) {
  StopRun r = feed({"<|im_end|>"}, {"Hi", " there", "<|", "im", "_", "end", "|>", "more"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "Hi there");
  // "<|" ... were held back, never emitted
  EXPECT_EQ(r.emitted[2], "");
  EXPECT_EQ(r.emitted[3], "");
}

TEST(StopMatcherTest, HeldTextIsReleasedWhenItCannotMatch) {
  StopRun r = feed({"<|im_end|>"}, {"a <", "|im", "x", " b"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.emitted[0], "a ");
  EXPECT_EQ(r.emitted[1], "");
  EXPECT_EQ(r.emitted[2], "<|imx");
  EXPECT_EQ(r.text, "a <|imx b");
}

TEST(StopMatcherTest, PartialAtEndIsFlushed) {
  StopRun r = feed({"###"}, {"text ", "##"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.emitted[1], "");
  EXPECT_EQ(r.text, "text ##");
}

TEST(StopMatcherTest, SeveralStopStringsEarliestWins) {
  StopRun r = feed({"world", "lo w"}, {"hel", "lo wor", "ld"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "hel");
  EXPECT_EQ(r.stop_index, 1);
}

TEST(StopMatcherTest, OverlappingStopStrings) {
  // "abab" must not be missed because the first "ab" started a failed "abc" match.
  StopRun r = feed({"abc", "bab"}, {"xa", "ba", "b"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "xa");
  EXPECT_EQ(r.stop_index, 1);
  // A stop that is a suffix of a longer partial match.
  StopRun s = feed({"aab"}, {"a", "a", "a", "b"});
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.text, "a");
  // Self-overlapping stop.
  StopRun t = feed({"aaa"}, {"aa", "b", "aa", "a"});
  EXPECT_TRUE(t.stopped);
  EXPECT_EQ(t.text, "aab");
}

TEST(StopMatcherTest, NestedStopsSamePositionPicksFirstListed) {
  StopRun r = feed({"User:", "User"}, {"ok\nUser: hi"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "ok\n");
  EXPECT_EQ(r.stop_index, 0);
}

TEST(StopMatcherTest, UnicodeStops) {
  // "終わり" split byte-wise across tokens, as a byte-level BPE may emit it.
  std::string stop = "終わり";
  std::vector<std::string> pieces = {"こんにちは"};
  for (char c : stop) pieces.push_back(std::string(1, c));
  StopRun r = feed({stop}, pieces);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "こんにちは");
  // Emitted text never ends inside a character, even with no stop strings at all.
  std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
  StopRun e = feed({}, {"a", emoji.substr(0, 1), emoji.substr(1, 2), emoji.substr(3), "b"});
  EXPECT_EQ(e.emitted, (std::vector<std::string>{"a", "", "", emoji, "b"}));
  // A stop string beginning with the same lead byte as other text does not match mid-char.
  StopRun m = feed({"é!"}, {"è", "é", "?"});
  EXPECT_FALSE(m.stopped);
  EXPECT_EQ(m.text, "èé?");
}

TEST(StopMatcherTest, AfterStopNothingMore) {
  StopMatcher m({"x"});
  EXPECT_TRUE(m.push("ax").stopped);
  auto step = m.push("more");
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(step.text, "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcherTest, EmptyStopStringsIgnored) {
  StopRun r = feed({"", "z"}, {"abc", "z"});
  EXPECT_EQ(r.text, "abc");
  EXPECT_EQ(r.stop_index, 1);  // index into the caller's list
}

TEST(PredictBudgetTest, OllamaMeanings) {
  auto b = PredictBudget::create(5, 100, 10);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->exhausted(4));
  EXPECT_TRUE(b->exhausted(5));
  EXPECT_EQ(*b->remaining(2), 3);
  // -1: bounded by the context only (no shift) ...
  auto inf = PredictBudget::create(-1, 100, 10);
  EXPECT_EQ(*inf->max_new_tokens(), 90);
  // ... and unbounded with context shift.
  auto shifted = PredictBudget::create(-1, 100, 10, /*context_shift=*/true);
  EXPECT_FALSE(shifted->max_new_tokens().has_value());
  EXPECT_FALSE(shifted->exhausted(1000000));
  // -2: fill the context even when shifting is possible.
  auto fill = PredictBudget::create(-2, 100, 30, true);
  EXPECT_EQ(*fill->max_new_tokens(), 70);
  // 0 means no limit of its own, like -1.
  EXPECT_EQ(*PredictBudget::create(0, 100, 10)->max_new_tokens(), 90);
  // A limit larger than the room left is cut to the room.
  EXPECT_EQ(*PredictBudget::create(500, 100, 10)->max_new_tokens(), 90);
  // Prompt longer than the window: no room.
  EXPECT_TRUE(PredictBudget::create(-1, 100, 150)->exhausted(0));
  EXPECT_FALSE(PredictBudget::create(-3, 100, 1).ok());
  EXPECT_FALSE(PredictBudget::create(1, 0, 1).ok());
  EXPECT_EQ(done_reason_name(DoneReason::kLength), "length");
  EXPECT_EQ(done_reason_name(DoneReason::kStop), "stop");
}

}  // namespace
}  // namespace corral::sample
