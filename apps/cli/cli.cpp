#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>
#include <system_error>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/metrics/metrics.hpp"

namespace mlloop::cli {

std::string goal_text(const std::string& metric, double goal) {
  if (metrics::higher_is_better(metric)) return fmt::format("1 - {} <= {:.4g} ({} >= {:.4g})", metric, goal, metric, 1 - goal);
  return fmt::format("{} <= {}", metric, goal);
}

std::ostream* progress_stream(Context& ctx, bool json) {
  if (ctx.quiet || !::isatty(json ? STDERR_FILENO : STDOUT_FILENO)) return nullptr;
  return json ? &ctx.err() : &ctx.out();
}

int run_cli(int argc, const char* const* argv, Context& ctx) {
  CLI::App app{"mlloop: runs the machine-learning engineering loop on a CSV file, and shows every step"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for all commands");
  app.set_version_flag("--version", "mlloop " MLLOOP_VERSION, "Print the version and exit");
  int threads = 0;
  bool quiet = false;
  app.add_option("--threads", threads, "Worker threads (default: all cores)")->check(CLI::Range(1, 256));
  app.add_flag("-q,--quiet", quiet, "Print less progress on stderr");
  // The global options are read after the command too (mlloop status --threads 1): each
  // subcommand, made below, inherits this and hands the options it does not know up here.
  app.fallthrough();

  // init
  InitOptions init;
  std::string init_missing;
  std::optional<int64_t> seed;
  auto* c_init =
      app.add_subcommand("init", "Read DATA, detect the task and freeze the train / train-dev / dev / test splits");
  c_init->add_option("DATA", init.data, "CSV file with a header row")->required();
  c_init->add_option("--target", init.target, "Target column")->required();
  c_init->add_option("--task", init.task, "auto | binary | multiclass | regression")
      ->check(CLI::IsMember({"auto", "binary", "multiclass", "regression"}));
  c_init->add_option("--metric", init.metric, "error | logloss | auc | f1 (classification), rmse | mae (regression)")
      ->check(CLI::IsMember({"error", "logloss", "auc", "f1", "rmse", "mae"}));
  c_init->add_option("--reference-error", init.reference_error, "Human-level or existing-system error, as a loss");
  c_init->add_option("--goal", init.goal, "Dev error at which the loop stops");
  c_init->add_option("--dev-data", init.dev_data, "Separate dev file (same columns)");
  c_init->add_option("--test-data", init.test_data, "Separate test file (same columns)");
  c_init->add_option("--split", init.split, "random | stratified | group:COL | time:COL");
  c_init->add_option("--seed", seed, "Random seed for the splits and everything after (0 or more)")
      ->check(CLI::Validator(
          [](std::string& v) {
            return !v.empty() && v[0] == '-' ? std::string("the seed must be 0 or more") : std::string();
          },
          "INT >= 0"));
  c_init->add_option("--on-bad-rows", init.on_bad_rows, "error | skip")->check(CLI::IsMember({"error", "skip"}));
  c_init->add_option("--on-missing-target", init.on_missing_target, "drop | error")
      ->check(CLI::IsMember({"drop", "error"}));
  c_init->add_option("--missing", init_missing, "Comma-separated missing-value markers (default: ,NA,N/A,NaN,null,?)");
  c_init->add_flag("--force", init.force, "Re-split an existing project (deletes its runs)");
  c_init->add_option("--dir", init.dir, "Project folder (default: the current folder)");

  // info
  InfoArgs info;
  std::string info_missing;
  auto* c_info =
      app.add_subcommand("info", "Print the schema of a CSV file: columns, types, missing values, target mix");
  c_info->add_option("DATA", info.data, "CSV file")->required();
  c_info->add_option("--target", info.target, "Also show this column's distribution and the task it implies");
  c_info->add_option("--missing", info_missing, "Comma-separated missing-value markers");
  c_info->add_flag("--json", info.json, "Print JSON");

  // status
  StatusArgs status;
  auto* c_status = app.add_subcommand("status", "Show the project: task, split sizes, best run, iterations");
  c_status->add_option("--dir", status.dir, "Project folder (default: the current folder)");
  c_status->add_flag("--json", status.json, "Print JSON (CONTRACT.md)");

  // train
  TrainArgs train;
  auto* c_train =
      app.add_subcommand("train", "Fit one model on train; measure it on train, train-dev and dev; record the run");
  c_train->add_option("--dir", train.dir, "Project folder (default: the current folder)");
  c_train->add_option("--model", train.model, "Model family (see mlloop models)")->required();
  c_train->add_option("--param", train.params, "KEY=VALUE, repeatable");
  c_train->add_flag("--json", train.json, "Print the run as JSON (CONTRACT.md)");

  // runs
  RunsArgs runs;
  auto* c_runs = app.add_subcommand("runs", "List the project's runs, oldest first");
  c_runs->add_option("--dir", runs.dir, "Project folder (default: the current folder)");
  c_runs->add_flag("--json", runs.json, "Print a JSON array of run objects (CONTRACT.md)");

  // predict
  PredictArgs predict;
  auto* c_predict =
      app.add_subcommand("predict", "Predict a CSV with the incumbent (or --run ID): row_id,prediction[,p_class...]");
  c_predict->add_option("--dir", predict.dir, "Project folder (default: the current folder)");
  c_predict->add_option("--run", predict.run, "Run id (default: the incumbent)");
  c_predict->add_option("DATA", predict.data, "CSV file with the training data's columns")->required();

  // diagnose
  DiagnoseArgs diag;
  auto* c_diag = app.add_subcommand(
      "diagnose", "Locate the bottleneck of the incumbent (or --run ID): errors, optimal bound, gaps");
  c_diag->add_option("--dir", diag.dir, "Project folder (default: the current folder)");
  c_diag->add_option("--run", diag.run, "Run id (default: the incumbent)");
  c_diag->add_flag("--json", diag.json, "Print JSON (CONTRACT.md)");

  // inspect
  InspectArgs insp;
  auto* c_insp = app.add_subcommand("inspect", "Look at the evidence: wrong | labels | shift | slices");
  c_insp->add_option("WHAT", insp.what, "wrong, labels, shift or slices")
      ->required()
      ->check(CLI::IsMember({"wrong", "labels", "shift", "slices"}));
  c_insp->add_option("--dir", insp.dir, "Project folder (default: the current folder)");
  c_insp->add_option("--n", insp.n, "How many rows to show (default 20)")->check(CLI::Range(1, 100000));
  c_insp->add_flag("--json", insp.json, "Print JSON");

  // run
  RunArgs runa;
  auto* c_run =
      app.add_subcommand("run", "Run the loop: analyze, select a remedy, train its candidates, measure; repeat");
  c_run->add_option("--dir", runa.dir, "Project folder (default: the current folder)");
  c_run->add_option("--iterations", runa.iterations, "The project's total iterations (default: mlloop.toml, else 10)");
  c_run->add_option("--time-budget", runa.time_budget, "Wall-clock budget for this run: 90s, 10m, 1h");
  c_run->add_option("--run-time-cap", runa.run_time_cap, "The longest one training may take: 30s, 5m");
  c_run->add_flag("--json", runa.json, "Print JSON (CONTRACT.md) at the end; the log goes to stderr");

  // test
  TestArgs testa;
  auto* c_test = app.add_subcommand("test", "Evaluate the incumbent on the test set, once; every look is recorded");
  c_test->add_option("--dir", testa.dir, "Project folder (default: the current folder)");
  c_test->add_flag("--json", testa.json, "Print JSON (CONTRACT.md)");

  // report
  ReportArgs report;
  auto* c_report = app.add_subcommand("report", "Write a self-contained HTML report of the project (opens offline)");
  c_report->add_option("--dir", report.dir, "Project folder (default: the current folder)");
  c_report->add_option("-o,--output", report.output, "The HTML file to write (default: PROJECT/.mlloop/reports/report.html)");

  // dashboard
  DashboardArgs dash;
  auto* c_dash = app.add_subcommand("dashboard", "Serve a live dashboard of the project, read-only, over HTTP");
  c_dash->add_option("--dir", dash.dir, "Project folder (default: the current folder)");
  c_dash->add_option("--host", dash.host, "Address to bind (default 127.0.0.1: this machine only)");
  c_dash->add_option("--port", dash.port, "Port (default 8765; 0: a free port, printed)")->check(CLI::Range(0, 65535));

  // models
  ModelsArgs models;
  auto* c_models = app.add_subcommand("models", "List the model families and their parameters");
  c_models->add_flag("--json", models.json, "Print JSON");

  // demo
  DemoArgs demo;
  auto* c_demo = app.add_subcommand("demo", "Run mlloop on the bundled credit_data.csv in a fresh folder");
  c_demo->add_option("--dir", demo.dir, "Folder to create (default: ./mlloop-demo, or -2, -3... if taken)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    ctx.out() << app.help();
    if (!app.get_subcommands().empty()) {
      ctx.out().flush();
    }
    return 0;
  } catch (const CLI::CallForVersion& e) {
    ctx.out() << e.what() << "\n";
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    ctx.out() << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string cmd = app.get_subcommands().empty() ? "" : app.get_subcommands().front()->get_name() + " ";
    if (cmd.empty()) {
      // No command was recognized: name the word that was meant as one ("A subcommand is
      // required" said nothing of it). The words before it are global options (--threads N).
      for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--threads") {
          ++i;
          continue;
        }
        if (word.empty() || word[0] == '-') continue;
        std::string names;
        for (const auto* sub : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + sub->get_name();
        ctx.err() << "error: unknown command " << shorten_for_message(word) << "\n  fix: use one of " << names
                  << "; see mlloop --help\n";
        return static_cast<int>(ExitCode::bad_input);
      }
    }
    // CLI11 says "Could not convert: --iterations = abc": name the flag, the value and what it takes.
    const std::string what = e.what(), prefix = "Could not convert: ";
    if (const size_t eq = what.find(" = "); what.rfind(prefix, 0) == 0 && eq != std::string::npos) {
      const std::string flag = what.substr(prefix.size(), eq - prefix.size());
      std::string kind = "a number";
      const CLI::App* sub = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
      try {
        const std::string type = sub->get_option(flag)->get_type_name();
        if (type.find("INT") != std::string::npos) kind = "a whole number";
      } catch (const CLI::OptionNotFound&) {
      }
      ctx.err() << "error: " << flag << " takes " << kind << ", not " << shorten_for_message(what.substr(eq + 3))
                << "\n  fix: see mlloop " << cmd << "--help\n";
      return static_cast<int>(ExitCode::bad_input);
    }
    ctx.err() << "error: " << what << "\n  fix: see mlloop " << cmd << "--help\n";
    return static_cast<int>(ExitCode::bad_input);
  }
  if (threads > 0) ctx.threads = threads;
  ctx.quiet = quiet;

  try {
    if (c_init->parsed()) {
      if (!init_missing.empty() || c_init->count("--missing")) init.missing = split_list(init_missing, ',');
      if (seed) init.seed = static_cast<uint64_t>(*seed);
      return run_init(init, ctx);
    }
    if (c_info->parsed()) {
      if (c_info->count("--missing")) info.missing = split_list(info_missing, ',');
      return run_info(info, ctx);
    }
    if (c_status->parsed()) return run_status(status, ctx);
    if (c_demo->parsed()) return run_demo(demo, ctx);
    if (c_train->parsed()) return run_train(train, ctx);
    if (c_runs->parsed()) return run_runs(runs, ctx);
    if (c_predict->parsed()) return run_predict(predict, ctx);
    if (c_models->parsed()) return run_models(models, ctx);
    if (c_diag->parsed()) return run_diagnose(diag, ctx);
    if (c_insp->parsed()) return run_inspect(insp, ctx);
    if (c_run->parsed()) return run_run(runa, ctx);
    if (c_test->parsed()) return run_test(testa, ctx);
    if (c_report->parsed()) return run_report(report, ctx);
    if (c_dash->parsed()) return run_dashboard(dash, ctx);
  } catch (const Error& e) {
    ctx.err() << e.describe() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    ctx.err() << "error: out of memory\n";
    return static_cast<int>(ExitCode::failed);
  } catch (const std::exception& e) {
    // A system error that is a refused resource (a thread: too many, or no memory for its
    // stack; a file descriptor) is not a bug of mlloop's, so not an "internal error". Other
    // system errors (a thread joined twice, say) are bugs like any other exception.
    if (const auto* se = dynamic_cast<const std::system_error*>(&e)) {
      const std::error_code c = se->code();
      if (c == std::errc::resource_unavailable_try_again || c == std::errc::not_enough_memory ||
          c == std::errc::too_many_files_open || c == std::errc::too_many_files_open_in_system) {
        ctx.err() << "error: the system refused: " << e.what()
                  << "\n  fix: check free memory and the process limits (ulimit -v, ulimit -u, ulimit -n)\n";
        return static_cast<int>(ExitCode::failed);
      }
    }
    ctx.err() << "mlloop: internal error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::failed);
  }
  return static_cast<int>(ExitCode::bad_input);
}

}  // namespace mlloop::cli
