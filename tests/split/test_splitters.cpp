#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "mlloop/core/error.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/split/splitter.hpp"
#include "test_support.hpp"

using namespace mlloop;

namespace {
Dataset synthetic(size_t n, const std::vector<int>& class_weights, size_t groups = 0) {
  Dataset ds;
  ds.source = "synthetic.csv";
  Column y;
  y.name = "y";
  y.type = ColumnType::categorical;
  for (size_t k = 0; k < class_weights.size(); ++k) y.dictionary.push_back("c" + std::to_string(k));
  int total = 0;
  for (int w : class_weights) total += w;
  for (size_t i = 0; i < n; ++i) {
    int r = static_cast<int>((i * 7919) % static_cast<size_t>(total)), k = 0;
    while (r >= class_weights[static_cast<size_t>(k)]) r -= class_weights[static_cast<size_t>(k++)];
    y.codes.push_back(k);
  }
  Column t;
  t.name = "t";
  t.type = ColumnType::numeric;
  for (size_t i = 0; i < n; ++i) t.values.push_back(static_cast<float>((i * 37) % n));
  Column g;
  g.name = "g";
  g.type = ColumnType::integer;
  for (size_t i = 0; i < n; ++i) g.values.push_back(groups ? static_cast<float>(i % groups) : 0.f);
  ds.columns = {y, t, g};
  return ds;
}

void expect_partition(const SplitAssignment& a, size_t n) {
  std::set<size_t> all;
  size_t total = 0;
  for (const auto& rows : a.rows) {
    total += rows.size();
    all.insert(rows.begin(), rows.end());
  }
  EXPECT_EQ(total, n);
  EXPECT_EQ(all.size(), n);
}
}  // namespace

TEST(SplitSizes, DefaultFractions) {
  auto s = default_sizes(1000, false, false);
  EXPECT_EQ(s[SplitName::train], 700u);
  EXPECT_EQ(s[SplitName::train_dev], 100u);
  EXPECT_EQ(s[SplitName::dev], 100u);
  EXPECT_EQ(s[SplitName::test], 100u);
  auto big = default_sizes(250000, false, false);
  EXPECT_EQ(big[SplitName::dev], 10000u);
  EXPECT_EQ(big[SplitName::test], 10000u);
  EXPECT_EQ(big[SplitName::train_dev], 10000u);
  EXPECT_EQ(big[SplitName::train], 220000u);
  auto files = default_sizes(5000, true, true);
  EXPECT_EQ(files[SplitName::dev], 0u);
  EXPECT_EQ(files[SplitName::test], 0u);
  EXPECT_EQ(files[SplitName::train_dev], 500u);
  EXPECT_EQ(files[SplitName::train], 4500u);
  auto big_files = default_sizes(300000, true, false);
  EXPECT_EQ(big_files[SplitName::train_dev], 10000u);
  EXPECT_EQ(big_files[SplitName::test], 10000u);
}

TEST(Splitters, StratifiedKeepsClassSharesWithinOnePointOrOneRow) {
  for (size_t n : {37u, 200u, 999u, 4454u, 20000u}) {
    Dataset ds = synthetic(n, {72, 25, 3});
    auto sizes = default_sizes(n, false, false);
    auto a = make_splits(ds, 0, Task::multiclass, SplitSpec{SplitMethod::stratified, {}}, sizes, 42);
    expect_partition(a, n);
    std::map<int32_t, size_t> overall;
    for (int32_t c : ds.columns[0].codes) ++overall[c];
    for (SplitName s : kAllSplits) {
      ASSERT_EQ(a[s].size(), sizes[s]) << to_string(s);
      std::map<int32_t, size_t> in;
      for (size_t p : a[s]) ++in[ds.columns[0].codes[p]];
      for (auto [cls, cnt] : overall) {
        double expected_rows = static_cast<double>(cnt) * static_cast<double>(a[s].size()) / static_cast<double>(n);
        double diff_rows = std::fabs(static_cast<double>(in[cls]) - expected_rows);
        double diff_share = diff_rows / static_cast<double>(a[s].size());
        EXPECT_TRUE(diff_share <= 0.01 || diff_rows <= 1.0)
            << "n=" << n << " split " << to_string(s) << " class " << cls << ": " << in[cls] << " rows vs " << expected_rows;
      }
    }
  }
}

TEST(Splitters, SameSeedSameSplitsOtherSeedOtherSplits) {
  Dataset ds = synthetic(1000, {1, 1});
  auto sizes = default_sizes(1000, false, false);
  for (auto method : {SplitMethod::random, SplitMethod::stratified}) {
    auto a = make_splits(ds, 0, Task::binary, SplitSpec{method, {}}, sizes, 7);
    auto b = make_splits(ds, 0, Task::binary, SplitSpec{method, {}}, sizes, 7);
    auto c = make_splits(ds, 0, Task::binary, SplitSpec{method, {}}, sizes, 8);
    EXPECT_EQ(a.rows, b.rows);
    EXPECT_NE(a.rows, c.rows);
    expect_partition(a, 1000);
  }
}

TEST(Splitters, GroupsNeverSpanTwoSplits) {
  Dataset ds = synthetic(3000, {1, 1}, 120);
  auto sizes = default_sizes(3000, false, false);
  auto a = make_splits(ds, 0, Task::binary, SplitSpec::parse("group:g"), sizes, 3);
  expect_partition(a, 3000);
  std::map<float, std::set<int>> where;
  for (int s = 0; s < 4; ++s) {
    EXPECT_FALSE(a.rows[static_cast<size_t>(s)].empty());
    for (size_t p : a.rows[static_cast<size_t>(s)]) where[ds.columns[2].values[p]].insert(s);
  }
  for (auto& [g, splits] : where) EXPECT_EQ(splits.size(), 1u) << "group " << g;
  // Sizes are close to the targets (each group is 25 rows).
  EXPECT_NEAR(static_cast<double>(a[SplitName::dev].size()), 300.0, 50.0);
}

TEST(Splitters, TooFewGroupsIsABadInputError) {
  Dataset ds = synthetic(100, {1, 1}, 2);
  auto sizes = default_sizes(100, false, false);
  try {
    make_splits(ds, 0, Task::binary, SplitSpec::parse("group:g"), sizes, 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.message().find("only 2 distinct groups"), std::string::npos) << e.message();
  }
}

TEST(Splitters, TimeSplitOrdersTrainBeforeDevBeforeTest) {
  Dataset ds = synthetic(1000, {1, 1});
  auto sizes = default_sizes(1000, false, false);
  auto a = make_splits(ds, 0, Task::binary, SplitSpec::parse("time:t"), sizes, 3);
  expect_partition(a, 1000);
  auto tmax = [&](SplitName s) {
    float m = -1e30f;
    for (size_t p : a[s]) m = std::max(m, ds.columns[1].values[p]);
    return m;
  };
  auto tmin = [&](SplitName s) {
    float m = 1e30f;
    for (size_t p : a[s]) m = std::min(m, ds.columns[1].values[p]);
    return m;
  };
  EXPECT_LT(tmax(SplitName::train), tmin(SplitName::dev));
  EXPECT_LT(tmax(SplitName::train_dev), tmin(SplitName::dev));
  EXPECT_LT(tmax(SplitName::dev), tmin(SplitName::test));
  EXPECT_EQ(a[SplitName::train_dev].size(), 100u);
  // Train-dev is drawn at random from the training period, not its end.
  EXPECT_LT(tmin(SplitName::train_dev), 100.f);
}

// Rows share times (days of 110 rows): a cut inside one day put that day in train and dev
// both. The cuts move to the nearest change of day; dev and test keep about their sizes.
TEST(Splitters, TimeSplitKeepsEachTimeInOneSplit) {
  Dataset ds = synthetic(3000, {1, 1});
  for (size_t i = 0; i < 3000; ++i) ds.columns[1].values[i] = static_cast<float>((i * 37 % 3000) / 110);  // days 0..27
  auto a = make_splits(ds, 0, Task::binary, SplitSpec::parse("time:t"), default_sizes(3000, false, false), 3);
  expect_partition(a, 3000);
  std::map<float, std::set<int>> splits_of;
  for (int s = 0; s < 4; ++s)
    for (size_t p : a.rows[static_cast<size_t>(s)]) splits_of[ds.columns[1].values[p]].insert(s == 1 ? 0 : s);  // train_dev is train's period
  for (const auto& [day, in] : splits_of) EXPECT_EQ(in.size(), 1u) << "day " << day;
  // The cut at 2,700 was 60 rows into a day of 110: it moves to that day's end, 50 rows later;
  // dev's, 300 rows before that (30 rows into a day), to that day's start.
  EXPECT_EQ(a[SplitName::test].size(), 250u);
  EXPECT_EQ(a[SplitName::dev].size(), 330u);
  // Dev from its own file: the test cut moves all the same.
  auto c = make_splits(ds, 0, Task::binary, SplitSpec::parse("time:t"), default_sizes(3000, true, false), 3);
  expect_partition(c, 3000);
  std::map<float, std::set<int>> with_dev_file;
  for (int s = 0; s < 4; ++s)
    for (size_t p : c.rows[static_cast<size_t>(s)]) with_dev_file[ds.columns[1].values[p]].insert(s == 1 ? 0 : s);
  for (const auto& [day, in] : with_dev_file) EXPECT_EQ(in.size(), 1u) << "day " << day;
  // One time for every row: no change of time to move to, the cuts stay.
  Dataset flat = synthetic(1000, {1, 1});
  for (auto& v : flat.columns[1].values) v = 5.f;
  auto b = make_splits(flat, 0, Task::binary, SplitSpec::parse("time:t"), default_sizes(1000, false, false), 3);
  expect_partition(b, 1000);
  EXPECT_EQ(b[SplitName::test].size(), 100u);
}

TEST(Splitters, TimeSplitOnMonthFirstDatesFollowsTheCalendar) {
  // 12/31/2019 comes before 01/01/2020, though its text sorts after: the reader keeps such
  // dates as ISO text, and the split follows the calendar. Rows are written in shuffled order.
  mlloop::testing::TempDir tmp;
  std::vector<int> day(600);
  for (int i = 0; i < 600; ++i) day[static_cast<size_t>(i)] = (i * 7) % 600;  // a permutation of 0..599
  std::string t = "when,y\n";
  for (int d : day) {
    // day d: d days after 2019-06-01 (30-day months are enough for an order test)
    const int month0 = 5 + d / 30, dd = 1 + d % 30;
    t += fmt::format("{:02d}/{:02d}/{},{}\n", 1 + month0 % 12, dd, 2019 + month0 / 12, d % 2 ? "a" : "b");
  }
  mlloop::testing::write_file(tmp.str("t.csv"), t);
  Dataset ds = read_csv(tmp.str("t.csv"), {});
  ASSERT_EQ(ds.columns[0].type, ColumnType::datetime);
  auto a = make_splits(ds, 1, Task::binary, SplitSpec::parse("time:when"), default_sizes(600, false, false), 3);
  auto latest = [&](SplitName s) {
    int m = -1;
    for (size_t p : a[s]) m = std::max(m, day[p]);
    return m;
  };
  auto earliest = [&](SplitName s) {
    int m = 1 << 30;
    for (size_t p : a[s]) m = std::min(m, day[p]);
    return m;
  };
  EXPECT_LT(latest(SplitName::train), earliest(SplitName::dev));
  EXPECT_LT(latest(SplitName::dev), earliest(SplitName::test));
  EXPECT_EQ(earliest(SplitName::test), 540);  // the last 10% of the days
}

TEST(Splitters, SpecParsing) {
  EXPECT_EQ(SplitSpec::parse("group:user").column, "user");
  EXPECT_EQ(SplitSpec::parse("time:date").str(), "time:date");
  EXPECT_THROW(SplitSpec::parse("kfold"), Error);
  EXPECT_THROW(SplitSpec::parse("group:"), Error);
}
