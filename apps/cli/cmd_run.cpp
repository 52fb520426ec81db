#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop::cli {

namespace {
// Test-only: MLLOOP_TEST_KILL_AT="POINT:N" kills the process with SIGKILL at the N-th time the
// store reaches fault point POINT (inside its write transaction, before COMMIT), as kill -9
// would. Used by the kill-and-resume tests.
void install_test_kill_hook(Store& store) {
  const char* spec = std::getenv("MLLOOP_TEST_KILL_AT");
  if (!spec || !*spec) return;
  std::string s(spec);
  auto colon = s.rfind(':');
  std::string point = s.substr(0, colon);
  int64_t n = colon == std::string::npos ? 1 : std::atoll(s.c_str() + colon + 1);
  auto counts = std::make_shared<std::map<std::string, int64_t>>();
  store.set_fault_hook([point, n, counts](const std::string& where) {
    if (where == point && ++(*counts)[where] == n) ::kill(::getpid(), SIGKILL);
  });
}

// Ctrl-C or a SIGTERM ends the run where it stands, as kill -9 would (every finished run and
// iteration is committed already; the one in flight is redone by the next `mlloop run`), but
// first says so: a terminal user otherwise sees the log just stop. write() and raise() are
// async-signal-safe; the default action then ends the process with the signal's status.
extern "C" void on_interrupt(int sig) {
  static const char msg[] =
      "\ninterrupted: every finished run and iteration is kept in the store; mlloop run again carries on from there\n";
  ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
}  // namespace

int run_run(const RunArgs& args, Context& ctx) {
  LoopOptions opt;
  opt.iterations = args.iterations;
  if (args.iterations && *args.iterations < 0) throw_bad_input("--iterations must be 0 or more", "give the total number of iterations for the project");
  if (!args.time_budget.empty()) opt.time_budget = parse_duration(args.time_budget, "--time-budget");
  if (!args.run_time_cap.empty()) opt.run_time_cap = parse_duration(args.run_time_cap, "--run-time-cap");
  Project project = Project::open(args.dir);
  install_test_kill_hook(*project.store);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  Registry registry;
  register_builtins(registry);
  // The iteration blocks: on stdout, or on stderr when stdout carries the JSON.
  opt.log = args.json ? (ctx.quiet ? nullptr : &ctx.err()) : &ctx.out();
  // The progress bar is drawn in place on the stream of the blocks, when it is a terminal.
  opt.progress = opt.log && ::isatty(args.json ? STDERR_FILENO : STDOUT_FILENO);
  nlohmann::json out = run_loop(project, registry, opt, ctx);
  if (args.json) ctx.out() << out.dump() << '\n';
  if (out["best"].is_null() && out.value("stopped_because", "") == "budget")
    fmt::print(ctx.err(), "error: the time budget ran out before a model was trained: the project has no run to keep\n"
                          "  fix: give a longer --time-budget (or [loop] time_budget in mlloop.toml)\n");
  return out["best"].is_null() ? static_cast<int>(ExitCode::failed) : 0;
}

}  // namespace mlloop::cli
