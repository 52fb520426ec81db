// Runs a call that cannot be interrupted (a library solver with no callback) in a forked
// child process, so a deadline can stop it: at the deadline the child is killed with SIGKILL
// and the caller goes on. The child's result comes back as bytes through a pipe.
//
// Only for single-threaded, self-contained work (the linear family's ridge solve, say): after fork() the
// child has just the calling thread, so the work must not wait on other threads' locks or
// thread pools. Without a deadline the work runs in this process.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace mlloop {

struct ChildResult {
  bool stopped = false;  // the deadline passed and the child was killed
  std::string bytes;     // the work's result, when not stopped
};

// Throws std::runtime_error with the child's message when the work threw, or when the child
// died without an answer (a crash, or out of memory).
ChildResult run_with_deadline(const std::function<std::string()>& work,
                              std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace mlloop
