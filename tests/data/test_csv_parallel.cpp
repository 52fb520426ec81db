// The parallel, chunked parse must give exactly what a one-thread, one-chunk parse gives,
// including when a chunk or thread cut falls inside a quoted field holding line breaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "mlloop/core/error.hpp"
#include "mlloop/data/csv.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::TempDir;
using mlloop::testing::write_file;

namespace {
// nasty: quoted fields holding line breaks, delimiters and doubled quotes. stray: also
// unquoted values holding a quote (12" pipe), which throws off the quote parity the cut
// guesses rely on, so some cuts fall inside quoted fields and must be caught.
std::string make_file(int rows, bool nasty, bool stray = false) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-100, 100);
  std::string t = "id,x,cat,note,y\n";
  for (int i = 0; i < rows; ++i) {
    t += std::to_string(i) + ",";
    if (rng() % 20 == 0) t += "NA";
    else t += std::to_string(u(rng));
    t.append(",c").append(std::to_string(rng() % 50)).append(",");
    if (nasty && rng() % 7 == 0) t += "\"multi\nline, \"\"quoted\"\" \"";
    else if (stray && rng() % 11 == 0) t.append(std::to_string(rng() % 30)).append("\" pipe");
    else t.append("n").append(std::to_string(rng() % 1000));
    t.append(",").append(std::to_string(rng() % 2)).append("\n");
  }
  return t;
}

void expect_same(const Dataset& a, const Dataset& b) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  for (size_t c = 0; c < a.cols(); ++c) {
    const Column& x = a.columns[c];
    const Column& y = b.columns[c];
    ASSERT_EQ(x.type, y.type) << x.name;
    for (size_t i = 0; i < a.rows(); ++i) ASSERT_EQ(x.text(i), y.text(i)) << x.name << " row " << i;
  }
  for (size_t i = 0; i < a.rows(); ++i) {
    ASSERT_EQ(a.row_id(i), b.row_id(i));
    ASSERT_EQ(a.line(i), b.line(i));
  }
}
}  // namespace

class CsvParallel : public ::testing::TestWithParam<int> {};

TEST_P(CsvParallel, ChunksAndThreadsGiveTheSameDataset) {
  TempDir d;
  std::string path = d.str("big.csv");
  write_file(path, make_file(120000, GetParam() > 0, GetParam() > 1));
  CsvOptions one;
  one.threads = 1;
  one.chunk_bytes = 1u << 30;
  Dataset ref = read_csv(path, one);
  ASSERT_EQ(ref.rows(), 120000u);
  for (size_t chunk : {size_t{1} << 16, size_t{1} << 20, size_t{3} << 20}) {
    CsvOptions par;
    par.threads = 2;
    par.chunk_bytes = chunk;
    Dataset got = read_csv(path, par);
    expect_same(ref, got);
  }
}

INSTANTIATE_TEST_SUITE_P(Quoting, CsvParallel, ::testing::Values(0, 1, 2));

TEST(CsvParallelErrors, LineNumbersAreExactAcrossChunks) {
  TempDir d;
  std::string t = make_file(60000, true);
  // Break one row far into the file: count its physical line independently.
  size_t pos = 0;
  for (int i = 0; i < 50000; ++i) pos = t.find("\n", pos) + 1;
  while (t.compare(pos, 4, "line") == 0) pos = t.find("\n", pos) + 1;  // not inside a quoted field
  const int64_t expected_line = 1 + std::count(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
  t.insert(pos, "1,2,3\n");
  std::string path = d.str("bad.csv");
  write_file(path, t);
  CsvOptions par;
  par.threads = 2;
  par.chunk_bytes = 1u << 20;
  try {
    read_csv(path, par);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, expected_line) << e.describe();
    EXPECT_NE(e.message().find("3 fields"), std::string::npos);
  }
}
