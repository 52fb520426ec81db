// mlloop train / runs / predict / models through the binary: the run object of CONTRACT.md,
// exit codes, and predictions for a CSV.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "test_support.hpp"

using namespace mlloop::testing;

namespace {
struct Project {
  TempDir tmp;
  nlohmann::json truth;
  std::string dir;
  explicit Project(const std::string& scenario, int rows = 2000) {
    truth = make_scenario(scenario, tmp.path() / "data", 5, rows);
    dir = tmp.str("p");
    auto r = run_mlloop({"init", tmp.str("data/train.csv"), "--target", truth["target"], "--dir", dir});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
};
}  // namespace

TEST(TrainCli, RunObjectFollowsTheContract) {
  Project p("underfit");
  auto r = run_mlloop({"train", "--dir", p.dir, "--model", "gbdt", "--param", "max_depth=4", "--param", "rounds=80", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"run", "model", "params", "status", "errors", "seconds", "iteration"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["model"], "gbdt");
  EXPECT_EQ(j["status"], "done");
  EXPECT_EQ(j["params"]["max_depth"], 4);
  EXPECT_TRUE(j["iteration"].is_null());
  for (const char* s : {"train", "train_dev", "dev"}) {
    ASSERT_TRUE(j["errors"][s].is_number()) << s;
    EXPECT_GE(j["errors"][s].get<double>(), 0.0);
    EXPECT_LE(j["errors"][s].get<double>(), 1.0);
  }
  EXPECT_FALSE(j["errors"].contains("test"));  // train never looks at test
  auto base = nlohmann::json::parse(run_mlloop({"train", "--dir", p.dir, "--model", "baseline", "--json"}).out);
  auto runs = run_mlloop({"runs", "--dir", p.dir, "--json"});
  ASSERT_EQ(runs.exit_code, 0);
  auto arr = nlohmann::json::parse(runs.out);
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0]["run"], j["run"]);  // oldest first
  EXPECT_EQ(arr[1]["run"], base["run"]);
  // The incumbent is the run with the lowest dev error.
  auto status = nlohmann::json::parse(run_mlloop({"status", "--dir", p.dir, "--json"}).out);
  EXPECT_EQ(status["best"]["run"], j["run"]);
  EXPECT_EQ(status["best"]["model"], "gbdt");
  EXPECT_DOUBLE_EQ(status["best"]["dev"].get<double>(), j["errors"]["dev"].get<double>());
}

// errors.train is measured on the train split: a gbdt refitted on every training row after its
// early stopping is measured on every one of them, the early-stopping slice (10%) included; one
// not refitted, on the rows it fitted. Counted through the error rate: label_noise at 1,000
// rows has 700 train rows, a slice of 70; k errors read k / 700, or k / 630.
TEST(TrainCli, TheTrainErrorCountsTheRowsTheModelTrainedOn) {
  Project p("label_noise", 1000);
  auto whole = [](double error, double rows) { return std::abs(error * rows - std::round(error * rows)) < 1e-6; };
  auto r = run_mlloop({"train", "--dir", p.dir, "--model", "gbdt", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double refitted = nlohmann::json::parse(r.out)["errors"]["train"];
  EXPECT_GT(refitted, 0.0);  // 15% flipped labels: not every row is fitted
  EXPECT_TRUE(whole(refitted, 700)) << refitted;
  EXPECT_FALSE(whole(refitted, 630)) << refitted;
  r = run_mlloop({"train", "--dir", p.dir, "--model", "gbdt", "--param", "refit=false", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double kept = nlohmann::json::parse(r.out)["errors"]["train"];
  EXPECT_GT(kept, 0.0);
  EXPECT_TRUE(whole(kept, 630)) << kept;
  EXPECT_FALSE(whole(kept, 700)) << kept;
}

TEST(TrainCli, PredictWritesRowIdsLabelsAndClassProbabilities) {
  Project p("multiclass_blobs", 1500);
  ASSERT_EQ(run_mlloop({"train", "--dir", p.dir, "--model", "knn"}).exit_code, 0);
  auto r = run_mlloop({"predict", "--dir", p.dir, p.tmp.str("data/train.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("row_id,prediction,p_class_", 0), 0u) << header;
  int n = 0;
  while (std::getline(in, line)) {
    if (n == 0) {
      EXPECT_EQ(line.rfind("0,class_", 0), 0u) << line;
    }
    ++n;
  }
  EXPECT_EQ(n, 1500);
}

TEST(TrainCli, BadModelsAndParamsAreExit2NamingTheProblem) {
  Project p("at_optimum", 500);
  auto expect2 = [&](std::vector<std::string> args, const std::string& needle) {
    args.insert(args.begin(), {"train", "--dir", p.dir});
    auto r = run_mlloop(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  expect2({"--model", "forest"}, "unknown model 'forest'");
  expect2({"--model", "gbdt", "--param", "depth=3"}, "unknown parameter 'depth'");
  expect2({"--model", "gbdt", "--param", "eta=2"}, "[0.0001, 1]");
  expect2({"--model", "gbdt", "--param", "eta"}, "KEY=VALUE");
  expect2({"--model", "knn", "--param", "weights=cosine"}, "uniform, distance");
  EXPECT_EQ(nlohmann::json::parse(run_mlloop({"runs", "--dir", p.dir, "--json"}).out).size(), 0u);
}

TEST(TrainCli, AnMlpWithAFarTooLargeLearningRateIsRecordedAsDiverged) {
  Project p("underfit", 1000);
  auto models = nlohmann::json::parse(run_mlloop({"models", "--json"}).out);
  double lr = 0;
  for (const auto& f : models["families"])
    if (f["name"] == "mlp")
      for (const auto& q : f["params"])
        if (q["name"] == "lr") lr = q["default"];
  ASSERT_GT(lr, 0) << "mlp has no lr parameter";
  auto r = run_mlloop({"train", "--dir", p.dir, "--model", "mlp", "--param", "lr=" + std::to_string(lr * 1000), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "diverged");
  EXPECT_FALSE(j["reason"].get<std::string>().empty());
  auto runs = nlohmann::json::parse(run_mlloop({"runs", "--dir", p.dir, "--json"}).out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "diverged");
}

TEST(TrainCli, ModelsListsEveryFamilyWithDeclaredParameters) {
  auto r = run_mlloop({"models", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  std::set<std::string> names;
  for (const auto& f : j["families"]) {
    names.insert(f["name"]);
    EXPECT_FALSE(f["description"].get<std::string>().empty());
    for (const auto& p : f["params"]) {
      EXPECT_TRUE(p.contains("default"));
      EXPECT_FALSE(p["description"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"baseline", "linear", "gbdt", "mlp", "knn"}));
}

// On a terminal (script(1) gives the command one), `train` draws a bar over the rounds and
// clears it before the table; on a pipe there is none, and --json stays one clean object.
TEST(TrainCli, AProgressBarOnATerminalAndNoneOnAPipe) {
  if (run_shell("command -v script").exit_code != 0) GTEST_SKIP() << "script (util-linux) is not installed";
  Project p("underfit");
  const std::string train = shell_quote(MLLOOP_BINARY) + " train --dir " + shell_quote(p.dir) + " --model gbdt";
  auto tty = run_shell("script -qec " + shell_quote(train) + " /dev/null");
  ASSERT_EQ(tty.exit_code, 0) << tty.out << tty.err;
  // Redrawn at most every 0.1 s, so how far the bar got depends on the machine; the first
  // round is always drawn.
  EXPECT_NE(tty.out.find("\r    ["), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("%  step 1/500"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("training gbdt"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\r\x1b[Krun "), std::string::npos) << "the bar is cleared before the table";
  auto piped = run_mlloop({"train", "--dir", p.dir, "--model", "gbdt"});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out.find('\r'), std::string::npos);
  auto json = run_mlloop({"train", "--dir", p.dir, "--model", "gbdt", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.err.find('\r'), std::string::npos);
  EXPECT_NO_THROW(nlohmann::json::parse(json.out));
}
