// JoinedThread (include/mlloop/core/joined_thread.hpp): the work's exception reaches the
// joining thread, and unwinding past a running thread joins it instead of terminating.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <new>
#include <stdexcept>

#include "mlloop/core/joined_thread.hpp"

namespace mlloop {
namespace {

TEST(JoinedThread, JoinRethrowsTheWorksException) {
  JoinedThread t([] { throw std::bad_alloc(); });
  EXPECT_THROW(t.join(), std::bad_alloc);
  EXPECT_NO_THROW(t.join());  // rethrown once
  std::atomic<int> done{0};
  JoinedThread ok([&] { done = 1; });
  ok.join();
  EXPECT_EQ(done, 1);
}

TEST(JoinedThread, UnwindingJoinsTheWorkersFirst) {
  std::atomic<int> finished{0};
  try {
    std::deque<JoinedThread> workers;
    for (int i = 0; i < 3; ++i)
      workers.emplace_back([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ++finished;
      });
    throw std::runtime_error("the calling thread fails while its workers run");
  } catch (const std::runtime_error&) {
    // Only reached if the workers were joined (a joinable std::thread would have terminated).
    EXPECT_EQ(finished, 3);
  }
}

}  // namespace
}  // namespace mlloop
