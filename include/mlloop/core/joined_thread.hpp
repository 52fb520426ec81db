#pragma once
// A thread that keeps the exception its work throws, for join() to rethrow on the joining
// thread, and that is joined when destroyed. With a bare std::thread, an exception in the work
// (std::bad_alloc while reading a huge file, say) calls std::terminate, and so does unwinding
// past a std::thread that is still joinable: the process dies with SIGABRT instead of
// reporting the error.
#include <exception>
#include <thread>
#include <utility>

namespace mlloop {

class JoinedThread {
 public:
  template <class F>
  explicit JoinedThread(F work)
      : thread_([this, work = std::move(work)]() mutable {
          try {
            work();
          } catch (...) {
            error_ = std::current_exception();
          }
        }) {}
  JoinedThread(const JoinedThread&) = delete;
  JoinedThread& operator=(const JoinedThread&) = delete;
  ~JoinedThread() {
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the work; rethrows what it threw, once.
  void join() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::exception_ptr error_;  // declared before thread_, so it exists before the work starts
  std::thread thread_;
};

}  // namespace mlloop
