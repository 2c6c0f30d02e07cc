#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace corral {
namespace {

TEST(ThreadPool, CoversEveryIndexOnceAcrossManyDispatches) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  for (int64_t n : {1, 2, 7, 100, 1001}) {
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, 1, [&](int64_t b, int64_t e, int t) {
        if (t < 0 || t >= 3) bad_thread++;
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << i;
      ASSERT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(ThreadPool, UsesSeveralThreadsForLargeWork) {
  ThreadPool pool(2);
  std::atomic<int> mask{0};
  for (int rep = 0; rep < 50 && mask.load() != 3; ++rep) {
    // Slow items: the sleeping worker wakes before the caller can finish them all alone.
    pool.parallel_for(16, 1, [&](int64_t, int64_t, int t) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      mask |= 1 << t;
    });
  }
  EXPECT_EQ(mask.load(), 3);
}

}  // namespace
}  // namespace corral
