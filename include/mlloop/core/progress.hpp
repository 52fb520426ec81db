// A progress bar on a terminal: one line redrawn in place, for a model in training (rounds
// or epochs). Used by `mlloop run` for each candidate and by `mlloop train`.
#pragma once
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>

#include "mlloop/core/context.hpp"

namespace mlloop {

// One line redrawn in place: "[#######-------]  45%  epoch-or-round 45/100  3.2 s  label".
class ProgressBar {
 public:
  ProgressBar(std::ostream* out, std::string label)
      : out_(out), label_(std::move(label)), start_(std::chrono::steady_clock::now()) {
    draw(0, 0);
  }
  ~ProgressBar() {
    if (out_) {
      fmt::print(*out_, "\r\x1b[K");
      out_->flush();
    }
  }
  void update(int64_t done, int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && done < total) return;
    last_ = now;
    draw(done, total);
  }

 private:
  void draw(int64_t done, int64_t total) {
    if (!out_) return;
    constexpr int kWidth = 24;
    const double frac = total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0) : 0.0;
    const int filled = static_cast<int>(frac * kWidth + 0.5);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line =
        fmt::format("    [{}{}] {:3.0f}%  {}  {:.1f} s  {}", std::string(static_cast<size_t>(filled), '#'),
                    std::string(static_cast<size_t>(kWidth - filled), '-'), 100 * frac,
                    total > 0 ? fmt::format("step {}/{}", done, total) : std::string("fitting"), secs, label_);
    if (line.size() > 79) line.resize(79);  // one terminal line, or the carriage return cannot redraw it
    fmt::print(*out_, "\r{}\x1b[K", line);
    out_->flush();
  }
  std::ostream* out_;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_{};
};

// A bar fed by ctx.progress while it lives (no bar and no feed when `out` is null); the feed is
// cleared before the bar's line is.
class ProgressFeed {
 public:
  ProgressFeed(Context& ctx, std::ostream* out, std::string label) : ctx_(ctx), bar_(out, std::move(label)) {
    if (out) ctx_.progress = [this](int64_t done, int64_t total) { bar_.update(done, total); };
  }
  ~ProgressFeed() { ctx_.progress = nullptr; }
  ProgressFeed(const ProgressFeed&) = delete;
  ProgressFeed& operator=(const ProgressFeed&) = delete;

 private:
  Context& ctx_;
  ProgressBar bar_;
};

}  // namespace mlloop
