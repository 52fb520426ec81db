#include <cmath>

#include "mlloop/split/splitter.hpp"

namespace mlloop {

namespace {
constexpr size_t kLargeData = 100000;
constexpr size_t kLargeSplit = 10000;
size_t tenth(size_t n) { return static_cast<size_t>(std::llround(static_cast<double>(n) * 0.1)); }
}  // namespace

SplitSizes default_sizes(size_t n, bool dev_from_file, bool test_from_file) {
  SplitSizes s;
  size_t carved = n <= kLargeData ? tenth(n) : kLargeSplit;
  s.rows[static_cast<int>(SplitName::train_dev)] = std::min(tenth(n), kLargeSplit);
  s.rows[static_cast<int>(SplitName::dev)] = dev_from_file ? 0 : carved;
  s.rows[static_cast<int>(SplitName::test)] = test_from_file ? 0 : carved;
  size_t used = s[SplitName::train_dev] + s[SplitName::dev] + s[SplitName::test];
  s.rows[static_cast<int>(SplitName::train)] = n > used ? n - used : 0;
  return s;
}

size_t minimum_rows(bool, bool) {
  // 10% of 20 rows is 2: each carved split gets at least 2 rows, train at least 14.
  return 20;
}

}  // namespace mlloop
