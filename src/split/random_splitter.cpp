#include <numeric>

#include "mlloop/split/splitter.hpp"

namespace mlloop {

SplitAssignment split_random(size_t n, const SplitSizes& sizes, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed);
  SplitAssignment a;
  size_t at = 0;
  for (SplitName s : {SplitName::test, SplitName::dev, SplitName::train_dev, SplitName::train}) {
    size_t take = std::min(sizes[s], n - at);
    if (s == SplitName::train) take = n - at;
    a[s].assign(order.begin() + static_cast<std::ptrdiff_t>(at), order.begin() + static_cast<std::ptrdiff_t>(at + take));
    at += take;
  }
  return a;
}

}  // namespace mlloop
