// The CLI's commands. Each is a function over parsed arguments and a Context, returning the
// process exit code, so tests can call them in-process; main.cpp only parses and dispatches.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mlloop/core/context.hpp"
#include <nlohmann/json.hpp>

#include "mlloop/project/project.hpp"

namespace mlloop::cli {

struct InfoArgs {
  std::string data;
  std::string target;
  std::optional<std::vector<std::string>> missing;
  bool json = false;
};

struct StatusArgs {
  std::string dir = ".";
  bool json = false;
};

struct DemoArgs {
  std::string dir;  // empty: a fresh ./mlloop-demo[-N] folder
};

struct TrainArgs {
  std::string dir = ".";
  std::string model;
  std::vector<std::string> params;  // KEY=VALUE
  bool json = false;
};

struct RunsArgs {
  std::string dir = ".";
  bool json = false;
};

struct PredictArgs {
  std::string dir = ".";
  std::optional<int64_t> run;
  std::string data;
};

struct DiagnoseArgs {
  std::string dir = ".";
  std::optional<int64_t> run;
  bool json = false;
};

struct InspectArgs {
  std::string what;
  std::string dir = ".";
  size_t n = 20;
  bool json = false;
};

struct RunArgs {
  std::string dir = ".";
  std::optional<int64_t> iterations;
  std::string time_budget;
  std::string run_time_cap;
  bool json = false;
};

struct TestArgs {
  std::string dir = ".";
  bool json = false;
};

struct ReportArgs {
  std::string dir = ".";
  std::string output;
};

struct DashboardArgs {
  std::string dir = ".";
  std::string host = "127.0.0.1";
  int port = 8765;
};

struct ModelsArgs {
  bool json = false;
};

int run_init(const InitOptions& args, Context& ctx);
int run_train(const TrainArgs& args, Context& ctx);
int run_runs(const RunsArgs& args, Context& ctx);
int run_predict(const PredictArgs& args, Context& ctx);
int run_models(const ModelsArgs& args, Context& ctx);
int run_diagnose(const DiagnoseArgs& args, Context& ctx);
int run_inspect(const InspectArgs& args, Context& ctx);
int run_run(const RunArgs& args, Context& ctx);
int run_test(const TestArgs& args, Context& ctx);
int run_report(const ReportArgs& args, Context& ctx);
int run_dashboard(const DashboardArgs& args, Context& ctx);

// A run as CONTRACT.md's run object: run, model, params, status, errors, seconds, iteration.
nlohmann::json run_to_json(Store& store, const RunRecord& run, const std::string& metric);
// The incumbent run (CONTRACT.md): the run the loop last accepted, else the finished run with
// the lowest dev loss.
std::optional<int64_t> incumbent(Store& store, const std::string& metric);
int run_info(const InfoArgs& args, Context& ctx);
int run_status(const StatusArgs& args, Context& ctx);
int run_demo(const DemoArgs& args, Context& ctx);

// Where a command draws its progress bar: stdout when it is a terminal, or stderr under
// --json (stdout then carries the JSON); nowhere on a pipe, or when quiet.
std::ostream* progress_stream(Context& ctx, bool json);
// The goal as init and status print it: "error <= 0.05"; for auc and f1, whose figures are
// losses, "1 - auc <= 0.1 (auc >= 0.9)".
std::string goal_text(const std::string& metric, double goal);

// Parses argv and runs the command; maps errors to exit codes (CONTRACT.md).
int run_cli(int argc, const char* const* argv, Context& ctx);

// The demo dataset compiled into the binary.
std::string_view demo_csv();

}  // namespace mlloop::cli
