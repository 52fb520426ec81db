// The Context carries what other code would take from globals: the seed, the thread count,
// the output streams and the clock. Commands and library calls receive it explicitly.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace mlloop {

class Context {
 public:
  Context();
  Context(std::ostream& out, std::ostream& err);

  uint64_t seed = 42;
  int threads = 2;
  bool quiet = false;
  // The loop's wall-clock deadline, if any: long analyses and trainings stop at it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool deadline_passed() const { return deadline && std::chrono::steady_clock::now() >= *deadline; }
  // Called by long trainings after each round or epoch (steps done, steps planned), when set:
  // the loop draws its progress bar from it. Early stopping may end before `total`.
  std::function<void(int64_t done, int64_t total)> progress;

  std::ostream& out() const { return *out_; }  // results: tables, JSON
  std::ostream& err() const { return *err_; }  // progress, warnings, errors

  // Progress and notes for the user, on the error stream so stdout stays parseable.
  void note(std::string_view text) const;
  void warn(std::string_view text) const;

  // Seconds since this context was created (a monotonic clock).
  double elapsed_seconds() const;

 private:
  std::ostream* out_;
  std::ostream* err_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace mlloop
