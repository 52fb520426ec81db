// The CLI contract: exit codes, the data-change check, --force, and the demo.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace mlloop::testing;
namespace fs = std::filesystem;

namespace {
std::string small_csv(const TempDir& tmp) {
  std::string t = "a,b,y\n";
  for (int i = 0; i < 100; ++i) t += std::to_string(i) + "," + std::to_string(i * 3 % 7) + "," + (i % 3 ? "yes" : "no") + "\n";
  write_file(tmp.str("d.csv"), t);
  return tmp.str("d.csv");
}
}  // namespace

// A budget that ends before the setup trains anything leaves no model: exit 1 (no model could be
// trained), the JSON with best null, and a line that says why and what to give instead.
// (20,000 rows: reading them and checking the file's hash take longer than the millisecond.)
TEST(Cli, ABudgetTooShortForAnyModelSaysSo) {
  TempDir tmp;
  std::string t = "a,b,y\n";
  for (int i = 0; i < 20000; ++i) t += fmt::format("{},{},{}\n", i % 97, i * 3 % 7, i % 3 ? "yes" : "no");
  write_file(tmp.str("d.csv"), t);
  ASSERT_EQ(run_mlloop({"init", tmp.str("d.csv"), "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  auto r = run_mlloop({"run", "--dir", tmp.str("p"), "--time-budget", "1ms", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["best"].is_null()) << r.out;
  EXPECT_EQ(j["stopped_because"], "budget");
  EXPECT_NE(r.err.find("the time budget ran out before a model was trained"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give a longer --time-budget"), std::string::npos) << r.err;
}

// A dev file with a class the data file never holds: init notes it, with the class, its count
// and first line (every such row is an error whatever the model); known classes say nothing.
TEST(Cli, InitNotesADevClassTheTrainingDataNeverHolds) {
  TempDir tmp;
  std::string train = "x,y\n", dev = "x,y\n";
  for (int i = 0; i < 200; ++i) train += fmt::format("{},{}\n", i % 7, i % 2 ? "a" : "b");
  for (int i = 0; i < 60; ++i) dev += fmt::format("{},{}\n", i % 7, i == 4 ? "q" : i % 2 ? "a" : "b");
  write_file(tmp.str("train.csv"), train);
  write_file(tmp.str("dev.csv"), dev);
  auto r = run_mlloop({"init", tmp.str("train.csv"), "--target", "y", "--dev-data", tmp.str("dev.csv"), "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: class \"q\" of target 'y' (1 row, first at line 6) never occurs in"), std::string::npos) << r.out;
  // A dev file without a test file: the test split comes from the data file, and init says so.
  EXPECT_NE(r.out.find("note: test is drawn from " + tmp.str("train.csv") + " (the training rows' distribution)"), std::string::npos) << r.out;
  r = run_mlloop({"init", tmp.str("train.csv"), "--target", "y", "--test-data", tmp.str("train.csv"), "--dir", tmp.str("q")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("never occurs in"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("test is drawn from"), std::string::npos) << r.out;
}

TEST(Cli, ChangingOneByteOfTheDataMakesEveryCommandExit3) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  ASSERT_EQ(run_mlloop({"status", "--dir", tmp.str("p")}).exit_code, 0);
  std::string bytes = read_file(data);
  bytes[bytes.size() / 2] = bytes[bytes.size() / 2] == '1' ? '2' : '1';
  write_file(data, bytes);
  auto r = run_mlloop({"status", "--dir", tmp.str("p")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("changed since init"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(data), std::string::npos) << r.err;
  EXPECT_EQ(run_mlloop({"status", "--json", "--dir", tmp.str("p")}).exit_code, 3);
  fs::remove(data);
  r = run_mlloop({"status", "--dir", tmp.str("p")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("gone"), std::string::npos) << r.err;
}

TEST(Cli, InitTwiceNeedsForceAndForceResplits) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  auto again = run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--force"), std::string::npos);
  auto forced = run_mlloop({"init", data, "--target", "a", "--task", "regression", "--force", "--dir", tmp.str("p")});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  auto s = nlohmann::json::parse(run_mlloop({"status", "--json", "--dir", tmp.str("p")}).out);
  EXPECT_EQ(s["task"], "regression");
  EXPECT_EQ(s["target"], "a");
}

// A group split places the rows without a group as one group, whole in one split; a missing
// time is refused. init now says so, with the count, the first line and the split.
TEST(Cli, InitNotesTheRowsWithoutAGroup) {
  TempDir tmp;
  std::string data = "grp,x,y\n";
  for (int i = 0; i < 300; ++i) data += fmt::format("{},{},{}\n", i % 10 == 3 ? "" : fmt::format("g{}", i % 40), i % 7, i % 2 ? "a" : "b");
  write_file(tmp.str("d.csv"), data);
  auto r = run_mlloop({"init", tmp.str("d.csv"), "--target", "y", "--split", "group:grp", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: group column 'grp': 30 rows without a group (first at line 5) count as one group, all in "),
            std::string::npos) << r.out;
}

// For auc the goal is a loss, 1 - AUC (CONTRACT.md): --goal 0.9 meant an AUC of 0.1, and the
// loop stopped "goal_reached" on a linear model at chance. A goal (or reference) that guessing
// meets is bad input naming the loss to give; init and status print the goal both ways.
TEST(Cli, AnAucGoalThatGuessingMeetsIsExit2) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  for (const char* flag : {"--goal", "--reference-error"}) {
    auto r = run_mlloop({"init", data, "--target", "y", "--metric", "auc", flag, "0.9", "--dir", tmp.str("p")});
    EXPECT_EQ(r.exit_code, 2) << flag;
    EXPECT_NE(r.err.find(std::string(flag) + " 0.9 is a loss for metric auc, 1 - AUC: an AUC of 0.1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string("fix: for an AUC of 0.9 give ") + flag + " 0.1"), std::string::npos) << r.err;
  }
  auto r = run_mlloop({"init", data, "--target", "y", "--metric", "auc", "--goal", "0.1", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("goal   dev 1 - auc <= 0.1 (auc >= 0.9)"), std::string::npos) << r.out;
  EXPECT_NE(run_mlloop({"status", "--dir", tmp.str("p")}).out.find("1 - auc <= 0.1 (auc >= 0.9)"), std::string::npos);
}

// A --dir that can be no folder (a file, or under one) was "internal error: filesystem error"
// with exit 1, after the data had been read; the demo's likewise.
TEST(Cli, ADirThatCanBeNoFolderIsExit2) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  for (const std::string& dir : {data, data + "/sub"}) {
    auto r = run_mlloop({"init", data, "--target", "y", "--dir", dir});
    EXPECT_EQ(r.exit_code, 2) << dir;
    EXPECT_NE(r.err.find("cannot be a project folder: '" + data + "' is a file"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  }
  auto demo = run_mlloop({"demo", "--dir", data + "/sub"});
  EXPECT_EQ(demo.exit_code, 2);
  EXPECT_NE(demo.err.find("cannot make the demo folder"), std::string::npos) << demo.err;
}

// init --force writes mlloop.toml again; what was set there by hand and no flag sets is kept
// ([loop], [analyze], and the goal and reference error while the metric stays), and said. An
// init --force to change the split lost a deny list, a plateau and a goal in silence. A goal is
// written as given (0.06, not toml++'s 0.059999999999999998).
TEST(Cli, InitForceKeepsTheSettingsSetByHand) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--goal", "0.06", "--dir", tmp.str("p")}).exit_code, 0);
  std::string toml = read_file(tmp.str("p/mlloop.toml"));
  EXPECT_NE(toml.find("goal = 0.06\n"), std::string::npos) << toml;
  for (auto [from, to] : {std::pair<std::string, std::string>{"deny = []", "deny = ['augment']"}, {"plateau = 3", "plateau = 5"},
                          {"cv_folds = 5", "cv_folds = 4"}}) {
    ASSERT_NE(toml.find(from), std::string::npos) << from;
    toml.replace(toml.find(from), from.size(), to);
  }
  write_file(tmp.str("p/mlloop.toml"), toml);
  auto r = run_mlloop({"init", data, "--target", "y", "--seed", "7", "--force", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("kept from the old mlloop.toml: [loop] plateau, [loop] deny, [analyze] cv_folds, [task] goal"),
            std::string::npos) << r.out << r.err;
  auto s = nlohmann::json::parse(run_mlloop({"status", "--json", "--dir", tmp.str("p")}).out);
  EXPECT_EQ(s["goal"], 0.06);
  toml = read_file(tmp.str("p/mlloop.toml"));
  for (const char* line : {"deny = [ 'augment' ]", "plateau = 5", "cv_folds = 4", "seed = 7", "goal = 0.06\n"})
    EXPECT_NE(toml.find(line), std::string::npos) << line << "\n" << toml;
  // Another metric: the goal was a value of the old one, and goes (said); the rest stays.
  r = run_mlloop({"init", data, "--target", "y", "--metric", "logloss", "--force", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("not kept: [task] goal"), std::string::npos) << r.out << r.err;
  toml = read_file(tmp.str("p/mlloop.toml"));
  EXPECT_EQ(toml.find("goal ="), std::string::npos) << toml;
  EXPECT_NE(toml.find("deny = [ 'augment' ]"), std::string::npos) << toml;
  // A goal given as a flag wins over the old one.
  r = run_mlloop({"init", data, "--target", "y", "--metric", "logloss", "--goal", "0.3", "--force", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(tmp.str("p/mlloop.toml")).find("goal = 0.3\n"), std::string::npos);
}

// A class under 10% of the rows gets a note at init when the metric is plain error, or f1 with
// the rare class positive; a balanced target, or another metric, gets none.
TEST(Cli, InitNotesARareClassWhenTheMetricIsError) {
  TempDir tmp;
  std::string t = "a,y\n";
  for (int i = 0; i < 200; ++i) t += std::to_string(i % 13) + "," + (i % 25 == 0 ? "fraud" : "ok") + "\n";  // 4% fraud
  write_file(tmp.str("rare.csv"), t);
  auto r = run_mlloop({"init", tmp.str("rare.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: class 'fraud' is 4.0% of the rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--metric auc"), std::string::npos) << r.out;
  auto auc = run_mlloop({"init", tmp.str("rare.csv"), "--target", "y", "--metric", "auc", "--dir", tmp.str("q")});
  ASSERT_EQ(auc.exit_code, 0) << auc.err;
  EXPECT_EQ(auc.out.find("note: class"), std::string::npos) << auc.out;
  // f1 on the rare class: its threshold is the most probable class, said at init.
  auto f1 = run_mlloop({"init", tmp.str("rare.csv"), "--target", "y", "--metric", "f1", "--dir", tmp.str("f")});
  ASSERT_EQ(f1.exit_code, 0) << f1.err;
  EXPECT_NE(f1.out.find("note: f1 scores the class each model finds most probable"), std::string::npos) << f1.out;
  EXPECT_NE(f1.out.find("class 'fraud' is 4.0% of the rows"), std::string::npos) << f1.out;
  auto balanced = run_mlloop({"init", small_csv(tmp), "--target", "y", "--dir", tmp.str("b")});  // a third "no"
  ASSERT_EQ(balanced.exit_code, 0) << balanced.err;
  EXPECT_EQ(balanced.out.find("note: class"), std::string::npos) << balanced.out;
  // Twelve balanced classes: each is 8.3% of the rows, and none is rare.
  std::string many = "a,y\n";
  for (int i = 0; i < 240; ++i) many += std::to_string(i % 17) + ",k" + std::to_string(i % 12) + "\n";
  write_file(tmp.str("many.csv"), many);
  auto twelve = run_mlloop({"init", tmp.str("many.csv"), "--target", "y", "--dir", tmp.str("m")});
  ASSERT_EQ(twelve.exit_code, 0) << twelve.err;
  EXPECT_EQ(twelve.out.find("note: class"), std::string::npos) << twelve.out;
}

// A column of dates under a split that ignores them: init names it and the time split, once;
// with --split given (even random), or without a date column, no note.
TEST(Cli, InitNotesADateColumnUnderARandomSplit) {
  TempDir tmp;
  std::string t = "day,x,y\n";
  for (int i = 0; i < 120; ++i)
    t += fmt::format("2024-{:02d}-{:02d},{},{}\n", 1 + i / 28, 1 + i % 28, i % 7, i % 3 ? "yes" : "no");
  write_file(tmp.str("d.csv"), t);
  auto r = run_mlloop({"init", tmp.str("d.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: column 'day' holds dates"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a stratified split trains on rows later than those of dev and test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--split time:day"), std::string::npos) << r.out;
  for (const char* split : {"random", "time:day"}) {
    auto given = run_mlloop({"init", tmp.str("d.csv"), "--target", "y", "--split", split, "--dir", tmp.str(std::string("q") + split[0])});
    ASSERT_EQ(given.exit_code, 0) << given.err;
    EXPECT_EQ(given.out.find("holds dates"), std::string::npos) << given.out;
  }
  auto plain = run_mlloop({"init", small_csv(tmp), "--target", "y", "--dir", tmp.str("b")});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("holds dates"), std::string::npos) << plain.out;
}

TEST(Cli, InfoTellsFreeTextFromAnIdentifier) {
  TempDir tmp;
  std::string t = "code,comment,y\n";
  for (int i = 0; i < 60; ++i) t += fmt::format("K{},\"the box {} came late\",{}\n", 500 + i, i, i % 2 ? "a" : "b");
  write_file(tmp.str("t.csv"), t);
  auto r = run_mlloop({"info", tmp.str("t.csv"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["columns"].size(), 3u);
  EXPECT_TRUE(j["columns"][0]["identifier_like"].get<bool>());
  EXPECT_FALSE(j["columns"][0]["free_text"].get<bool>());
  EXPECT_TRUE(j["columns"][1]["identifier_like"].get<bool>());  // unique per row, as before
  EXPECT_TRUE(j["columns"][1]["free_text"].get<bool>());
  EXPECT_FALSE(j["columns"][2]["free_text"].get<bool>());
  auto h = run_mlloop({"info", tmp.str("t.csv")});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_NE(h.out.find("free text, about 5 words each"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("looks like an identifier"), std::string::npos) << h.out;
}

// An integer column unique per row is flagged as an identifier only when its name or its
// values, laid out like a numbering, say so; an amount that merely does not repeat is read as a measurement, and
// init's preprocessing keeps it (no "no usable feature" note with it as the only feature).
TEST(Cli, InfoReadsAUniqueWideSpreadIntegerAsAMeasurement) {
  TempDir tmp;
  std::string t = "id,salary,y\n";
  for (int i = 0; i < 60; ++i) t += fmt::format("{},{},{}\n", 1 + i, 41000 + 1733 * ((i * 7) % 60), (i * 7) % 60 > 30 ? "a" : "b");
  write_file(tmp.str("t.csv"), t);
  auto r = run_mlloop({"info", tmp.str("t.csv"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["columns"][0]["identifier_like"].get<bool>());
  EXPECT_FALSE(j["columns"][1]["identifier_like"].get<bool>());
  auto h = run_mlloop({"info", tmp.str("t.csv")});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_NE(h.out.find("read as a measurement"), std::string::npos) << h.out;
  auto init = run_mlloop({"init", tmp.str("t.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out.find("no usable feature"), std::string::npos) << init.out;
  auto train = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "linear"});
  EXPECT_EQ(train.exit_code, 0) << train.err;
  EXPECT_NE((train.out + train.err).find("dropped column 'id'"), std::string::npos) << train.out << train.err;
  EXPECT_EQ((train.out + train.err).find("dropped column 'salary'"), std::string::npos) << train.out << train.err;
}

TEST(Cli, BadFlagsAndMissingProjectAreExit2) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  EXPECT_EQ(run_mlloop({"init", data, "--target", "y", "--bogus"}).exit_code, 2);
  EXPECT_EQ(run_mlloop({"init", data}).exit_code, 2);
  auto unknown = run_mlloop({"--threads", "2", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command \"frobnicate\""), std::string::npos) << unknown.err;  // it said "A subcommand is required"
  EXPECT_NE(unknown.err.find("init, info, status"), std::string::npos) << unknown.err;
  // The global options after the command as before it (after it, they were "not expected").
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("g")}).exit_code, 0);
  auto after = run_mlloop({"status", "--dir", tmp.str("g"), "--threads", "1", "-q"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(run_mlloop({"status", "--dir", tmp.str("g"), "--threads", "0"}).exit_code, 2);  // still checked
  // A value that is no number names the flag, the value and what it takes ("Could not convert:
  // --seed = abc" before).
  auto seed = run_mlloop({"init", data, "--target", "y", "--seed", "abc", "--dir", tmp.str("q")});
  EXPECT_EQ(seed.exit_code, 2);
  EXPECT_NE(seed.err.find("error: --seed takes a whole number, not \"abc\""), std::string::npos) << seed.err;
  auto goal = run_mlloop({"init", data, "--target", "y", "--goal", "5%", "--dir", tmp.str("q")});
  EXPECT_EQ(goal.exit_code, 2);
  EXPECT_NE(goal.err.find("error: --goal takes a number, not \"5%\""), std::string::npos) << goal.err;
  auto iterations = run_mlloop({"run", "--iterations", "2.5", "--dir", tmp.str("q")});
  EXPECT_EQ(iterations.exit_code, 2);
  EXPECT_NE(iterations.err.find("error: --iterations takes a whole number, not \"2.5\""), std::string::npos) << iterations.err;
  auto r = run_mlloop({"status", "--dir", tmp.str("nothing")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no mlloop project"), std::string::npos);
  EXPECT_EQ(run_mlloop({"--help"}).exit_code, 0);
  auto version = run_mlloop({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "mlloop " MLLOOP_TEST_VERSION "\n");
}

// A [task] positive that is not a class of the binary target was taken silently: the trainer
// fell back to the minority class, the loop's judge to the second class.
TEST(Cli, APositiveClassThatIsNoClassIsExit2NamingTheClasses) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--metric", "f1", "--dir", tmp.str("p")}).exit_code, 0);
  std::string toml = read_file(tmp.path() / "p" / "mlloop.toml");
  const size_t at = toml.find("metric = 'f1'");
  ASSERT_NE(at, std::string::npos) << toml;
  auto with_positive = [&](const std::string& line) { return std::string(toml).insert(at, line); };
  write_file(tmp.path() / "p" / "mlloop.toml", with_positive("positive = 'maybe'\n"));
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"train", "--model", "baseline"}, {"run", "--iterations", "1"}}) {
    std::vector<std::string> args = cmd;
    args.insert(args.end(), {"--dir", tmp.str("p")});
    auto r = run_mlloop(args);
    EXPECT_EQ(r.exit_code, 2) << cmd[0] << ": " << r.err;
    EXPECT_NE(r.err.find("positive = \"maybe\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\"yes\" or \"no\""), std::string::npos) << r.err;
  }
  write_file(tmp.path() / "p" / "mlloop.toml", with_positive("positive = 'yes'\n"));
  auto r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "baseline"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A table whose only other columns are constant, always missing or an identifier gives the
// models nothing: init says so in a note (the project is made: identifiers are told by a rule
// that a real feature can meet), and train then stops with exit 2 saying the same.
TEST(Cli, InitNotesATableWithNoUsableFeature) {
  TempDir tmp;
  std::string t = "id,k,m,y\n";
  for (int i = 0; i < 100; ++i) t += std::to_string(1000 + i) + ",1,," + (i % 3 ? "yes" : "no") + "\n";
  write_file(tmp.str("d.csv"), t);
  auto r = run_mlloop({"init", tmp.str("d.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: no usable feature column"), std::string::npos) << r.out;
  r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "baseline"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no usable feature columns"), std::string::npos) << r.err;
  // The error says why each column went: the notes that say it are not printed before it.
  EXPECT_NE(r.err.find("'id': unique per row"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'k': constant"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'m': always missing"), std::string::npos) << r.err;
  // A file of the target alone is no project: init refuses it.
  t = "y\n";
  for (int i = 0; i < 100; ++i) t += i % 3 ? "yes\n" : "no\n";
  write_file(tmp.str("only.csv"), t);
  r = run_mlloop({"init", tmp.str("only.csv"), "--target", "y", "--dir", tmp.str("o")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the file has one column, the target 'y'"), std::string::npos) << r.err;
  // One column that varies and repeats: no note.
  t = "id,k,y\n";
  for (int i = 0; i < 100; ++i) t += std::to_string(1000 + i) + "," + std::to_string(i % 4) + "," + (i % 3 ? "yes" : "no") + "\n";
  write_file(tmp.str("e.csv"), t);
  r = run_mlloop({"init", tmp.str("e.csv"), "--target", "y", "--dir", tmp.str("q")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("no usable feature"), std::string::npos) << r.out;
}

// status --json named the project "" when init ran without --dir, or with a trailing slash.
TEST(Cli, TheProjectIsNamedAfterItsFolderHoweverItWasGiven) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  fs::create_directories(tmp.path() / "here");
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y"}, tmp.str("here")).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(run_mlloop({"status", "--json"}, tmp.str("here")).out)["project"], "here");
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("slash") + "/"}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(run_mlloop({"status", "--json", "--dir", tmp.str("slash")}).out)["project"], "slash");
}

TEST(Cli, StatusTellsALoopAtWorkFromAnInterruptedOne) {
  // The loop lock held (as mlloop run holds it): status says a run is at work; free, nothing.
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  EXPECT_EQ(run_mlloop({"status", "--dir", tmp.str("p")}).out.find("mlloop run is"), std::string::npos);
  const int fd = ::open(tmp.str("p/.mlloop/loop.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);  // not inherited
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = run_mlloop({"status", "--dir", tmp.str("p")});
  EXPECT_NE(r.out.find("loop     mlloop run is setting up or analyzing"), std::string::npos) << r.out;
  ::close(fd);
  EXPECT_EQ(run_mlloop({"status", "--dir", tmp.str("p")}).out.find("mlloop run is"), std::string::npos);
}

TEST(Cli, BadTomlIsExit2NamingTheLine) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  std::ofstream(tmp.str("p/mlloop.toml"), std::ios::app) << "\n[loop]\nbudget = 3\n";
  auto r = run_mlloop({"status", "--dir", tmp.str("p")});
  EXPECT_EQ(r.exit_code, 2);
}

// The target, how the rows were read, the task's kind and the split are frozen with the splits:
// an edit of one in mlloop.toml is refused by every command, naming the line, the value init
// set and how to start over (a target edited to column 'a', 100 distinct integers, was read as
// 100 classes of a binary task). Editable settings (the metric, the loop's) still load.
TEST(Cli, EditingAFrozenSettingInTheTomlIsExit2NamingTheLine) {
  TempDir tmp;
  std::string data = small_csv(tmp);
  ASSERT_EQ(run_mlloop({"init", data, "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  const std::string toml = read_file(tmp.str("p/mlloop.toml"));
  auto line_of = [&](const std::string& text, const std::string& key) {
    std::istringstream in(text);
    std::string l;
    for (int n = 1; std::getline(in, l); ++n)
      if (l.rfind(key + " = ", 0) == 0) return n;
    return 0;
  };
  auto edited = [&](const std::string& from, const std::string& to) {
    std::string t = toml;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    write_file(tmp.str("p/mlloop.toml"), t);
    return t;
  };
  struct Case {
    std::string from, to, key, message, fix;
  };
  for (const Case& c : std::vector<Case>{
           {"target = 'y'", "target = 'a'", "target", "[data] target = 'a' in mlloop.toml, but the project was initialized with 'y'",
            "--target a --force"},
           {"seed = 42", "seed = 7", "seed", "[split] seed = 7 in mlloop.toml, but the project was initialized with 42", "--target y --seed 7 --force"},
           {"method = 'stratified'", "method = 'random'", "method", "[split] method = 'random'", "--split random --force"},
           {"kind = 'binary'", "kind = 'multiclass'", "kind", "[task] kind = 'multiclass'", "--task multiclass --force"},
           {"on_bad_rows = 'error'", "on_bad_rows = 'skip'", "on_bad_rows", "[data] on_bad_rows = 'skip'", "--on-bad-rows skip --force"},
           {"'NA', ", "", "missing", "[data] missing = [", "--missing ',N/A,NaN,null,?' --force"}}) {
    const std::string t = edited(c.from, c.to);
    for (const char* cmd : {"status", "run", "diagnose"}) {
      auto r = run_mlloop({cmd, "--dir", tmp.str("p")});
      EXPECT_EQ(r.exit_code, 2) << c.key << " " << cmd << r.out << r.err;
      EXPECT_NE(r.err.find(fmt::format("mlloop.toml:{}: {}", line_of(t, c.key), c.message)), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(c.fix), std::string::npos) << r.err;
    }
  }
  edited("metric = 'error'", "metric = 'auc'");
  auto r = run_mlloop({"status", "--json", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["metric"], "auc");
  write_file(tmp.str("p/mlloop.toml"), toml);
  EXPECT_EQ(run_mlloop({"status", "--dir", tmp.str("p")}).exit_code, 0);
}

TEST(Cli, MissingTargetRowsAreDroppedAndRecorded) {
  TempDir tmp;
  std::string t = "a,y\n";
  for (int i = 0; i < 60; ++i) t += std::to_string(i % 13) + "," + (i % 10 == 3 ? "" : (i % 2 ? "p" : "q")) + "\n";
  write_file(tmp.str("m.csv"), t);
  auto r = run_mlloop({"init", tmp.str("m.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dropped 6 rows with a missing target (lines 5, 15, 25"), std::string::npos) << r.out;
  auto s = nlohmann::json::parse(run_mlloop({"status", "--json", "--dir", tmp.str("p")}).out);
  int total = 0;
  for (auto& [k, v] : s["rows"].items()) total += v.get<int>();
  EXPECT_EQ(total, 54);
  auto e = run_mlloop({"init", tmp.str("m.csv"), "--target", "y", "--on-missing-target", "error", "--dir", tmp.str("q")});
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("m.csv:5:2"), std::string::npos) << e.err;
}

TEST(Cli, SkippedBadRowsAreCountedAndSaved) {
  TempDir tmp;
  std::string t = "a,y\n";
  for (int i = 0; i < 60; ++i) t += (i == 20 ? std::string("1,2,3") : std::to_string(i % 13) + "," + (i % 2 ? "p" : "q")) + "\n";
  write_file(tmp.str("b.csv"), t);
  EXPECT_EQ(run_mlloop({"init", tmp.str("b.csv"), "--target", "y", "--dir", tmp.str("p")}).exit_code, 2);
  auto r = run_mlloop({"init", tmp.str("b.csv"), "--target", "y", "--on-bad-rows", "skip", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("skipped 1 malformed row (lines 22)"), std::string::npos) << r.out;
  auto s = run_mlloop({"status", "--dir", tmp.str("p")});
  EXPECT_NE(s.out.find("rejected 1 malformed rows"), std::string::npos) << s.out;
}

TEST(Cli, DemoRunsInAFreshFolderFromAnywhere) {
  TempDir tmp;
  auto r = run_mlloop({"demo"}, tmp.str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(tmp.path() / "mlloop-demo" / "mlloop.toml"));
  EXPECT_TRUE(fs::exists(tmp.path() / "mlloop-demo" / ".mlloop" / "store.db"));
  EXPECT_NE(r.out.find("train          3,119"), std::string::npos) << r.out;
  auto runs = nlohmann::json::parse(run_mlloop({"runs", "--json", "--dir", tmp.str("mlloop-demo")}).out);
  ASSERT_GE(runs.size(), 2u);  // the loop's setup: baseline and linear, then its candidates
  EXPECT_NE(r.out.find("$ mlloop run"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stopped: "), std::string::npos) << r.out;  // the loop ran to a stop rule
  auto status = nlohmann::json::parse(run_mlloop({"status", "--json", "--dir", tmp.str("mlloop-demo")}).out);
  EXPECT_FALSE(status["best"].is_null());
  EXPECT_EQ(runs[0]["model"], "baseline");
  EXPECT_LT(status["best"]["dev"].get<double>(), runs[0]["errors"]["dev"].get<double>());  // beats the class prior
  // The demo ends with the report, self-contained.
  auto report = tmp.path() / "mlloop-demo" / ".mlloop" / "reports" / "report.html";
  ASSERT_TRUE(fs::exists(report)) << r.out;
  EXPECT_NE(r.out.find(report.string()), std::string::npos) << r.out;
  std::string html = read_file(report);
  EXPECT_NE(html.find("window.MLLOOP_DATA = "), std::string::npos);
  EXPECT_EQ(html.find("<script src="), std::string::npos) << "nothing is loaded from elsewhere";
  // A second demo does not clobber the first.
  ASSERT_EQ(run_mlloop({"demo"}, tmp.str()).exit_code, 0);
  EXPECT_TRUE(fs::exists(tmp.path() / "mlloop-demo-2" / "mlloop.toml"));
  EXPECT_EQ(read_file(tmp.path() / "mlloop-demo" / "credit_data.csv"), read_file(source_dir() + "/data/credit_data.csv"));
}

TEST(Cli, FilesWhoseDatesCannotTellTheirOrderReadThemAsTheDataFileDid) {
  // The data file's dates are day first (13/01/2020 tells); a dev file and a predict file whose
  // days are all 12 or less could be either, and '/' alone would read them month first. They
  // read day first, as the data file was, and say so.
  TempDir tmp;
  std::string data = "when,x,y\n";
  for (int i = 0; i < 300; ++i) data += fmt::format("{:02d}/{:02d}/2020,{},{}\n", 1 + i % 28, 1 + i % 12, i % 7, i % 2 ? "a" : "b");
  std::string dev = "when,x,y\n";
  for (int i = 0; i < 60; ++i) dev += fmt::format("{:02d}/{:02d}/2021,{},{}\n", 1 + i % 12, 1 + (i * 5) % 12, i % 7, i % 2 ? "a" : "b");
  mlloop::testing::write_file(tmp.str("data.csv"), data);
  mlloop::testing::write_file(tmp.str("dev.csv"), dev);
  mlloop::testing::write_file(tmp.str("new.csv"), "when,x\n03/04/2021,1\n");
  auto r = run_mlloop({"init", tmp.str("data.csv"), "--target", "y", "--dev-data", tmp.str("dev.csv"), "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("'when' read as dates, day first"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("as the project's data file was read"), std::string::npos) << r.out;  // the dev file's note
  r = run_mlloop({"info", tmp.str("new.csv")});
  EXPECT_NE(r.out.find("month first (\"03/04/2021\" is 2021-03-04)"), std::string::npos) << r.out;  // alone, a guess
  // The project reads the dev file's dates day first: 03/04/2021 is the 3rd of April.
  r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "linear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("new.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// Class names that hold a comma or a quote are written as CSV quotes them: unquoted, the
// header "p_yes, really" read as two columns, and every row one field longer than it.
// A predict file whose date column holds a value that is no date ("not a date", or one date in
// another form among ISO ones) is not read as dates, and the value was put in time order by its
// letters ("09/11/2020" before every date of 2020): a silent misreading where a number column's
// text is exit 2. Now exit 2 too, naming the line, the column and the value.
TEST(Cli, PredictRefusesAValueOfADateColumnThatIsNoDate) {
  TempDir tmp;
  std::string data = "signup,x,label\n";
  for (int i = 0; i < 200; ++i)
    data += fmt::format("2021-{:02}-{:02},{},{}\n", 1 + i % 12, 1 + i % 28, i % 7, i % 12 < 6 ? "early" : "late");
  mlloop::testing::write_file(tmp.str("data.csv"), data);
  auto r = run_mlloop({"init", tmp.str("data.csv"), "--target", "label", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "gbdt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  mlloop::testing::write_file(tmp.str("ok.csv"), "signup,x\n2021-03-04,1\n2022-07-30,2\n,3\n");
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("ok.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const std::string bad : {"09/11/2021", "not a date"}) {
    mlloop::testing::write_file(tmp.str("bad.csv"), "signup,x\n2021-03-04,1\n" + bad + ",2\n2021-05-06,3\n");
    r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("bad.csv")});
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.out;
    EXPECT_NE(r.err.find("bad.csv:3:1: column 'signup' holds \"" + bad + "\" here, which is no date as the training data writes them"),
              std::string::npos) << r.err;
  }
}

TEST(Cli, PredictQuotesClassesThatHoldCommasOrQuotes) {
  TempDir tmp;
  std::string data = "x,label\n";
  for (int i = 0; i < 200; ++i) data += fmt::format("{},{}\n", i % 10, i % 10 < 5 ? "\"yes, really\"" : "\"no \"\"way\"\"\"");
  mlloop::testing::write_file(tmp.str("data.csv"), data);
  mlloop::testing::write_file(tmp.str("new.csv"), "x\n1\n8\n");
  auto r = run_mlloop({"init", tmp.str("data.csv"), "--target", "label", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "linear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("new.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Split each line into fields as RFC 4180 reads them.
  auto fields = [](const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) out.emplace_back();
      else out.back() += c;
    }
    return out;
  };
  std::istringstream lines(r.out);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(fields(line));
  ASSERT_EQ(rows.size(), 3u) << r.out;
  for (const auto& row : rows) EXPECT_EQ(row.size(), 4u) << r.out;
  std::vector<std::string> header = rows[0];
  std::sort(header.begin() + 2, header.end());
  EXPECT_EQ(header, (std::vector<std::string>{"row_id", "prediction", "p_no \"way\"", "p_yes, really"})) << r.out;
  EXPECT_EQ(rows[1][1], "yes, really") << r.out;
  EXPECT_EQ(rows[2][1], "no \"way\"") << r.out;
}

TEST(Cli, PredictFilesReadNumbersWithTheDataFilesDecimalMark) {
  // The data file writes numbers the European way ("1.234,5"). A predict file whose prices
  // are "1.500" and "2.000" would alone read as 1.5 and 2; the project reads them as the
  // data file was read, 1500 and 2000, and the model's predictions (y = 2 x price) say so.
  TempDir tmp;
  std::string data = "price;x;y\n";
  for (int i = 0; i < 300; ++i) {
    const double price = 100.0 + 10.0 * i + 0.5;
    auto european = [](double v) {  // below a million, one decimal: 1234.5 -> "1.234,5"
      const int tenths = static_cast<int>(std::lround(v * 10)), whole = tenths / 10;
      return whole >= 1000 ? fmt::format("{}.{:03d},{}", whole / 1000, whole % 1000, tenths % 10)
                           : fmt::format("{},{}", whole, tenths % 10);
    };
    data += fmt::format("{};{};{}\n", european(price), i % 7, european(2.0 * price));
  }
  mlloop::testing::write_file(tmp.str("data.csv"), data);
  mlloop::testing::write_file(tmp.str("new.csv"), "price;x\n1.500;1\n2.000;2\n");
  auto r = run_mlloop({"init", tmp.str("data.csv"), "--target", "y", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("'price' read as numbers with a decimal comma"), std::string::npos) << r.out;
  r = run_mlloop({"train", "--dir", tmp.str("p"), "--model", "linear"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("new.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // How the file was read goes to stderr; stdout holds the predictions only.
  EXPECT_NE(r.err.find("note: " + tmp.str("new.csv") + ": column 'price' read as numbers with a decimal comma (\"1.500\" is 1500), "
                       "as the project's data file was read"),
            std::string::npos) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<double> predicted;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) predicted.push_back(std::stod(line.substr(line.find(',') + 1)));
  ASSERT_EQ(predicted.size(), 2u) << r.out;
  EXPECT_NEAR(predicted[0], 3000.0, 30.0) << r.out;
  EXPECT_NEAR(predicted[1], 4000.0, 40.0) << r.out;
  // A value that is no number: the error names the file, line, column and value.
  mlloop::testing::write_file(tmp.str("bad.csv"), "price;x\n1.500;1\nabout 2000;2\n;3\n");
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("bad.csv")});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("bad.csv:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("about 2000"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column 'price' holds text here"), std::string::npos) << r.err;
  // A ragged row: the fix offers the flag the command has. predict has none; info has none
  // either, and names init's.
  mlloop::testing::write_file(tmp.str("ragged.csv"), "price;x\n1.500;1\n2.000;2;7\n");
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("ragged.csv")});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("ragged.csv:3"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--on-bad-rows"), std::string::npos) << r.err;
  r = run_mlloop({"info", tmp.str("ragged.csv")});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("mlloop init --on-bad-rows skip drops such rows"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("rerun with --on-bad-rows"), std::string::npos) << r.err;
}

TEST(Cli, PredictSaysWhichCategoriesTheTrainingRowsNeverHeld) {
  // A new code or a typo in a category column is predicted as a missing value: no error, but a
  // note on stderr with the column, the count and the first such value. Seen values, missing
  // values and numbers say nothing.
  TempDir tmp;
  std::string data = "color,x,y\n";
  for (int i = 0; i < 300; ++i) data += fmt::format("{},{},{}\n", i % 3 ? "red" : "blue", i % 7, i % 2 ? "a" : "b");
  mlloop::testing::write_file(tmp.str("data.csv"), data);
  mlloop::testing::write_file(tmp.str("seen.csv"), "color,x\nred,1\nblue,2\n,3\n");
  mlloop::testing::write_file(tmp.str("new.csv"), "color,x\nred,1\ngreen,2\n,3\nRed,4\n");
  ASSERT_EQ(run_mlloop({"init", tmp.str("data.csv"), "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  ASSERT_EQ(run_mlloop({"train", "--dir", tmp.str("p"), "--model", "linear"}).exit_code, 0);
  auto r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("seen.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("never held"), std::string::npos) << r.err;
  r = run_mlloop({"predict", "--dir", tmp.str("p"), tmp.str("new.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("note: " + tmp.str("new.csv") + ": column 'color': 2 of 4 rows hold a value the training rows never held "
                       "(first: 'green'); they are predicted as if it were missing"),
            std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;  // the header and 4 predictions
}

TEST(Cli, InitNotesDevCategoriesTheTrainingRowsNeverHold) {
  // A dev file whose category column holds a value train never holds (a new city) gets a note
  // under its line, with the count and the first value; an identifier column (new ids in every
  // file) and a test file with only known values get none.
  TempDir tmp;
  auto write = [&](const std::string& name, const std::string& prefix, int n, std::vector<std::string> cities) {
    std::string text = "id,city,x,y\n";
    for (int i = 0; i < n; ++i) text += fmt::format("{}{},{},{},{}\n", prefix, i, cities[i % cities.size()], i % 7, i % 2 ? "a" : "b");
    mlloop::testing::write_file(tmp.str(name), text);
  };
  write("data.csv", "t", 300, {"Paris", "Lyon", "Nice"});
  write("dev.csv", "d", 90, {"Paris", "Lyon", "Oslo"});
  write("test.csv", "s", 60, {"Nice", "Lyon"});
  auto r = run_mlloop({"init", tmp.str("data.csv"), "--target", "y", "--dev-data", tmp.str("dev.csv"), "--test-data",
                       tmp.str("test.csv"), "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string note = "note: column 'city': 30 of 90 rows hold a value the training rows never hold (first: 'Oslo'); "
                           "the models read it as missing";
  const auto dev_line = r.out.find("dev   "), test_line = r.out.find("test  "), at = r.out.find(note);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_TRUE(dev_line < at && at < test_line) << r.out;  // under the dev file's line
  EXPECT_EQ(r.out.find("never hold", at + note.size()), std::string::npos) << r.out;  // one note: not the ids, not test
}

TEST(Cli, ReportAndDashboardRejectBadInput) {
  TempDir tmp;
  // Without -o the report goes to the project's .mlloop/reports/ (it was exit 2, "--output is
  // required"); without a project that is exit 2, naming mlloop.toml.
  auto no_out = run_mlloop({"report", "--dir", tmp.str()});
  EXPECT_EQ(no_out.exit_code, 2) << no_out.err;
  EXPECT_NE(no_out.err.find("mlloop.toml"), std::string::npos) << no_out.err;
  auto no_project = run_mlloop({"report", "--dir", tmp.str(), "-o", tmp.str("r.html")});
  EXPECT_EQ(no_project.exit_code, 2) << no_project.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "r.html"));
  auto bad_port = run_mlloop({"dashboard", "--dir", tmp.str(), "--port", "70000"});
  EXPECT_EQ(bad_port.exit_code, 2) << bad_port.err;
  auto no_project_dash = run_mlloop({"dashboard", "--dir", tmp.str(), "--port", "0"});
  EXPECT_EQ(no_project_dash.exit_code, 2) << no_project_dash.err;
  EXPECT_NE(no_project_dash.err.find("mlloop.toml"), std::string::npos) << no_project_dash.err;

  // A project, then a host this machine does not have: exit 2, naming it.
  auto csv = tmp.path() / "d.csv";
  std::string rows = "x,y\n";
  for (int i = 0; i < 200; ++i) rows += std::to_string(i % 13) + "," + std::to_string(i % 2) + "\n";
  write_file(csv, rows);
  ASSERT_EQ(run_mlloop({"init", csv.string(), "--target", "y", "--dir", tmp.str("p")}).exit_code, 0);
  auto bad_host = run_mlloop({"dashboard", "--dir", tmp.str("p"), "--host", "192.0.2.1", "--port", "0"});
  EXPECT_EQ(bad_host.exit_code, 2) << bad_host.err;
  EXPECT_NE(bad_host.err.find("192.0.2.1"), std::string::npos) << bad_host.err;
  // A report of a project with no run yet still opens: the views say there is nothing yet.
  auto empty = run_mlloop({"report", "--dir", tmp.str("p"), "-o", tmp.str("r.html")});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.err.find("no finished run"), std::string::npos) << empty.err;
  auto default_out = run_mlloop({"report", "--dir", tmp.str("p")});
  EXPECT_EQ(default_out.exit_code, 0) << default_out.err;
  EXPECT_TRUE(fs::exists(tmp.path() / "p" / ".mlloop" / "reports" / "report.html"));
  EXPECT_NE(default_out.out.find("report: " + (tmp.path() / "p" / ".mlloop" / "reports" / "report.html").string()), std::string::npos)
      << default_out.out;
}
