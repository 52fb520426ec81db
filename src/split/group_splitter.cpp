// Group split: whole groups go to one split, so no group spans two. Groups are placed
// largest first (ties in seeded random order) into the split with the most room left.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "mlloop/core/error.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

SplitAssignment split_group(const Dataset& ds, size_t group_col, const SplitSizes& sizes, uint64_t seed) {
  const Column& col = ds.columns[group_col];
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < ds.rows(); ++i) groups[col.text(i)].push_back(i);  // missing: one group ""
  size_t needed = 0;
  for (auto r : sizes.rows) needed += r > 0;
  if (groups.size() < needed) {
    throw_bad_input(fmt::format("group column '{}' has only {} distinct group{}; a group split needs at least {}",
                                col.name, groups.size(), groups.size() == 1 ? "" : "s", needed),
                    "choose a column with more groups, or use --split random / stratified", Where{ds.source, 0, 0, {}});
  }
  std::vector<std::vector<size_t>*> list;
  for (auto& [key, rows] : groups) list.push_back(&rows);
  std::vector<size_t> order(list.size());
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return list[a]->size() > list[b]->size(); });

  SplitAssignment a;
  std::array<size_t, 4> filled{};
  // First give every split that needs rows one group (the smallest splits first take the
  // smallest groups), then place the rest by remaining room.
  std::vector<bool> placed(order.size(), false);
  size_t tail = order.size();
  for (int s = 3; s >= 0; --s) {
    if (sizes.rows[s] == 0 || s == 0) continue;
    --tail;
    size_t g = order[tail];
    placed[tail] = true;
    a.rows[s].insert(a.rows[s].end(), list[g]->begin(), list[g]->end());
    filled[s] += list[g]->size();
  }
  for (size_t k = 0; k < order.size(); ++k) {
    if (placed[k]) continue;
    size_t g = order[k];
    int best = 0;
    double best_room = -1e300;
    for (int s = 0; s < 4; ++s) {
      if (sizes.rows[s] == 0) continue;
      double room = (static_cast<double>(sizes.rows[s]) - static_cast<double>(filled[s])) /
                    static_cast<double>(sizes.rows[s]);
      if (room > best_room) {
        best_room = room;
        best = s;
      }
    }
    a.rows[best].insert(a.rows[best].end(), list[g]->begin(), list[g]->end());
    filled[best] += list[g]->size();
  }
  return a;
}

}  // namespace mlloop
