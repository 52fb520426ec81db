// run_with_deadline: a call that cannot be interrupted runs in a child process, killed at the
// deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "mlloop/core/child.hpp"

using namespace mlloop;
using Clock = std::chrono::steady_clock;

TEST(Child, TheWorksBytesComeBackWhole) {
  std::string big(3u << 20, 'x');  // more than a pipe holds at once
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  auto r = run_with_deadline([&] { return big; }, Clock::now() + std::chrono::seconds(30));
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.bytes, big);
}

TEST(Child, TheChildIsKilledAtTheDeadline) {
  const auto t0 = Clock::now();
  auto r = run_with_deadline(
      [] {
        std::this_thread::sleep_for(std::chrono::seconds(20));
        return std::string("late");
      },
      t0 + std::chrono::milliseconds(300));
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(r.stopped);
  EXPECT_TRUE(r.bytes.empty());
  EXPECT_GE(s, 0.29);
  EXPECT_LT(s, 2.0) << "the caller waited for the child instead of killing it";
}

TEST(Child, AnExceptionInTheChildIsRethrownWithItsMessage) {
  try {
    run_with_deadline([]() -> std::string { throw std::runtime_error("solver failed: singular"); },
                      Clock::now() + std::chrono::seconds(30));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "solver failed: singular");
  }
}

TEST(Child, WithoutADeadlineTheWorkRunsHere) {
  int calls = 0;
  auto r = run_with_deadline(
      [&] {
        ++calls;  // visible only if it ran in this process
        return std::string("here");
      },
      std::nullopt);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.bytes, "here");
  auto past = run_with_deadline([] { return std::string("never"); }, Clock::now() - std::chrono::seconds(1));
  EXPECT_TRUE(past.stopped);
}
