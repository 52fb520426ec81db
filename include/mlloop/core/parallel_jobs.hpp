// Independent fits side by side: cross-validation's folds. A fit on a few thousand rows uses
// two threads poorly (satellite's gbdt, 5,800 x 36, 6 classes: 1.13 s on 2 threads, 2.1 s of
// CPU; 1.4 s on 1 thread), so two folds fitted at once on one thread each take about 1.4 s
// where one after the other on two threads took 2.3 s.
//
// Same results whatever the machine's timing: each job gets ctx.threads / workers threads, a
// count fixed before any job starts, and writes only its own slot; the caller combines the
// slots in job order. (XGBoost's hist trees and knn give the same results for any thread
// count; the mlp always trains on one thread; linear splits its sums by thread only from
// 32,768 rows a fit.)
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "mlloop/core/context.hpp"
#include "mlloop/core/joined_thread.hpp"

namespace mlloop {

// Runs job(k, job_ctx) for k = 0 .. n-1, at most ctx.threads at a time, each with its own copy
// of ctx whose `threads` is ctx.threads / workers (at least 1) and whose progress callback,
// when set, is called under a lock. With one worker (ctx.threads 1, or one job) the jobs run in
// order on the calling thread, with ctx as it is. After a job throws, no further job starts;
// the exception of the lowest job that threw is rethrown once every started job has ended.
inline void parallel_jobs(size_t n, const Context& ctx, const std::function<void(size_t, Context&)>& job) {
  const size_t workers = std::min(n, static_cast<size_t>(std::max(1, ctx.threads)));
  if (workers <= 1) {
    Context c = ctx;
    for (size_t k = 0; k < n; ++k) job(k, c);
    return;
  }
  Context base = ctx;
  base.threads = std::max(1, ctx.threads / static_cast<int>(workers));
  if (ctx.progress) {
    auto lock = std::make_shared<std::mutex>();
    base.progress = [lock, p = ctx.progress](int64_t done, int64_t total) {
      std::lock_guard<std::mutex> g(*lock);
      p(done, total);
    };
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(n);
  auto work = [&] {
    Context c = base;
    for (;;) {
      if (failed.load()) return;
      const size_t k = next.fetch_add(1);
      if (k >= n) return;
      try {
        job(k, c);
      } catch (...) {
        errors[k] = std::current_exception();
        failed.store(true);
      }
    }
  };
  {
    std::vector<std::unique_ptr<JoinedThread>> pool;
    for (size_t w = 1; w < workers; ++w) pool.push_back(std::make_unique<JoinedThread>(work));
    work();
  }  // joined here
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace mlloop
