#include <gtest/gtest.h>

#include "mlloop/core/error.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/data/task.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::TempDir;

namespace {
Dataset load(const TempDir& d, const std::string& text) {
  mlloop::testing::write_file(d.str("t.csv"), text);
  return read_csv(d.str("t.csv"), {});
}
std::string rows_of(const std::vector<std::string>& ys) {
  std::string t = "x,y\n";
  for (size_t i = 0; i < ys.size(); ++i) t += std::to_string(i) + "," + ys[i] + "\n";
  return t;
}
}  // namespace

TEST(Task, DetectionRules) {
  TempDir d;
  EXPECT_EQ(detect_task(load(d, rows_of({"a", "b", "a", "b"})).columns[1]).task, Task::binary);
  EXPECT_EQ(detect_task(load(d, rows_of({"a", "b", "c", "b"})).columns[1]).task, Task::multiclass);
  EXPECT_EQ(detect_task(load(d, rows_of({"true", "false", "true"})).columns[1]).task, Task::binary);
  EXPECT_EQ(detect_task(load(d, rows_of({"0", "1", "1", "0"})).columns[1]).task, Task::binary);
  std::vector<std::string> ints, many, reals;
  for (int i = 0; i < 60; ++i) {
    ints.push_back(std::to_string(i % 20));
    many.push_back(std::to_string(i % 21));
    reals.push_back(std::to_string(i % 3) + ".5");
  }
  const auto as_classes = detect_task(load(d, rows_of(ints)).columns[1]);
  EXPECT_EQ(as_classes.task, Task::multiclass);
  // Scores such as a wine's quality (3 to 9) read as classes: the reason says how to say otherwise.
  EXPECT_NE(as_classes.hint.find("--task regression"), std::string::npos) << as_classes.hint;
  EXPECT_EQ(detect_task(load(d, rows_of(many)).columns[1]).task, Task::regression);
  EXPECT_EQ(detect_task(load(d, rows_of(reals)).columns[1]).task, Task::regression);
}

TEST(Task, ValidationNamesTheProblem) {
  TempDir d;
  auto expect_bad = [&](const std::string& text, Task task, const std::string& needle, int64_t line) {
    Dataset ds = load(d, text);
    try {
      validate_target(ds, 1, task);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(e.message().find(needle), std::string::npos) << e.describe();
      if (line) {
        EXPECT_EQ(e.where().line, line) << e.describe();
      }
    }
  };
  expect_bad(rows_of({"a", "a", "a"}), Task::binary, "constant", 2);
  expect_bad(rows_of({"a", "b", "a", "b", "c"}), Task::multiclass, "only 1 row", 6);
  expect_bad(rows_of({"yes", "no", "yes"}), Task::regression, "not numeric", 2);
  expect_bad(rows_of({"a", "b", "c", "a", "b", "c"}), Task::binary, "exactly 2 classes", 0);
  // Real numbers given --task binary: the class count is the problem, not its first one-row class.
  expect_bad(rows_of({"0.25", "1.5", "2.75", "0.125", "3.5"}), Task::binary, "exactly 2 classes, but target 'y' has 5", 0);
  // Two classes, one of them of one row: that row is the problem.
  expect_bad(rows_of({"a", "b", "a", "a"}), Task::binary, "only 1 row", 3);
  Dataset ok = load(d, rows_of({"a", "b", "a", "b"}));
  EXPECT_NO_THROW(validate_target(ok, 1, Task::binary));
}

TEST(Task, ANumericTargetReadAsTextNamesItsFirstValueThatIsNoNumber) {
  // 40 amounts, and "inf" on the 8th and 30th rows: the column is text. The errors name "inf"
  // and its line (9: the header is line 1), not the first row, and say how to read it as
  // missing.
  TempDir d;
  std::vector<std::string> ys;
  for (int i = 0; i < 40; ++i) ys.push_back(i == 7 || i == 29 ? "inf" : std::to_string(0.37 * i + 0.01));
  Dataset ds = load(d, rows_of(ys));
  ASSERT_EQ(ds.columns[1].type, ColumnType::categorical);
  for (Task task : {Task::regression, Task::multiclass}) {
    try {
      validate_target(ds, 1, task);
      ADD_FAILURE() << "no error for " << to_string(task);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_EQ(e.where().line, 9) << e.describe();
      EXPECT_NE(e.message().find("\"inf\" (this line) and 1 other rows are not numbers"), std::string::npos) << e.describe();
      EXPECT_NE(e.fix().find("--missing"), std::string::npos) << e.describe();
    }
  }
  // Read with "inf" as a missing marker, it is a regression target.
  mlloop::testing::write_file(d.str("t.csv"), rows_of(ys));
  CsvOptions opt;
  opt.missing_markers.push_back("inf");
  Dataset as_missing = read_csv(d.str("t.csv"), opt);
  ASSERT_EQ(as_missing.columns[1].type, ColumnType::numeric);
  EXPECT_EQ(detect_task(as_missing.columns[1]).task, Task::regression);
  EXPECT_NO_THROW(validate_target(as_missing, 1, Task::regression));
}
