// parallel_jobs: every job once, each with its share of the threads, the same slots whatever
// the workers, and a failure that stops the jobs not yet started and reaches the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "mlloop/core/context.hpp"
#include "mlloop/core/parallel_jobs.hpp"

using namespace mlloop;

TEST(ParallelJobs, EveryJobRunsOnceWithItsShareOfTheThreads) {
  for (int threads : {1, 2, 4}) {
    Context ctx;
    ctx.threads = threads;
    std::vector<int> seen(10, 0), share(10, 0);
    std::mutex m;
    std::set<std::thread::id> ids;
    parallel_jobs(10, ctx, [&](size_t k, Context& c) {
      ++seen[k];
      share[k] = c.threads;
      std::lock_guard<std::mutex> g(m);
      ids.insert(std::this_thread::get_id());
    });
    for (size_t k = 0; k < 10; ++k) {
      EXPECT_EQ(seen[k], 1) << "job " << k << ", " << threads << " threads";
      EXPECT_EQ(share[k], 1) << threads;  // 1 worker of 1 thread, 2 of 1, 4 of 1
    }
    EXPECT_LE(ids.size(), static_cast<size_t>(threads));
    if (threads == 1) {
      EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
    }
  }
  // Fewer jobs than threads: the threads are shared out among the jobs.
  Context ctx;
  ctx.threads = 8;
  std::vector<int> share(3, 0);
  parallel_jobs(3, ctx, [&](size_t k, Context& c) { share[k] = c.threads; });
  EXPECT_EQ(share, (std::vector<int>{2, 2, 2}));
}

TEST(ParallelJobs, AFailureStopsTheJobsNotStartedAndReachesTheCaller) {
  Context ctx;
  ctx.threads = 2;
  std::atomic<int> ran{0};
  try {
    parallel_jobs(1000, ctx, [&](size_t k, Context&) {
      ++ran;
      if (k == 3) throw std::runtime_error("job 3 failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "job 3 failed");
  }
  EXPECT_LT(ran.load(), 100);  // of 1,000: the other worker stops within a job or two (slack for a busy machine)
  // A progress callback reaches the caller's, from every worker.
  std::atomic<int> calls{0};
  ctx.progress = [&](int64_t, int64_t) { ++calls; };
  parallel_jobs(6, ctx, [&](size_t, Context& c) { c.progress(1, 1); });
  EXPECT_EQ(calls.load(), 6);
}
