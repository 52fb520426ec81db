// The loop: Analyze -> Select -> Implement -> Measure, repeated until the goal is met, the
// optimum is reached, the budget is spent, or nothing helps. Every decision is committed
// to the store with its reason; a killed loop resumes from its last finished step.
#pragma once
#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlloop/analyze/cv.hpp"
#include "mlloop/metrics/metrics.hpp"

namespace mlloop {

class Project;
class Registry;
class Context;
struct ProjectData;

struct LoopOptions {
  std::optional<int64_t> iterations;     // the project's total; null: mlloop.toml, else 10
  std::optional<double> time_budget;     // seconds for this invocation; null: mlloop.toml, else none
  std::optional<double> run_time_cap;    // seconds per training; null: mlloop.toml, else none
  std::ostream* log = nullptr;           // one block per iteration (null: no log)
  bool progress = false;                 // a progress bar on `log` while candidates train (a terminal)
};

// Runs the loop and returns CONTRACT.md's `mlloop run --json` object (every iteration of the
// project, the incumbent, why the loop stopped, and the recommendations).
nlohmann::json run_loop(Project& project, const Registry& registry, const LoopOptions& options, Context& ctx);

// What the loop would do next from `diagnosis` (`mlloop diagnose --json`'s shape, of any
// finished run), that run as its incumbent: CONTRACT.md's `recommendations`, each
// {"remedy", "reason"} (the label remedies with their "rows"), in the loop's order. First the
// remedy its next iteration would apply (an exact solver's one check of a flexible class,
// else the policy's first not yet tried on that run), then the others it would try, then the
// recommendations it cannot carry out (more_data, relabel, fresh_dev_set). Where the loop
// would stop (the goal met, or at the optimum), what a run's end recommends: those last, and
// clean_labels when untried and the suspects are more than a few. Reads the data files, unless
// `data` (the project's, as read already) is given; fits no model.
nlohmann::json next_steps(Project& project, const Registry& registry, const nlohmann::json& diagnosis, Context& ctx,
                          const ProjectData* data = nullptr);

// Whether an `mlloop run` is working on the project in `dir` now (it holds the project's loop
// lock). The dashboard and the report then fit nothing of their own (DiagnoseOptions::fit).
bool loop_running(const std::string& dir);

// "20s", "10m", "1.5h", "90" (seconds) -> seconds. A bad value is a bad-input Error naming `what`.
double parse_duration(std::string_view text, std::string_view what);
// The longest duration parse_duration takes: a year.
inline constexpr double kMaxDurationSeconds = 365.0 * 24 * 3600;

// The at_optimum stop rule on a diagnosis (`mlloop diagnose --json`'s shape): why the incumbent
// is at the optimum, or nullopt. Dev and train-dev both within noise of the bound (its interval
// and theirs), or no gap larger than its noise; never while a significant variance or mismatch
// gap remains, unless dev is within its own noise of the bound's lower end.
std::optional<std::string> at_optimum_reason(const nlohmann::json& diagnosis, const std::string& metric);

// One model's predictions as the measure step pairs them: one entry per cross-validation
// repeat (out of fold over the pool), or a single entry for the dev split.
using Repeats = std::vector<metrics::Predictions>;

// The measure step's choice among a remedy's candidates, as in the one-standard-error rule:
// the first candidate (the remedy's order, simplest first; the lowest, candidates[lowest],
// among them in its place) that is significantly better than the incumbent and not
// significantly worse than the lowest, each paired on the same rows (out of fold over every
// repeat, or dev; metrics::compare_repeated); else `lowest`. A null candidate, or one on
// other rows, is skipped.
size_t simplest_within_noise(const std::string& metric, const Repeats& incumbent, const std::vector<const Repeats*>& candidates,
                             size_t lowest, uint64_t seed);

// The measure step's cross-validations on small data, where the decisions are made out of fold.
// `contenders` are the candidates worth cross-validating, best dev error first, each with its
// model class; `inc_cv` holds the incumbent's first repeat; `cv(run, all)` cross-validates a
// run (its first repeat, or all `pool_repeats`), throwing BudgetExhausted at the deadline and
// std::runtime_error when a fold fails.
//
// Each contender's first repeat goes into `cand_cv`, until one is significantly better than
// the incumbent on it, the two best have both been measured and so has the best of each model
// class among them: the others are skipped (each cross-validation is several fits). With
// several repeats the two finalists (lowest on the first repeat, below the incumbent there,
// not significantly worse than the lowest) get all of them, and so does the incumbent
// (`inc_cv` then holds all of them). When no finalist is then significantly better than the
// incumbent, the first repeat's significance was luck, and the contenders it skipped are
// cross-validated after all, with finalists chosen again. `note` gets the lines for the log.
struct CvContender {
  int64_t run = 0;
  std::string model_class;
};
void cross_validate_contenders(const std::string& metric, uint64_t seed, int pool_repeats, int64_t incumbent,
                               const std::vector<CvContender>& contenders, CvResult& inc_cv,
                               std::map<int64_t, CvResult>& cand_cv, const std::function<CvResult(int64_t run, bool all)>& cv,
                               const std::function<void(const std::string&)>& note);

}  // namespace mlloop
