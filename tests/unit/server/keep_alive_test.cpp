// keep_alive parsing against Go's time.ParseDuration rules (the units and forms its
// documentation lists) and Ollama's "number means seconds".
#include <gtest/gtest.h>

#include "sched/keep_alive.h"

namespace corral::sched {
namespace {

using std::chrono::nanoseconds;

int64_t ns(std::string_view text) {
  Result<KeepAlive> k = parse_keep_alive(text);
  EXPECT_TRUE(k.ok()) << text << ": " << k.status().to_string();
  return k.ok() ? k->duration.count() : 0;
}

TEST(KeepAlive, GoDurationStrings) {
  EXPECT_EQ(ns("5m"), 300'000'000'000);
  EXPECT_EQ(ns("10m"), 600'000'000'000);
  EXPECT_EQ(ns("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(ns("1h2m3s"), 3'723'000'000'000);
  EXPECT_EQ(ns("300ms"), 300'000'000);
  EXPECT_EQ(ns("1.5s"), 1'500'000'000);
  EXPECT_EQ(ns("2us"), 2'000);
  EXPECT_EQ(ns("7ns"), 7);
  EXPECT_EQ(ns("0s"), 0);
  EXPECT_EQ(ns("0"), 0);
  EXPECT_EQ(ns("-1m"), -60'000'000'000);
}

TEST(KeepAlive, BareNumbersAreSeconds) {
  EXPECT_EQ(ns("30"), 30'000'000'000);
  EXPECT_EQ(ns("-1"), -1'000'000'000);
  Result<KeepAlive> k = parse_keep_alive(nlohmann::json(120));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->duration, std::chrono::seconds(120));
  k = parse_keep_alive(nlohmann::json(0));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->duration.count(), 0);
  EXPECT_FALSE(k->forever());
  k = parse_keep_alive(nlohmann::json(-1));
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->forever());
  k = parse_keep_alive(nlohmann::json(2.5));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->duration, std::chrono::milliseconds(2500));
  k = parse_keep_alive(nlohmann::json("-5m"));
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->forever());
}

TEST(KeepAlive, HugeValuesMeanForever) {
  Result<KeepAlive> k = parse_keep_alive(nlohmann::json(1e300));
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->forever());
}

TEST(KeepAlive, RejectsMalformed) {
  for (const char* bad : {"", "abc", "5x", "m", "1m30", "--1m", "1..5s", ".s", "5 m", "1e3s", "+", "h1"}) {
    Result<KeepAlive> k = parse_keep_alive(std::string_view(bad));
    EXPECT_FALSE(k.ok()) << "'" << bad << "'";
    if (!k.ok()) {
      EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(k.status().message().find("keep_alive"), std::string::npos);
    }
  }
  EXPECT_FALSE(parse_keep_alive(nlohmann::json::array()).ok());
  EXPECT_FALSE(parse_keep_alive(nlohmann::json(true)).ok());
  EXPECT_FALSE(parse_keep_alive(std::string_view(std::string(100, '1') + "s")).ok());
}

}  // namespace
}  // namespace corral::sched
