// Time split: the earliest rows train, later ones dev, the latest test. Train-dev is drawn
// at random from the training period.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

namespace {
// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_time(std::string_view s, double& out) {
  s = trim(s);
  if (s.size() < 10) return false;
  auto num = [&](size_t at, size_t n, int& v) {
    v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d)) return false;
  if (s.size() >= 16) {
    num(11, 2, h);
    num(14, 2, mi);
    if (s.size() >= 19) num(17, 2, se);
  }
  out = static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400.0 +
        h * 3600.0 + mi * 60.0 + se;
  return true;
}
}  // namespace

SplitAssignment split_time(const Dataset& ds, size_t time_col, const SplitSizes& sizes, uint64_t seed) {
  const Column& col = ds.columns[time_col];
  const size_t n = ds.rows();
  std::vector<double> key(n);
  std::vector<double> dict_time;
  if (!col.is_numeric()) {
    dict_time.resize(col.dictionary.size());
    for (size_t k = 0; k < col.dictionary.size(); ++k) {
      if (!parse_time(col.dictionary[k], dict_time[k])) {
        size_t row = 0;
        while (row < n && col.codes[row] != static_cast<int32_t>(k)) ++row;
        throw_bad_input(fmt::format("time column '{}' holds {}, which is neither a number nor a date (YYYY-MM-DD[ HH:MM[:SS]])",
                                    col.name, shorten_for_message(col.dictionary[k])),
                        "choose a column of dates or numbers for --split time:COLUMN",
                        Where{ds.source, row < n ? ds.line(row) : 0, static_cast<int64_t>(time_col + 1), col.dictionary[k]});
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (col.is_missing(i)) {
      throw_bad_input(fmt::format("time column '{}' is missing on this row; a time split must place every row in time",
                                  col.name),
                      "fill in the missing times or drop those rows",
                      Where{ds.source, ds.line(i), static_cast<int64_t>(time_col + 1), {}});
    }
    key[i] = col.is_numeric() ? static_cast<double>(col.values[i]) : dict_time[static_cast<size_t>(col.codes[i])];
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key[a] < key[b]; });

  SplitAssignment a;
  const size_t n_test = sizes[SplitName::test], n_dev = sizes[SplitName::dev];
  // The cuts between the periods sit between two times, not inside a run of rows of one time:
  // a date held by rows on both sides of a cut put the same day in train and dev (10 and 47
  // rows), and the latest training time was the earliest dev time. A cut moves to the nearest
  // change of time within half the smaller split's rows either way; a run of one time longer
  // than that stays cut.
  auto tied = [&](size_t c) { return key[order[c - 1]] == key[order[c]]; };
  auto between_times = [&](size_t c, size_t lo, size_t hi, size_t reach) {
    if (c <= lo || c >= hi || !tied(c)) return c;
    for (size_t d = 1; d <= reach; ++d) {
      if (c >= lo + d + 1 && !tied(c - d)) return c - d;
      if (c + d + 1 <= hi && !tied(c + d)) return c + d;
    }
    return c;
  };
  // (Without a dev period, from its own file, the test cut moves within the training rows.)
  const size_t cut2 = n_test == 0 ? n
                      : n_dev == 0 ? between_times(n - n_test, 0, n, n_test / 2)
                                   : between_times(n - n_test, n - n_test - n_dev, n, std::min(n_dev, n_test) / 2);
  const size_t cut1 = n_dev == 0 ? cut2 : between_times(cut2 - std::min(n_dev, cut2), 0, cut2, n_dev / 2);
  const size_t train_period = cut1;
  a[SplitName::dev].assign(order.begin() + static_cast<std::ptrdiff_t>(cut1), order.begin() + static_cast<std::ptrdiff_t>(cut2));
  a[SplitName::test].assign(order.begin() + static_cast<std::ptrdiff_t>(cut2), order.end());
  std::vector<size_t> train(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(train_period));
  seeded_shuffle(train, seed);
  size_t n_td = std::min(sizes[SplitName::train_dev], train.size());
  a[SplitName::train_dev].assign(train.begin(), train.begin() + static_cast<std::ptrdiff_t>(n_td));
  a[SplitName::train].assign(train.begin() + static_cast<std::ptrdiff_t>(n_td), train.end());
  return a;
}

}  // namespace mlloop
