// `mlloop init` on every scenario and on the bundled dataset, through the real binary:
// the task is right, split sizes are as promised, stratified splits keep class shares, and
// `status --json` reports the row counts.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "mlloop/data/csv.hpp"
#include "mlloop/store/store.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;
namespace fs = std::filesystem;

namespace {

// Checks sizes against the documented fractions, and class shares for classification.
void check_project(const std::string& project, const std::string& data, const std::string& target, const std::string& task,
                   bool dev_file, bool test_file, size_t dev_rows_file, size_t test_rows_file) {
  auto status = run_mlloop({"status", "--json", "--dir", project});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["task"], task);
  EXPECT_EQ(j["target"], target);
  EXPECT_EQ(j["metric"], task == "regression" ? "rmse" : "error");
  for (const char* key : {"project", "rows", "best", "goal", "bottleneck", "iterations", "test_looks"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["iterations"], 0);
  EXPECT_EQ(j["test_looks"], 0);

  Dataset ds = read_csv(data, {});
  const size_t n = ds.rows();
  auto sizes = default_sizes(n, dev_file, test_file);
  const auto& rows = j["rows"];
  EXPECT_EQ(rows["train"].get<size_t>(), sizes[SplitName::train]);
  EXPECT_EQ(rows["train_dev"].get<size_t>(), sizes[SplitName::train_dev]);
  EXPECT_EQ(rows["dev"].get<size_t>(), dev_file ? dev_rows_file : sizes[SplitName::dev]);
  EXPECT_EQ(rows["test"].get<size_t>(), test_file ? test_rows_file : sizes[SplitName::test]);
  // The documented fractions themselves, independently of default_sizes.
  if (!dev_file && !test_file && n <= 100000) {
    EXPECT_NEAR(rows["dev"].get<double>(), 0.1 * static_cast<double>(n), 1.0);
    EXPECT_NEAR(rows["test"].get<double>(), 0.1 * static_cast<double>(n), 1.0);
    EXPECT_NEAR(rows["train_dev"].get<double>(), 0.1 * static_cast<double>(n), 1.0);
  }
  if (task == "regression") return;
  // Stratification: each class within 1 point of its share, or within one row.
  auto store = Store::open(project + "/.mlloop/store.db", Store::Mode::read_write);
  const Column& y = ds.columns[*ds.find(target)];
  std::map<std::string, size_t> overall;
  for (size_t i = 0; i < n; ++i) ++overall[y.text(i)];
  for (SplitName s : kAllSplits) {
    std::map<std::string, size_t> in;
    size_t count = 0;
    for (const auto& part : store->split_rows(s)) {
      if (part.source != "data") continue;
      for (int64_t id : part.row_ids) {
        ++in[y.text(static_cast<size_t>(id))];
        ++count;
      }
    }
    if (count == 0) continue;
    for (auto& [label, k] : overall) {
      double expected = static_cast<double>(k) * static_cast<double>(count) / static_cast<double>(n);
      double diff = std::fabs(static_cast<double>(in[label]) - expected);
      EXPECT_TRUE(diff / static_cast<double>(count) <= 0.01 || diff <= 1.0)
          << to_string(s) << " class " << label << ": " << in[label] << " vs " << expected;
    }
  }
}

size_t data_rows(const std::string& path) { return read_csv(path, {}).rows(); }

}  // namespace

class InitScenario : public ::testing::TestWithParam<const char*> {};

TEST_P(InitScenario, TaskSplitsAndStatus) {
  TempDir tmp;
  const std::string name = GetParam();
  auto truth = make_scenario(name, tmp.path() / "data", 11);
  const std::string target = truth["target"];
  std::string train = tmp.str("data/train.csv");
  std::vector<std::string> args = {"init", train, "--target", target, "--dir", tmp.str("p")};
  bool files = fs::exists(tmp.path() / "data/dev.csv");
  if (files) {
    args.insert(args.end(), {"--dev-data", tmp.str("data/dev.csv"), "--test-data", tmp.str("data/test.csv")});
  }
  auto r = run_mlloop(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("task   " + truth["task"].get<std::string>()), std::string::npos) << r.out;
  check_project(tmp.str("p"), train, target, truth["task"], files, files,
                files ? data_rows(tmp.str("data/dev.csv")) : 0, files ? data_rows(tmp.str("data/test.csv")) : 0);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, InitScenario,
                         ::testing::Values("underfit", "variance", "mismatch", "label_noise", "at_optimum",
                                           "regression_underfit", "conflicting_duplicates", "multiclass_blobs"));

TEST(InitBundled, CreditData) {
  TempDir tmp;
  std::string data = source_dir() + "/data/credit_data.csv";
  auto r = run_mlloop({"init", data, "--target", "Status", "--dir", tmp.str("p")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  check_project(tmp.str("p"), data, "Status", "binary", false, false, 0, 0);
}

TEST(InitBundled, SharedRealDatasetsDetectTheirTasks) {
  struct Case {
    const char* file;
    const char* target;
    const char* task;
  };
  for (Case c : {Case{"penguins.csv", "species", "multiclass"}, Case{"penguins.csv", "body_mass_g", "regression"},
                 Case{"sk_digits.csv", "target", "multiclass"}, Case{"german_credit_weka.csv", "class", "binary"},
                 Case{"seattle_weather_vega.csv", "weather", "multiclass"}, Case{"diamonds.csv", "price", "regression"}}) {
    TempDir tmp;
    std::string data = shared_dir() + "/data/" + c.file;
    auto r = run_mlloop({"init", data, "--target", c.target, "--dir", tmp.str("p")});
    ASSERT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
    auto s = run_mlloop({"status", "--json", "--dir", tmp.str("p")});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(nlohmann::json::parse(s.out)["task"], c.task) << c.file << " " << c.target;
  }
}
