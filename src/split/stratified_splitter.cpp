// Stratified split: each class is shared out over the splits in proportion to the split
// sizes, rounding so that every (class, split) cell is within one row of its exact quota
// and every split gets exactly its size.
#include <algorithm>
#include <cmath>
#include <map>

#include "mlloop/split/splitter.hpp"

namespace mlloop {

SplitAssignment split_stratified(const std::vector<int32_t>& classes, const SplitSizes& sizes, uint64_t seed) {
  const size_t n = classes.size();
  std::map<int32_t, std::vector<size_t>> members;
  for (size_t i = 0; i < n; ++i) members[classes[i]].push_back(i);

  const size_t k = members.size();
  std::vector<std::array<size_t, 4>> count(k);
  std::vector<std::array<double, 4>> frac(k);
  std::array<size_t, 4> assigned{};
  size_t ci = 0;
  for (auto& [cls, rows] : members) {
    for (int s = 0; s < 4; ++s) {
      double quota = static_cast<double>(rows.size()) * static_cast<double>(sizes.rows[s]) / static_cast<double>(n);
      count[ci][s] = static_cast<size_t>(std::floor(quota));
      frac[ci][s] = quota - std::floor(quota);
      assigned[s] += count[ci][s];
    }
    ++ci;
  }
  // Hand out the remaining rows: classes with most left over first, each to the splits with
  // the largest fractional quota that still have room.
  std::vector<size_t> order(k);
  for (size_t i = 0; i < k; ++i) order[i] = i;
  std::vector<size_t> left(k);
  ci = 0;
  for (auto& [cls, rows] : members) {
    size_t used = 0;
    for (int s = 0; s < 4; ++s) used += count[ci][s];
    left[ci] = rows.size() - used;
    ++ci;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return left[a] > left[b]; });
  for (size_t c : order) {
    while (left[c] > 0) {
      int best = -1;
      double best_key = -1e300;
      for (int s = 0; s < 4; ++s) {
        if (assigned[s] >= sizes.rows[s]) continue;
        double key = frac[c][s];
        if (key > best_key) {
          best_key = key;
          best = s;
        }
      }
      if (best < 0) best = 0;  // all splits full: cannot happen when sizes sum to n
      ++count[c][best];
      ++assigned[best];
      frac[c][best] -= 1.0;
      --left[c];
    }
  }
  SplitAssignment a;
  ci = 0;
  for (auto& [cls, rows] : members) {
    seeded_shuffle(rows, seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(ci + 1));
    size_t at = 0;
    for (int s = 0; s < 4; ++s) {
      for (size_t j = 0; j < count[ci][s]; ++j) a.rows[s].push_back(rows[at++]);
    }
    ++ci;
  }
  return a;
}

}  // namespace mlloop
