#include <gtest/gtest.h>

#include "mlloop/analyze/cv.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/project/config.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::TempDir;
using mlloop::testing::write_file;

// Small-data cross-validation repeats until cv_repeats x cv_below out-of-fold predictions
// (x 1,000 when cv_below is larger), at most cv_repeats times and at least once.
TEST(Config, CvRepeatsShrinkOnALargerPool) {
  ProjectConfig c;  // cv_below 2000, cv_repeats 3
  EXPECT_EQ(cv_repeats_for(c, 200), 3);
  EXPECT_EQ(cv_repeats_for(c, 1000), 3);
  EXPECT_EQ(cv_repeats_for(c, 1001), 3);
  EXPECT_EQ(cv_repeats_for(c, 1500), 2);
  EXPECT_EQ(cv_repeats_for(c, 1800), 2);
  EXPECT_EQ(cv_repeats_for(c, 2999), 2);
  EXPECT_EQ(cv_repeats_for(c, 3000), 1);
  EXPECT_EQ(cv_repeats_for(c, 5791), 1);
  c.cv_below = 1000;  // as projects made before 2026-12-06 have it: the same repeats
  EXPECT_EQ(cv_repeats_for(c, 1500), 2);
  EXPECT_EQ(cv_repeats_for(c, 3000), 1);
  c.cv_repeats = 5;
  c.cv_below = 400;
  EXPECT_EQ(cv_repeats_for(c, 300), 5);
  EXPECT_EQ(cv_repeats_for(c, 700), 3);
  EXPECT_EQ(cv_repeats_for(c, 2000), 1);
}

TEST(Config, SaveThenLoadRoundTrips) {
  TempDir d;
  ProjectConfig c;
  c.data = "/data/x.csv";
  c.target = "y";
  c.task = Task::regression;
  c.metric = "mae";
  c.goal = 0.5;
  c.split = SplitSpec::parse("time:date");
  c.seed = 7;
  c.deny = {"augment"};
  save_config(d.str("mlloop.toml"), c);
  ProjectConfig r = load_config(d.str("mlloop.toml"));
  EXPECT_EQ(r.data, c.data);
  EXPECT_EQ(r.target, "y");
  EXPECT_EQ(r.task, Task::regression);
  EXPECT_EQ(r.metric, "mae");
  EXPECT_EQ(r.goal, 0.5);
  EXPECT_FALSE(r.reference_error);
  EXPECT_EQ(r.split.str(), "time:date");
  EXPECT_EQ(r.seed, 7u);
  EXPECT_EQ(r.deny, std::vector<std::string>{"augment"});
  EXPECT_EQ(r.missing, c.missing);
}

TEST(Config, UnknownKeyIsAnErrorWithLineAndSuggestion) {
  TempDir d;
  write_file(d.str("mlloop.toml"), "[data]\npath = \"x.csv\"\ntarget = \"y\"\n\n[task]\nkind = \"binary\"\ngaol = 0.1\n");
  try {
    load_config(d.str("mlloop.toml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_EQ(e.where().line, 7);
    EXPECT_NE(e.message().find("unknown key 'gaol'"), std::string::npos);
    EXPECT_NE(e.fix().find("'goal'"), std::string::npos) << e.fix();
  }
}

TEST(Config, BadValuesAreErrors) {
  TempDir d;
  auto expect_bad = [&](const std::string& text, const std::string& needle) {
    write_file(d.str("mlloop.toml"), text);
    try {
      load_config(d.str("mlloop.toml"));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(e.describe().find(needle), std::string::npos) << e.describe();
    }
  };
  const std::string data = "[data]\npath = \"x.csv\"\ntarget = \"y\"\n";
  expect_bad(data + "[task]\nkind = \"ternary\"\n", "ternary");
  expect_bad(data + "[task]\nkind = \"binary\"\nmetric = \"rmse\"\n", "does not fit");
  expect_bad(data + "[task]\nkind = \"binary\"\ngoal = 1.5\n", "out of range");
  expect_bad(data + "[task]\nkind = \"binary\"\n[split]\nmethod = \"kfold\"\n", "unknown split");
  expect_bad("[task]\nkind = \"binary\"\n", "missing key 'path'");
  expect_bad("[data\npath=", "cannot parse");
  // A value of the wrong kind: the fix shows how to write it.
  expect_bad(data + "[task]\nkind = \"binary\"\n[loop]\nplateau = \"4\"\n", "fix: write a whole number without quotes, for example plateau = 3");
  expect_bad(data + "[task]\nkind = \"binary\"\ngoal = \"0.1\"\n", "fix: write a number without quotes, for example goal = 0.05");
  expect_bad(data + "[task]\nkind = \"binary\"\n[loop]\ndeny = \"augment\"\n", "fix: write a list of quoted values, for example deny = [");
  expect_bad(data + "[task]\nkind = \"binary\"\n[loop]\ndeny = [3]\n", "fix: write a list of quoted values");
  expect_bad("task = 3\n" + data, "fix: write it as a section: a line [task]");
  expect_bad(data + "[task]\nkind = \"binary\"\n[loop]\ntime_budget = [20]\n", "fix: write time_budget = '90s'");
  // A negative iteration budget ran as "the iteration budget (-2) is spent" (--iterations -2 is exit 2).
  expect_bad(data + "[task]\nkind = \"binary\"\n[loop]\niterations = -2\n", "mlloop.toml:7: iterations must be 0 or more");
  // A duration is a string with a unit, or a bare number of seconds, as --time-budget takes.
  write_file(d.str("mlloop.toml"), data + "[task]\nkind = \"binary\"\n[loop]\ntime_budget = 20\nrun_time_cap = 1.5\n");
  ProjectConfig c = load_config(d.str("mlloop.toml"));
  EXPECT_EQ(c.time_budget, std::optional<std::string>("20"));
  EXPECT_EQ(c.run_time_cap, std::optional<std::string>("1.5"));
}
