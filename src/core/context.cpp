#include "mlloop/core/context.hpp"

#include <iostream>
#include <thread>

namespace mlloop {

Context::Context() : Context(std::cout, std::cerr) {}

Context::Context(std::ostream& out, std::ostream& err)
    : out_(&out), err_(&err), start_(std::chrono::steady_clock::now()) {
  unsigned hw = std::thread::hardware_concurrency();
  threads = hw == 0 ? 2 : static_cast<int>(hw);
}

void Context::note(std::string_view text) const {
  if (!quiet) *err_ << text << '\n';
}

void Context::warn(std::string_view text) const { *err_ << "warning: " << text << '\n'; }

double Context::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace mlloop
