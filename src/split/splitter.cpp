#include "mlloop/split/splitter.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <random>

#include "mlloop/core/error.hpp"

namespace mlloop {

const char* to_string(SplitName s) {
  switch (s) {
    case SplitName::train: return "train";
    case SplitName::train_dev: return "train_dev";
    case SplitName::dev: return "dev";
    case SplitName::test: return "test";
  }
  return "?";
}

std::optional<SplitName> parse_split_name(std::string_view s) {
  for (SplitName n : kAllSplits)
    if (s == to_string(n)) return n;
  return std::nullopt;
}

SplitSpec SplitSpec::parse(std::string_view text) {
  SplitSpec s;
  if (text == "random") s.method = SplitMethod::random;
  else if (text == "stratified") s.method = SplitMethod::stratified;
  else if (text.starts_with("group:") && text.size() > 6) {
    s.method = SplitMethod::group;
    s.column = std::string(text.substr(6));
  } else if (text.starts_with("time:") && text.size() > 5) {
    s.method = SplitMethod::time;
    s.column = std::string(text.substr(5));
  } else {
    throw_bad_input(fmt::format("unknown split '{}'", text),
                    "use --split random, stratified, group:COLUMN or time:COLUMN");
  }
  return s;
}

std::string SplitSpec::str() const {
  switch (method) {
    case SplitMethod::random: return "random";
    case SplitMethod::stratified: return "stratified";
    case SplitMethod::group: return "group:" + column;
    case SplitMethod::time: return "time:" + column;
  }
  return "?";
}

void seeded_shuffle(std::vector<size_t>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    // Unbiased draw in [0, i): rejection on the top of the range.
    uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound, x;
    do x = rng();
    while (x >= limit);
    std::swap(v[i - 1], v[x % bound]);
  }
}

SplitAssignment make_splits(const Dataset& ds, size_t target, Task task, const SplitSpec& spec,
                            const SplitSizes& sizes, uint64_t seed) {
  auto column_of = [&](const std::string& name) {
    auto c = ds.find(name);
    if (!c) throw_bad_input(fmt::format("split column '{}' is not in the header", name),
                            fmt::format("columns are: {}", fmt::join(ds.names(), ", ")), Where{ds.source, 1, 0, name});
    if (*c == target) throw_bad_input(fmt::format("cannot split by the target column '{}'", name),
                                      "choose a group or time column other than the target", Where{ds.source, 1, 0, name});
    return *c;
  };
  SplitAssignment a;
  switch (spec.method) {
    case SplitMethod::random: a = split_random(ds.rows(), sizes, seed); break;
    case SplitMethod::stratified: {
      if (!is_classification(task)) {
        a = split_random(ds.rows(), sizes, seed);
        break;
      }
      const Column& t = ds.columns[target];
      std::vector<int32_t> classes(ds.rows());
      if (t.is_numeric()) {
        std::vector<float> distinct(t.values.begin(), t.values.end());
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        for (size_t i = 0; i < classes.size(); ++i)
          classes[i] = static_cast<int32_t>(std::lower_bound(distinct.begin(), distinct.end(), t.values[i]) - distinct.begin());
      } else {
        classes.assign(t.codes.begin(), t.codes.end());
      }
      a = split_stratified(classes, sizes, seed);
      break;
    }
    case SplitMethod::group: a = split_group(ds, column_of(spec.column), sizes, seed); break;
    case SplitMethod::time: a = split_time(ds, column_of(spec.column), sizes, seed); break;
  }
  for (auto& rows : a.rows) std::sort(rows.begin(), rows.end());
  return a;
}

}  // namespace mlloop
