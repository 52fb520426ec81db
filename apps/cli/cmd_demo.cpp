#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "mlloop/core/error.hpp"

extern "C" {
extern const char mlloop_demo_csv_start[];
extern const char mlloop_demo_csv_end[];
}

namespace mlloop::cli {
namespace fs = std::filesystem;

std::string_view demo_csv() {
  return std::string_view(mlloop_demo_csv_start, static_cast<size_t>(mlloop_demo_csv_end - mlloop_demo_csv_start));
}

int run_demo(const DemoArgs& args, Context& ctx) {
  fs::path dir = args.dir;
  if (dir.empty()) {
    dir = "mlloop-demo";
    for (int k = 2; fs::exists(dir); ++k) dir = fmt::format("mlloop-demo-{}", k);
  } else if (fs::exists(dir) && !fs::is_empty(dir)) {
    throw_bad_input(fmt::format("demo folder '{}' already exists and is not empty", dir.string()),
                    "give a new --dir, or leave it out to get a fresh ./mlloop-demo-N");
  }
  if (std::error_code ec; fs::create_directories(dir, ec), ec)
    throw_bad_input(fmt::format("cannot make the demo folder '{}': {}", dir.string(), ec.message()), "give a --dir you can write to");
  dir = fs::absolute(dir).lexically_normal();
  const fs::path csv = dir / "credit_data.csv";
  {
    std::ofstream f(csv, std::ios::binary);
    auto data = demo_csv();
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!f) throw_bad_input(fmt::format("cannot write '{}'", csv.string()), "check that the folder is writable");
  }
  {
    std::ofstream f(dir / "DATA_SOURCE.md");
    f << "credit_data.csv: Debian r-cran-modeldata -> credit_data (Belanche credit scoring), MIT licence (modeldata).\n";
  }
  auto& out = ctx.out();
  fmt::print(out, "== mlloop demo: credit_data.csv (bundled), target Status ==\n\n");
  fmt::print(out, "$ mlloop info credit_data.csv --target Status\n");
  InfoArgs info;
  info.data = csv.string();
  info.target = "Status";
  if (int rc = run_info(info, ctx)) return rc;
  fmt::print(out, "\n$ mlloop init credit_data.csv --target Status\n");
  InitOptions init;
  init.data = csv.string();
  init.target = "Status";
  init.dir = dir.string();
  if (int rc = run_init(init, ctx)) return rc;
  // The loop, with a budget that keeps the demo under 2 minutes on a 2-core machine.
  fmt::print(out, "\n$ mlloop run --iterations 6 --time-budget 90s\n");
  RunArgs run;
  run.dir = dir.string();
  run.iterations = 6;
  run.time_budget = "90s";
  if (int rc = run_run(run, ctx)) return rc;
  fmt::print(out, "\n$ mlloop status\n");
  StatusArgs status;
  status.dir = dir.string();
  if (int rc = run_status(status, ctx)) return rc;
  const fs::path report = dir / ".mlloop" / "reports" / "report.html";
  fs::create_directories(report.parent_path());
  fmt::print(out, "\n$ mlloop report -o {}\n", report.string());
  ReportArgs rep;
  rep.dir = dir.string();
  rep.output = report.string();
  if (int rc = run_report(rep, ctx)) return rc;
  fmt::print(out, "\nproject: {}\nstore:   {}\nreport:  {} (open it in a browser; it works offline)\n", dir.string(),
             (dir / ".mlloop" / "store.db").string(), report.string());
  fmt::print(out, "Next: mlloop dashboard --dir {0} for the live view, mlloop diagnose --dir {0} for the evidence, "
                  "mlloop inspect labels|wrong|shift|slices --dir {0}, mlloop run --dir {0} to go on, and mlloop test --dir {0} once, "
                  "at the end.\n", dir.string());
  return 0;
}

}  // namespace mlloop::cli
