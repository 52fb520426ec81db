// The orchestrator: Analyze -> Select -> Implement -> Measure, with budgets, stop rules and
// resume. The loop is a function of the store: on start it drops runs a killed process left
// 'running', redoes an iteration left 'started' (reusing its finished runs), and goes on.
#include "mlloop/loop/loop.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "mlloop/analyze/cv.hpp"
#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/joined_thread.hpp"
#include "mlloop/core/progress.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/loop/policy.hpp"
#include "mlloop/loop/remedy.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/project/project_data.hpp"

namespace mlloop {

namespace {
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The loop's analysis: DESIGN.md's first step against avoidable bias, `memorization_check`, is
// an analysis that always runs, unless the lists leave it out.
DiagnoseOptions analysis(const ProjectConfig& c, bool curve, bool data, bool optimal) {
  DiagnoseOptions o{curve, data, optimal, false};
  o.memorization = permitted(c, "memorization_check");
  o.next_steps = false;  // the loop ranks the remedies itself
  return o;
}

// The remedies finished iterations have tried with `run` as their incumbent: the loop does not
// pick one of them again while that run stays the incumbent.
std::set<std::string> tried_on(Store& store, int64_t run) {
  std::set<std::string> tried;
  for (const auto& it : store.iterations())
    if (it.state == "finished" && it.detail.value("incumbent_before", int64_t{-1}) == run) tried.insert(it.remedy);
  return tried;
}

// A diagnosis' error on a split (train, train_dev, dev, optimal), if measured.
std::optional<double> error_of(const json& d, const char* split) {
  const json& e = d["errors"][split];
  return e.is_null() ? std::nullopt : std::optional<double>(e["value"].get<double>());
}

std::string loop_lock_path(const std::string& dir) { return (std::filesystem::path(dir) / ".mlloop" / "loop.lock").string(); }

// One loop per project at a time: an advisory lock on .mlloop/loop.lock, released by the
// kernel when the process dies, even by kill -9. kill returns before the process is gone
// (its threads stop and its memory is unmapped after), so a run started right after a kill
// -9 waits up to 5 seconds for the lock before it says that another run holds it.
class LoopLock {
 public:
  explicit LoopLock(const std::string& dir) {
    const std::string path = loop_lock_path(dir);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_bad_input(fmt::format("cannot open '{}'", path), "check the permissions of the project folder");
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (std::chrono::steady_clock::now() >= give_up) {
        ::close(fd_);
        throw_bad_input(fmt::format("another mlloop run is working on the project in '{}'", dir),
                        "wait for it to finish (mlloop status shows its progress), or stop it first");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~LoopLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

// Two models' predictions for a paired test: as many repeats, each on as many rows.
bool same_rows(const Repeats& a, const Repeats& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (a[k].rows() != b[k].rows()) return false;
  return true;
}

// The repeats of k-fold a diagnosis estimated its errors with (its MLL-I01 finding), or 0.
int64_t cv_repeats_of(const json& diagnosis) {
  for (const auto& f : diagnosis["findings"])
    if (f["code"] == "MLL-I01") return f["evidence"]["cv"].value("repeats", int64_t{0});
  return 0;
}

std::optional<double> dev_loss(Store& store, int64_t run, const std::string& metric) {
  return run_loss(store.run_metrics(run), "dev", metric);
}

// The dev rows' truth, and the stored dev predictions of runs, as metrics::Predictions in one
// class order (the training data's), so that two runs can be compared row by row.
class DevJudge {
 public:
  DevJudge(const Project& project, const ProjectData& data) : metric_(project.config.metric) {
    const auto& cfg = project.config;
    classification_ = is_classification(cfg.task);
    const SplitPart& train = data.data_part(SplitName::train);
    const Column* target = nullptr;
    for (const auto& c : train.data->columns)
      if (c.name == cfg.target) target = &c;
    MLLOOP_ASSERT(target != nullptr);
    std::map<std::string, size_t> counts;
    if (classification_) {
      for (size_t pos : train.positions) {
        std::string t = target->text(pos);
        if (!counts.count(t)) classes_.push_back(t);
        ++counts[t];
      }
      positive_ = classes_.size() == 2 ? positive_index(cfg, classes_, counts[classes_[1]] <= counts[classes_[0]] ? 1 : 0) : 1;
    }
    for (const auto& part : data.splits.at(SplitName::dev)) {
      const Column* col = target;
      for (const auto& c : part.data->columns)
        if (c.name == cfg.target) col = &c;
      for (size_t i = 0; i < part.positions.size(); ++i) {
        Key k{part.source, part.row_ids[i]};
        if (classification_) truth_text_[k] = col->text(part.positions[i]);
        else truth_value_[k] = col->values[part.positions[i]];
      }
    }
  }

  const std::vector<std::string>& classes() const { return classes_; }

  std::optional<metrics::Predictions> predictions(Store& store, const RunRecord& run) const {
    auto rows = store.run_predictions(run.id, "dev");
    if (rows.empty()) return std::nullopt;
    metrics::Predictions p;
    p.classification = classification_;
    p.positive = positive_;
    if (classification_) {
      std::vector<std::string> run_classes = run.config.contains("classes") ? run.config["classes"].get<std::vector<std::string>>() : classes_;
      p.classes = classes_.size();
      std::vector<int> column_of(run_classes.size(), -1);  // run's class column -> common column
      for (size_t a = 0; a < run_classes.size(); ++a)
        for (size_t b = 0; b < classes_.size(); ++b)
          if (run_classes[a] == classes_[b]) column_of[a] = static_cast<int>(b);
      for (const auto& r : rows) {
        auto it = truth_text_.find(Key{r.source, r.row_id});
        if (it == truth_text_.end()) continue;
        int32_t y = -1;
        for (size_t b = 0; b < classes_.size(); ++b)
          if (classes_[b] == it->second) y = static_cast<int32_t>(b);
        p.y.push_back(y);
        std::vector<float> pr(classes_.size(), 0.f);
        for (size_t a = 0; a < r.proba.size() && a < column_of.size(); ++a)
          if (column_of[a] >= 0) pr[static_cast<size_t>(column_of[a])] = r.proba[a];
        p.proba.insert(p.proba.end(), pr.begin(), pr.end());
      }
    } else {
      for (const auto& r : rows) {
        auto it = truth_value_.find(Key{r.source, r.row_id});
        if (it == truth_value_.end()) continue;
        p.target.push_back(it->second);
        p.value.push_back(r.prediction);
      }
    }
    return p;
  }

 private:
  using Key = std::pair<std::string, int64_t>;
  std::string metric_;
  bool classification_ = true;
  int32_t positive_ = 1;
  std::vector<std::string> classes_;
  std::map<Key, std::string> truth_text_;
  std::map<Key, double> truth_value_;
};

std::string fmt_loss(const std::string& metric, std::optional<double> v) {
  if (!v || std::isnan(*v)) return "n/a";
  return metric == "error" ? fmt::format("{:.2f}%", 100 * *v) : fmt_value(*v);
}

class Loop;

// Trains the candidates of one iteration, reusing finished runs with the same config (after a
// resume, or when a remedy proposes a config tried before).
class IterationTrainer final : public CandidateTrainer {
 public:
  IterationTrainer(Loop& loop, int64_t iteration) : loop_(loop), iteration_(iteration) {}
  double train(const Candidate& c) override;
  bool out_of_time() const override;

  struct Tried {
    int64_t run;
    std::string label;
    std::optional<double> dev;
    std::string status;
    bool reused;
  };
  std::vector<Tried> tried;

 private:
  Loop& loop_;
  int64_t iteration_;
};

// Runs a remedy's candidate list without training: which of its candidates are finished runs
// already (`runs`), and whether any is not (`fresh`, which ends the listing: `out_of_time`).
class ProbeTrainer final : public CandidateTrainer {
 public:
  explicit ProbeTrainer(std::function<std::optional<RunRecord>(const Candidate&)> twin) : twin_(std::move(twin)) {}
  double train(const Candidate& c) override {
    const std::optional<RunRecord> r = twin_(c);
    if (!r) {
      fresh = true;
      return NAN;
    }
    if (std::find(runs.begin(), runs.end(), r->id) == runs.end()) runs.push_back(r->id);
    return NAN;
  }
  bool out_of_time() const override { return fresh; }
  bool fresh = false;
  std::vector<int64_t> runs;

 private:
  std::function<std::optional<RunRecord>(const Candidate&)> twin_;
};

class Loop {
 public:
  Loop(Project& project, const Registry& registry, const LoopOptions& options, Context& ctx)
      : project_(project), registry_(registry), options_(options), ctx_(ctx), cfg_(project.config) {}

  json run();
  // The loop's next steps from the diagnosis `d` of a run, that run as its incumbent: see
  // mlloop::next_steps.
  // `data`: the project's data, read already (null: read here).
  json next_steps(const json& d, const ProjectData* data = nullptr);

  // Used by IterationTrainer.
  double train_candidate(const Candidate& c, int64_t iteration, IterationTrainer::Tried& out);
  // A finished run among `runs` of the candidate's very config (family, params, data recipe):
  // reused, never trained twice.
  std::optional<RunRecord> finished_twin(const Candidate& c, const std::vector<RunRecord>& runs) const;
  // Where every candidate `remedy` proposes from `view` is such a run, and one measured already
  // (only_runs_before says which count), those runs: an iteration of it would train nothing and re-measure
  // what lost before (a switch back to the classes a gbdt beat, from the regularized gbdt that
  // followed it), so the loop passes it over. Null where it would train something new.
  std::optional<std::vector<int64_t>> only_runs_before(const std::string& remedy, const LoopView& view) const;
  bool out_of_time() const { return deadline_ && Clock::now() >= *deadline_; }

 private:
  void check_remedy_names(const char* key, const std::vector<std::string>& names, const std::vector<int64_t>& lines) const;
  std::ostream* log() const { return options_.log; }
  // The stream of the progress bars: the blocks' stream when it is a terminal, else none.
  std::ostream* bar() const { return options_.progress ? log() : nullptr; }
  template <typename... A>
  void say(fmt::format_string<A...> f, A&&... a) {
    if (!log()) return;
    fmt::print(*log(), f, std::forward<A>(a)...);
    log()->flush();  // each line as it happens, on a pipe or in a file too
  }
  std::optional<int64_t> incumbent() { return project_.store->incumbent(cfg_.metric, !metrics::higher_is_better(cfg_.metric)); }
  void setup();
  LoopView view_of(int64_t incumbent, const json& diagnosis, int64_t iteration);
  // The one check an exact solver gets before the loop trusts a stop at the optimum, stops with
  // no gap larger than its noise, or constrains it (check_flexible: linear or baseline, the
  // switch permitted and not yet tried on it): switch_model_class with its reason; else an
  // empty choice. `at_optimum` is the stop rule's reason, when it holds.
  RemedyChoice flexible_check(const RunRecord& inc_run, const json& d, bool check_flexible,
                              const std::optional<std::string>& at_optimum) const;
  // Whether that check is due on `inc_run`, given the remedies `tried` on it.
  bool flexible_check_due(const RunRecord& inc_run, const std::set<std::string>& tried) const {
    return (inc_run.model == "linear" || inc_run.model == "baseline") && permitted(cfg_, "switch_model_class") &&
           !tried.count("switch_model_class");
  }
  // An incumbent the deadline stopped (a budget too short for its training, in this run or an
  // earlier one) is trained to the end before the loop trusts a stop at the optimum or goes on
  // from it: more_expressive_model, whose first candidate is then the same config (once).
  // (Not where the per-run cap stopped it: that cap would stop it again.)
  bool finish_due(const RunRecord& inc_run, const std::set<std::string>& tried) const {
    return inc_run.status == "stopped" && (!run_cap_ || inc_run.seconds < 0.9 * *run_cap_) &&
           permitted(cfg_, "more_expressive_model") && !tried.count("more_expressive_model");
  }
  static RemedyChoice finish_check(const RunRecord& inc_run) {
    return {"more_expressive_model",
            fmt::format("run {} ({}) was stopped before the end of its training ({}): the same config trained to the end "
                        "first, with a step up in capacity",
                        inc_run.id, inc_run.model, inc_run.reason.empty() ? std::string("the deadline") : inc_run.reason),
            true};
  }
  json output(const std::string& stopped_because, const json& recommendations);
  Deadline run_deadline() const {
    Deadline d;
    d.at = deadline_;
    if (run_cap_) {
      auto cap = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*run_cap_));
      if (!d.at || cap < *d.at) d.at = cap;
    }
    return d;
  }

  // The analysis' options with the data this loop has read (the analyses need not read the
  // files again: on a large table each read is seconds).
  DiagnoseOptions with_data(DiagnoseOptions o) const {
    o.data = data_;
    return o;
  }

  Project& project_;
  const Registry& registry_;
  const LoopOptions& options_;
  Context& ctx_;
  const ProjectConfig& cfg_;
  // The project's data: read by the loop (own_data_), or given by the caller (next_steps).
  std::unique_ptr<ProjectData> own_data_;
  const ProjectData* data_ = nullptr;
  std::unique_ptr<DevJudge> judge_;
  std::optional<Clock::time_point> deadline_;
  // Set when the costly analyses did not finish in their share of the time budget: the rest of
  // this run goes on without them.
  bool skip_costly_analyses_ = false;
  std::optional<double> run_cap_;
  std::optional<std::vector<float>> shift_weights_;
  std::optional<json> relation_drift_;
  std::optional<size_t> category_levels_;
  size_t trained_in_iteration_ = 0;
  std::set<std::string> said_notes_;
  std::string leakage_;  // MLL-K01's summary, when an analysis of this run found a leaking column
  // Background loads of the families' libraries (Family::warm_up), started after the setup.
  std::deque<JoinedThread> warmers_;
};

double IterationTrainer::train(const Candidate& c) {
  Tried t{};
  double d = loop_.train_candidate(c, iteration_, t);
  tried.push_back(t);
  return d;
}
bool IterationTrainer::out_of_time() const { return loop_.out_of_time(); }

std::optional<RunRecord> Loop::finished_twin(const Candidate& c, const std::vector<RunRecord>& runs) const {
  const Params params = resolve_params(registry_.get(c.family), c.params);
  const json recipe = c.recipe.to_json();
  for (const auto& r : runs) {
    if (r.status != "done" || r.model != c.family || r.params != params) continue;
    const json rr = r.config.contains("recipe") ? r.config["recipe"] : json::object();
    if (rr == recipe) return r;
  }
  return std::nullopt;
}

std::optional<std::vector<int64_t>> Loop::only_runs_before(const std::string& remedy, const LoopView& view) const {
  const Remedy* r = find_remedy(remedy);
  if (!r || !r->actionable) return std::nullopt;
  // Measured: a candidate of a finished iteration, or a run of the setup or of mlloop train
  // (which the incumbent was chosen among). A run of an iteration a kill left unfinished was
  // never measured: the resumed iteration reuses it and measures it then.
  std::set<int64_t> measured;
  for (const auto& it : project_.store->iterations())
    if (it.state == "finished") measured.insert(it.runs.begin(), it.runs.end());
  ProbeTrainer probe([&](const Candidate& c) -> std::optional<RunRecord> {
    std::optional<RunRecord> r = finished_twin(c, view.runs);  // the runs as the view read them, not once per candidate
    if (r && r->iteration.value_or(0) != 0 && !measured.count(r->id)) return std::nullopt;
    return r;
  });
  r->implement(view, probe);
  if (probe.fresh || probe.runs.empty()) return std::nullopt;
  return probe.runs;
}

double Loop::train_candidate(const Candidate& c, int64_t iteration, IterationTrainer::Tried& out) {
  const Family& fam = registry_.get(c.family);
  Params params = resolve_params(fam, c.params);
  out.label = c.label;
  if (const std::optional<RunRecord> r = finished_twin(c, project_.store->runs())) {
    out.run = r->id;
    out.dev = dev_loss(*project_.store, r->id, cfg_.metric);
    out.status = r->status;
    out.reused = true;
    say("    {:<46} run {:>4}  dev {}  (already trained)\n", c.label, r->id, fmt_loss(cfg_.metric, out.dev));
    return out.dev.value_or(NAN);
  }
  TrainRequest req{c.family, params, iteration, run_deadline(), c.recipe};
  if (req.recipe.weights == "shift") {
    if (!shift_weights_) shift_weights_ = shift_importance_weights(project_, *data_, registry_, ctx_);
    req.recipe.row_weights = *shift_weights_;
  }
  ++trained_in_iteration_;
  TrainOutcome o;
  {
    // On a terminal: a bar of the rounds or epochs done out of those planned (early stopping
    // may end a run before the bar fills), redrawn at most 10 times a second.
    ProgressFeed feed(ctx_, bar(),
                      fmt::format("candidate {}: {}", trained_in_iteration_, c.label));
    o = train_run(project_, *data_, registry_, req, ctx_);
  }
  out.run = o.run;
  out.status = o.record.status;
  out.reused = false;
  if (o.record.status == "done" || o.record.status == "stopped") out.dev = dev_loss(*project_.store, o.run, cfg_.metric);
  say("    {:<46} run {:>4}  dev {}  {}{:.1f} s\n", c.label, o.run, fmt_loss(cfg_.metric, out.dev),
      o.record.status == "done" ? "" : o.record.status + (o.fit.reason.empty() ? "" : " (" + o.fit.reason + ")") + "  ",
      o.record.seconds);
  // What the preprocessing left out (identifiers, free text, constant columns) is said once,
  // under the setup: the loop's user never ran `mlloop train`, which prints it too.
  if (iteration == 0)
    for (const auto& n : o.notes)
      if (said_notes_.insert(n).second) say("    note: {}\n", n);
  return out.dev.value_or(NAN);
}

void Loop::setup() {
  // The log's figures are losses; for auc and f1 a loss of 0.22 is a score of 0.78, said once.
  if (metrics::higher_is_better(cfg_.metric))
    say("    note: the figures below are 1 - {}, a loss: lower is better (dev 0.2200 is an {} of 0.7800)\n", cfg_.metric, cfg_.metric);
  // Get a simple model working: the baseline, then a linear model (iteration 0).
  for (const char* fam : {"baseline", "linear"}) {
    if (out_of_time()) return;
    Candidate c{fam, resolve_params(registry_.get(fam), Params::object()), {}, fmt::format("setup: {}", fam)};
    IterationTrainer::Tried t{};
    train_candidate(c, 0, t);  // reuses a finished run of the same config
  }
}

LoopView Loop::view_of(int64_t inc, const json& diagnosis, int64_t iteration) {
  LoopView v;
  v.config = &cfg_;
  v.registry = &registry_;
  v.incumbent = *project_.store->run(inc);
  v.incumbent.params = resolve_params(registry_.get(v.incumbent.model), v.incumbent.params);
  v.incumbent_recipe = Recipe::from_json(v.incumbent.config.value("recipe", json::object()));
  v.diagnosis = diagnosis;
  v.runs = project_.store->runs();
  v.seed = cfg_.seed;
  v.iteration = iteration;
  v.tune_trials = cfg_.tune_trials;
  const SplitPart& train = data_->data_part(SplitName::train);
  v.train_rows = static_cast<int64_t>(train.positions.size());
  if (is_classification(cfg_.task)) {
    const Column* target = nullptr;
    for (const auto& c : train.data->columns)
      if (c.name == cfg_.target) target = &c;
    std::map<std::string, int64_t> counts;
    for (size_t pos : train.positions) ++counts[target->text(pos)];
    int64_t lo = INT64_MAX, hi = 0;
    for (const auto& [k, n] : counts) lo = std::min(lo, n), hi = std::max(hi, n);
    v.minority_share = hi > 0 ? static_cast<double>(lo) / static_cast<double>(hi) : 1;
  }
  if (!category_levels_) {
    // Text columns of a few repeated values (not dates, not an identifier's unique values).
    size_t most = 0;
    for (const auto& c : train.data->columns) {
      if (c.name == cfg_.target || c.is_numeric() || c.type == ColumnType::datetime) continue;
      const size_t levels = c.distinct_count(train.positions);
      if (levels < train.positions.size()) most = std::max(most, levels);
    }
    category_levels_ = most;
  }
  v.category_levels = *category_levels_;
  v.test_looks = project_.store->count_test_looks();
  v.finished_iterations = project_.store->count_iterations();
  if (diagnosis.at("bottleneck") == "data_mismatch") {
    if (!relation_drift_) relation_drift_ = relation_drift(project_, *data_, ctx_);
    v.relation_drift = *relation_drift_;
  }
  return v;
}

// What a stopped loop leaves to recommend: the remedies it cannot carry out, and clean_labels,
// untried from this incumbent, where the suspects are more than a few (30 rows of 3,500
// flagged on a regression are the tails of its noise, not a cause of its error:
// label_problems).
bool left_to_recommend(const RemedyChoice& c, const std::set<std::string>& tried, const LoopView& view) {
  return !c.actionable || (c.remedy == "clean_labels" && !tried.count(c.remedy) && label_problems(view));
}

// A recommendation for the output: the remedy and its reason; the two label remedies carry
// the suspected rows too, most suspicious first (relabel is a list for a person to review).
json recommendation(const RemedyChoice& c, const LoopView& view) {
  json r = {{"remedy", c.remedy}, {"reason", c.reason}};
  if (c.remedy == "clean_labels" || c.remedy == "relabel") r["rows"] = view.diagnosis.at("label_issues").at("rows");
  return r;
}

RemedyChoice Loop::flexible_check(const RunRecord& inc_run, const json& d, bool check_flexible,
                                  const std::optional<std::string>& at_optimum) const {
  if (!check_flexible) return {};
  const std::string bottleneck = d["bottleneck"];
  auto err = [&](const char* split) { return error_of(d, split); };
  const bool unmeasured = d["errors"]["optimal"].is_null();
  if (skip_costly_analyses_ && unmeasured)
    return {"switch_model_class",
            fmt::format("the optimal-error estimate did not finish in half of the time left, so avoidable bias is not "
                        "measured; {} is an exact solver: one check that a more flexible class does better comes first",
                        inc_run.model),
            true};
  if (at_optimum)
    return {"switch_model_class",
            fmt::format("{}; before stopping, one check that a more flexible class than {} does no better", *at_optimum, inc_run.model),
            true};
  if (bottleneck != "none" && !(unmeasured && bottleneck == "variance")) return {};
  // Without an optimal error (auc, f1 or logloss with no reference) avoidable bias is not
  // measured at all: a linear model at chance level shows no gap, or only the small variance
  // gap an exact solver has (logloss 0.6918 against 0.6971 on an XOR boundary). An exact
  // solver gets the same one check before the loop stops or tunes it.
  const std::string unmeasured_why =
      unmeasured ? fmt::format(" (avoidable bias is not measured: no optimal {} without a reference)", cfg_.metric) : "";
  return {"switch_model_class",
          bottleneck == "none"
              ? fmt::format("dev {}: no gap is larger than its noise{}; before stopping, one check that a more flexible class "
                            "than {} does no better",
                            fmt_loss(cfg_.metric, err("dev")), unmeasured_why, inc_run.model)
              : fmt::format("train {} vs train-dev {}: a variance gap{}; before constraining {}, one check that a more "
                            "flexible class does no better",
                            fmt_loss(cfg_.metric, err("train")), fmt_loss(cfg_.metric, err("train_dev")), unmeasured_why,
                            inc_run.model),
          true};
}

json Loop::next_steps(const json& d, const ProjectData* data) {
  if (data) {
    data_ = data;
  } else if (!data_) {
    own_data_ = std::make_unique<ProjectData>(load_project_data(project_, ctx_));
    data_ = own_data_.get();
  }
  const int64_t run = d.at("run");
  const RunRecord inc_run = *project_.store->run(run);
  const std::set<std::string> tried = tried_on(*project_.store, run);
  bool check_flexible = flexible_check_due(inc_run, tried);
  bool finish = finish_due(inc_run, tried);
  const std::optional<std::string> at_optimum = at_optimum_reason(d, cfg_.metric);
  const json& dev = d["errors"]["dev"];
  LoopView view = view_of(run, d, project_.store->count_iterations() + 1);
  view.project_incumbent = incumbent() == run;
  // As the loop selects: a check, or a remedy, that would only re-measure runs trained before
  // is no next step.
  if ((check_flexible || finish) && only_runs_before(finish ? "more_expressive_model" : "switch_model_class", view))
    check_flexible = finish = false;
  // Where the loop would stop (the goal met, or the optimum reached), what is left is what a
  // run's end recommends. The loop never sees dev overfitting (its analysis leaves the test
  // set out): a diagnosis that does puts fresh_dev_set first (the policy's only remedy for
  // it), whatever the dev errors, which it makes suspect, would say.
  const bool dev_overfit = d["bottleneck"] == "dev_overfit";
  const bool stops =
      !dev_overfit && ((cfg_.goal && !dev.is_null() && dev["value"].get<double>() <= *cfg_.goal) || (at_optimum && !check_flexible && !finish));
  json out = json::array();
  std::string first;
  if (!stops && !dev_overfit) {
    const RemedyChoice check = finish ? finish_check(inc_run) : flexible_check(inc_run, d, check_flexible, at_optimum);
    if (!check.remedy.empty()) out.push_back(recommendation(check, view));
    first = check.remedy;
  }
  for (const auto& c : rank_remedies(view))
    if (stops ? left_to_recommend(c, tried, view)
              : !c.actionable || (!tried.count(c.remedy) && c.remedy != first && !only_runs_before(c.remedy, view)))
      out.push_back(recommendation(c, view));
  return out;
}

json Loop::output(const std::string& stopped_because, const json& recommendations) {
  json iters = json::array();
  for (const auto& it : project_.store->iterations()) {
    if (it.state != "finished") continue;
    iters.push_back({{"index", it.index}, {"bottleneck", it.bottleneck}, {"remedy", it.remedy}, {"reason", it.reason},
                     {"dev_before", it.dev_before ? json(*it.dev_before) : json(nullptr)},
                     {"dev_after", it.dev_after ? json(*it.dev_after) : json(nullptr)}, {"accepted", it.accepted},
                     {"runs", it.runs}, {"seconds", it.seconds},
                     {"candidates", it.detail.value("candidates", json::array())},
                     {"test", it.detail.value("test", json(nullptr))}});
  }
  json best = nullptr;
  if (auto inc = incumbent()) {
    auto r = project_.store->run(*inc);
    best = {{"run", r->id}, {"model", r->model}};
    best.update(judged_dev(cfg_, *project_.store, *inc).to_json());
    best["params"] = r->params;
    best["recipe"] = r->config.value("recipe", json::object());
  }
  return {{"iterations", iters}, {"best", best}, {"stopped_because", stopped_because}, {"recommendations", recommendations}};
}

// An unknown name in [loop] allow or deny is bad input: named with its line, and the remedy
// it is closest to (a misspelling), or the list of names.
void Loop::check_remedy_names(const char* key, const std::vector<std::string>& names, const std::vector<int64_t>& lines) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (is_remedy_name(names[i])) continue;
    std::vector<std::string> known;
    for (const auto& r : all_remedies()) known.push_back(r.name);
    const std::string near = closest_match(names[i], known);
    throw_bad_input(fmt::format("unknown remedy '{}' in [loop] {}", names[i], key),
                    near.empty() ? fmt::format("remedies are: {}", fmt::join(known, ", ")) : fmt::format("did you mean '{}'?", near),
                    Where{project_toml(project_.dir), i < lines.size() ? lines[i] : 0, 0, {}});
  }
}

json Loop::run() {
  LoopLock lock(project_.dir);
  const auto start = Clock::now();
  std::optional<double> budget = options_.time_budget;
  if (!budget && cfg_.time_budget) budget = parse_duration(*cfg_.time_budget, "[loop] time_budget in mlloop.toml");
  auto after = [&](double seconds) { return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)); };
  if (budget) deadline_ = after(*budget);
  run_cap_ = options_.run_time_cap;
  if (!run_cap_ && cfg_.run_time_cap) run_cap_ = parse_duration(*cfg_.run_time_cap, "[loop] run_time_cap in mlloop.toml");
  const int64_t max_iterations = options_.iterations.value_or(cfg_.iterations.value_or(10));
  check_remedy_names("allow", cfg_.allow, cfg_.allow_lines);
  check_remedy_names("deny", cfg_.deny, cfg_.deny_lines);

  struct DeadlineScope {
    Context& c;
    ~DeadlineScope() { c.deadline.reset(); }
  } scope{ctx_};
  ctx_.deadline = deadline_;
  ctx_.seed = cfg_.seed;

  // Resume: runs a killed process left unfinished have no results; they are dropped and the
  // work they stood for is redone.
  if (int64_t n = project_.store->delete_unfinished_runs(); n > 0)
    say("resuming: {} unfinished run{} from an interrupted loop dropped; finished work is kept\n", n, n == 1 ? "" : "s");
  own_data_ = std::make_unique<ProjectData>(load_project_data(project_, ctx_));
  data_ = own_data_.get();
  // Trainings and analyses stop a little before the budget's end, for what follows a training
  // the deadline stops: its measuring on every split, the measure step and the output. That
  // grows with the table (about 1 s after a gbdt stopped on 2 million rows x 21 columns: a 20 s
  // budget there ended at 21.4 s), so the reserve is 1 s per 10 million cells of the data
  // files, at most 3% of the budget and 30 s: 0.02 s on satellite's 6,435 x 37.
  if (budget) {
    double cells = 0;
    for (const auto& [source, ds] : data_->files) cells += static_cast<double>(ds->rows()) * static_cast<double>(ds->cols());
    deadline_ = after(*budget - std::min({cells / 1e7, 0.03 * *budget, 30.0}));
    ctx_.deadline = deadline_;
  }
  judge_ = std::make_unique<DevJudge>(project_, *data_);
  const int64_t done_before = project_.store->count_iterations();
  if (done_before >= max_iterations && done_before > 0)
    say("the project has {} iteration{} already, its iteration budget ({}) or more: none to run (a larger --iterations "
        "goes on)\n",
        done_before, done_before == 1 ? "" : "s", max_iterations);
  else if (done_before > 0)
    say("resuming after iteration {} of {}\n", done_before, max_iterations);

  setup();
  // A family that loads a library on first use (the mlp: libtorch, about half a second) loads
  // it in the background while the loop analyzes; its first candidate then finds it loaded.
  // Not before the setup: the loader's lock, held through the load, stalls the main thread
  // (a 5,000-row table's baseline and linear model took 0.21 s instead of 0.02 s). Joined with
  // the loop, so no load is left running at exit. A load that fails here is left to fail
  // again, with its message, where the family is first used.
  for (const auto& f : registry_.families())
    if (f.warm_up) warmers_.emplace_back(f.warm_up);
  json recommendations = json::array();
  std::string stopped;
  while (stopped.empty()) {
    const int64_t index = project_.store->count_iterations() + 1;
    if (index > max_iterations) {
      stopped = "budget";
      say("stop: the iteration budget ({}) is spent\n", max_iterations);
      break;
    }
    if (out_of_time()) {
      stopped = "budget";
      say("stop: the time budget is spent\n");
      break;
    }
    auto inc = incumbent();
    if (!inc) {
      stopped = "no_remedy";
      say("stop: no model could be trained\n");
      break;
    }
    const auto t0 = Clock::now();
    const auto inc_run = *project_.store->run(*inc);
    const std::set<std::string> tried = tried_on(*project_.store, *inc);
    // An exact solver (linear, baseline) gets one check that a flexible class does no better
    // before the loop trusts a stop at the optimum, or a stop with no gap larger than its
    // noise; that check needs no data analyses, so they wait (they cost several model fits on
    // a large table).
    const bool check_flexible = flexible_check_due(inc_run, tried);
    const bool finish = finish_due(inc_run, tried);

    // Analyze.
    json d;
    auto err = [&](const char* split) { return error_of(d, split); };
    auto near_optimum = [&]() { return at_optimum_reason(d, cfg_.metric); };
    // With a time budget, the costly analyses get at most half of the time left: the
    // optimal-error estimate (a dozen model fits) and the data analyses (memorization, label
    // issues, shift). With many classes or columns they take longer than a short budget (26
    // classes x 14,000 rows: the estimate 44 s, the data analyses 35 s more), and the loop
    // stopped inside them with the model it had, linear. When they do not finish in that
    // share, the loop goes on without them for the rest of this run (what they cached stays
    // in use): an exact solver to its one check that a flexible class does better, another
    // incumbent to the remedies its measured gaps call for. The measure step judges every
    // candidate on dev as before.
    std::optional<double> analyses_cut;  // seconds the analyses were given, when they did not fit in them in this iteration
    // The header goes out before the analysis: on a large table that takes a minute, and a log
    // that is no terminal (no bar) would otherwise show nothing of it until it ends.
    say("\niteration {}  (incumbent: run {}, {})\n", index, *inc, inc_run.model);
    try {
      // The analysis fits models too (the bound's out-of-fold fits, cross-validation, the data
      // analyses): a minute and more on a large table, so a terminal gets a bar for it.
      ProgressFeed feed(ctx_, bar(), fmt::format("analyzing run {}", *inc));
      const DiagnoseOptions without_costly = analysis(cfg_, false, false, false);
      if (skip_costly_analyses_) {
        d = diagnose(project_, *inc, registry_, ctx_, with_data(without_costly));
      } else {
        std::optional<Clock::time_point> share;
        if (deadline_ && !out_of_time()) share = Clock::now() + (*deadline_ - Clock::now()) / 2;
        try {
          if (share) ctx_.deadline = share;
          d = diagnose(project_, *inc, registry_, ctx_, with_data(analysis(cfg_, false, !check_flexible, true)));
          if (check_flexible && d["bottleneck"] != "avoidable_bias" && d["bottleneck"] != "none" &&
              !(d["bottleneck"] == "variance" && d["errors"]["optimal"].is_null()) && !near_optimum())
            d = diagnose(project_, *inc, registry_, ctx_, with_data(analysis(cfg_, false, true, true)));
          ctx_.deadline = deadline_;
        } catch (const BudgetExhausted&) {
          ctx_.deadline = deadline_;
          if (!share || out_of_time()) throw;
          analyses_cut = std::chrono::duration<double>(*share - t0).count();
          skip_costly_analyses_ = true;
          d = diagnose(project_, *inc, registry_, ctx_, with_data(without_costly));
        }
      }
    } catch (const BudgetExhausted&) {
      stopped = "budget";
      say("stop: the time budget ran out during the analysis\n");
      break;
    }
    const std::string bottleneck = d["bottleneck"];
    project_.store->set_meta("last_bottleneck", bottleneck);
    say("  analyze   train {}  train-dev {}  dev {}  optimal {}  ->  bottleneck: {}{}{}\n", fmt_loss(cfg_.metric, err("train")),
        fmt_loss(cfg_.metric, err("train_dev")), fmt_loss(cfg_.metric, err("dev")), fmt_loss(cfg_.metric, err("optimal")),
        bottleneck, d["estimated_by"] == "cv" ? fmt::format("  ({}x {}-fold cross-validation: dev is small)", cv_repeats_of(d), cfg_.cv_folds) : "",
        analyses_cut              ? fmt::format("  (the analyses do not fit in {:.0f} s, half of the time left: this run goes on without the optimal-error estimate and data analyses)", *analyses_cut)
        : skip_costly_analyses_ ? std::string("  (without the analyses that did not finish in their share of the time budget)")
                                : std::string());
    // A column that is the target in disguise makes every error below an illusion, the
    // optimum the loop may stop at included: said once, where the loop's user reads.
    for (const auto& f : d["findings"])
      if (f["code"] == "MLL-K01" && said_notes_.insert(f["summary"].get<std::string>()).second) {
        leakage_ = f["summary"].get<std::string>();
        say("  warning   {}: target leakage if it is not known when a prediction is made (mlloop diagnose)\n", leakage_);
      }
    LoopView view = view_of(*inc, d, index);
    auto choices = rank_remedies(view);
    recommendations = json::array();
    for (const auto& c : choices)
      if (!c.actionable) recommendations.push_back(recommendation(c, view));

    // Stop rules.
    const auto dev = err("dev");
    if (cfg_.goal && dev && *dev <= *cfg_.goal) {
      stopped = "goal_reached";
      say("stop: dev {} meets the goal {}\n", fmt_loss(cfg_.metric, dev), fmt_loss(cfg_.metric, *cfg_.goal));
      break;
    }
    const std::optional<std::string> at_optimum = near_optimum();
    if (at_optimum && !check_flexible && !finish) {
      stopped = "at_optimum";
      say("stop: {}\n", *at_optimum);
      break;
    }
    // A remedy whose every candidate is a run trained before is passed over (said once).
    std::set<std::string> passed;
    auto nothing_new = [&](const RemedyChoice& c) {
      if (passed.count(c.remedy)) return true;
      const std::optional<std::vector<int64_t>> runs = only_runs_before(c.remedy, view);
      if (!runs) return false;
      passed.insert(c.remedy);
      say("  pass      {}: every candidate it proposes was trained before (run{} {}): nothing new to measure\n", c.remedy,
          runs->size() == 1 ? "" : "s", fmt::join(*runs, ", "));
      return true;
    };
    RemedyChoice deferred = finish ? finish_check(inc_run) : flexible_check(inc_run, d, check_flexible, at_optimum);
    if (!deferred.remedy.empty() && nothing_new(deferred)) {
      deferred = {};
      if (at_optimum) {
        stopped = "at_optimum";
        say("stop: {}\n", *at_optimum);
        break;
      }
    }
    {
      auto its = project_.store->iterations();
      int64_t quiet = 0;
      for (auto it = its.rbegin(); it != its.rend() && it->state == "finished" && !it->accepted; ++it) ++quiet;
      if (quiet >= cfg_.plateau) {
        stopped = "plateau";
        say("stop: {} iterations in a row without an accepted change\n", quiet);
        break;
      }
    }
    // Select: the first actionable remedy not yet tried on this incumbent.
    const RemedyChoice* pick = deferred.remedy.empty() ? nullptr : &deferred;
    for (const auto& c : choices)
      if (!pick && c.actionable && !tried.count(c.remedy) && !nothing_new(c)) {
        pick = &c;
        break;
      }
    if (!pick) {
      const bool bound = !d["errors"]["optimal"].is_null();
      // Without the bound because its estimate did not fit in this run's time budget, what
      // ended the run is the budget: a longer one lets the estimate finish (and caches it).
      const bool cut = !bound && skip_costly_analyses_ && bottleneck == "none";
      stopped = bottleneck == "none" && bound ? "at_optimum" : cut ? "budget" : "no_remedy";
      say("stop: {}\n", bottleneck != "none" ? (passed.empty() ? "every applicable remedy has been tried on this incumbent"
                                                             : "every applicable remedy has been tried on this incumbent, or "
                                                               "proposes only runs trained before")
                         : bound          ? "no gap is larger than its noise"
                         : cut ? "no gap is larger than its noise, and the optimal-error estimate that would show whether this is the "
                                 "optimum did not fit in the time budget (budget): a longer --time-budget lets it finish"
                               : "no gap is larger than its noise, and without an optimal error that does not show the "
                                 "optimum: no remedy is left to try (no_remedy)");
      break;
    }
    say("  select    {}: {}\n", pick->remedy, pick->reason);
    project_.store->begin_iteration(index, bottleneck, pick->remedy, pick->reason);

    // Implement.
    say("  implement\n");
    IterationTrainer trainer(*this, index);
    trained_in_iteration_ = 0;
    find_remedy(pick->remedy)->implement(view, trainer);

    // Measure: the best candidate against the incumbent, paired on the same rows: the dev
    // rows, or on small data the first repeat's out-of-fold predictions over the pooled rows.
    IterationRecord rec;
    rec.index = index;
    rec.bottleneck = bottleneck;
    rec.remedy = pick->remedy;
    rec.reason = pick->reason;
    rec.dev_before = dev_loss(*project_.store, *inc, cfg_.metric);
    rec.detail["incumbent_before"] = *inc;
    auto finished = [&](const IterationTrainer::Tried& t) {
      return t.dev && t.run != *inc && (t.status == "done" || t.status == "stopped");
    };
    std::optional<CvResult> inc_cv;
    std::map<int64_t, CvResult> cand_cv;
    if (uses_cv(cfg_, *project_.store)) {
      try {
        std::optional<ProgressFeed> feed;
        feed.emplace(ctx_, bar(), "measuring: cross-validation");
        inc_cv = cross_validate(project_, *data_, inc_run, registry_, ctx_, 1);
        if (inc_cv->dev_separate) inc_cv.reset();  // dev is its own distribution: judge on dev
        // Candidates are cross-validated best dev error first (cross_validate_contenders). Those
        // significantly worse on dev than the best one are not contenders and are left out.
        // A candidate stopped before the end of its training (the per-run cap) is no contender
        // here: the folds would fit it to the end, and judge that model, not the one stopped
        // (an mlp cut at epoch 0 by a 1 ms cap, dev 65%, was accepted on the folds' 19.6%).
        std::vector<const IterationTrainer::Tried*> order;
        for (const auto& t : trainer.tried)
          if (finished(t) && t.status == "done") order.push_back(&t);
        std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return *a->dev < *b->dev; });
        std::vector<CvContender> contenders;
        if (inc_cv && !order.empty()) {
          const std::optional<metrics::Predictions> lead_dev = judge_->predictions(*project_.store, *project_.store->run(order.front()->run));
          // A candidate that predicts every dev row exactly as the incumbent does is the same
          // model (a cap its trees never reached, a change that moved nothing): its folds would
          // repeat the incumbent's, so they are not fitted.
          const std::optional<metrics::Predictions> inc_dev = judge_->predictions(*project_.store, inc_run);
          std::set<int64_t> seen;
          for (const auto* t : order) {
            if (!seen.insert(t->run).second) continue;
            const std::optional<metrics::Predictions> mine =
                t == order.front() ? lead_dev : judge_->predictions(*project_.store, *project_.store->run(t->run));
            if (mine && inc_dev && mine->rows() == inc_dev->rows() && mine->proba == inc_dev->proba && mine->value == inc_dev->value) {
              feed.reset();
              say("  measure   run {} predicts every dev row exactly as the incumbent does: the same model, not cross-validated\n", t->run);
              feed.emplace(ctx_, bar(), "measuring: cross-validation");
              continue;
            }
            if (t != order.front() && lead_dev && mine && mine->rows() == lead_dev->rows() &&
                metrics::compare(cfg_.metric, *mine, *lead_dev, cfg_.seed).b_better_significant)
              continue;  // significantly worse on dev than the best: not a contender
            contenders.push_back({t->run, project_.store->run(t->run)->model});
          }
        }
        if (inc_cv)
          cross_validate_contenders(
              cfg_.metric, cfg_.seed, cv_repeats_for(cfg_, inc_cv->rows), *inc, contenders, *inc_cv, cand_cv,
              [&](int64_t run, bool all) {
                return cross_validate(project_, *data_, *project_.store->run(run), registry_, ctx_,
                                      all ? std::nullopt : std::optional<int>(1));
              },
              [&](const std::string& line) {
                feed.reset();  // the bar's line is cleared before the message
                say("  measure   {}\n", line);
                feed.emplace(ctx_, bar(), "measuring: cross-validation");
              });
      } catch (const BudgetExhausted&) {
        // The candidates cross-validated before the deadline are judged; the others are not.
      } catch (const std::exception& e) {  // the incumbent's cross-validation
        say("  measure   cross-validation failed ({}); judging on dev\n", e.what());
        inc_cv.reset();
        cand_cv.clear();
      }
    }
    // Judged out of fold: the contenders cross-validated with as many repeats as the incumbent
    // (the finalists, when the pool gets several).
    auto judged = [&](int64_t run) {
      auto it = cand_cv.find(run);
      return inc_cv && it != cand_cv.end() && it->second.oof_by_repeat.size() == inc_cv->oof_by_repeat.size();
    };
    bool by_cv = false;
    for (const auto& [run, cv] : cand_cv) by_cv = by_cv || judged(run);
    json cands = json::array();
    const IterationTrainer::Tried* best = nullptr;
    auto score = [&](const IterationTrainer::Tried& t) { return by_cv ? cand_cv.at(t.run).out_of_fold.value : *t.dev; };
    for (const auto& t : trainer.tried) {
      if (std::find(rec.runs.begin(), rec.runs.end(), t.run) == rec.runs.end()) rec.runs.push_back(t.run);
      json c = {{"run", t.run}, {"label", t.label}, {"status", t.status}, {"dev", t.dev ? json(*t.dev) : json(nullptr)}};
      if (cand_cv.count(t.run)) c["cv"] = cand_cv.at(t.run).out_of_fold.value;
      cands.push_back(std::move(c));
      if (finished(t) && (!by_cv || judged(t.run)) && (!best || score(t) < score(*best))) best = &t;
    }
    rec.detail["candidates"] = cands;
    // The predictions the decision pairs: every repeat's out of fold, or the dev rows (read
    // from the store once a run, and kept here).
    std::map<int64_t, std::optional<Repeats>> read;
    auto preds_of = [&](const RunRecord& run) -> const Repeats* {
      if (by_cv) {
        if (run.id == *inc) return &inc_cv->oof_by_repeat;
        return judged(run.id) ? &cand_cv.at(run.id).oof_by_repeat : nullptr;
      }
      auto it = read.find(run.id);
      if (it == read.end()) {
        std::optional<Repeats> one;
        if (auto p = judge_->predictions(*project_.store, run)) one = Repeats{std::move(*p)};
        it = read.emplace(run.id, std::move(one)).first;
      }
      return it->second ? &*it->second : nullptr;
    };
    const Repeats* inc_p = best ? preds_of(inc_run) : nullptr;
    if (best && inc_p) {
      // The simplest candidate (the remedy lists its candidates simplest first: gbdt before
      // mlp, a small change before a large one) that is significantly better than the
      // incumbent and not significantly worse than the lowest error is the one kept, as in
      // the one-standard-error rule: a tie on these rows is no reason to take the more
      // variable or more complex model (an mlp's one fit can land a point off its out-of-fold
      // average).
      // A candidate after the lowest in that order is kept when the lowest is not significantly
      // better than the incumbent and it is, within noise of the lowest (a variance table of
      // 360 rows: L2 with C 0.01 lowest out of fold, 2.4 points below the incumbent with p =
      // 0.09; an L1 penalty 0.1 point above it, and significantly below the incumbent).
      std::vector<const IterationTrainer::Tried*> judged_in_order;
      size_t lowest_at = 0;
      for (const auto& t : trainer.tried) {
        if (&t == best) lowest_at = judged_in_order.size();
        if (&t == best || (finished(t) && t.run != best->run && (!by_cv || judged(t.run)))) judged_in_order.push_back(&t);
      }
      if (judged_in_order.size() > 1) {
        std::vector<const Repeats*> ptrs;
        for (const auto* t : judged_in_order) ptrs.push_back(preds_of(*project_.store->run(t->run)));
        const size_t pick = simplest_within_noise(cfg_.metric, *inc_p, ptrs, lowest_at, cfg_.seed);
        if (pick != lowest_at) {
          const auto* chosen = judged_in_order[pick];
          const double low_value = by_cv ? cand_cv.at(best->run).out_of_fold.value : *best->dev;
          rec.detail["simplest_within_noise"] = {{"chosen", chosen->run}, {"lowest", best->run}};
          if (pick < lowest_at)
            say("  measure   run {} has the lowest {}{}, {}; run {} ({}) is within noise of it and simpler: keeping that\n",
                best->run, by_cv ? "out-of-fold " : "dev ", cfg_.metric, fmt_loss(cfg_.metric, low_value), chosen->run, chosen->label);
          else
            say("  measure   run {} has the lowest {}{}, {}, but is not significantly better than the incumbent; run {} ({}) is, "
                "and within noise of it: keeping that\n",
                best->run, by_cv ? "out-of-fold " : "dev ", cfg_.metric, fmt_loss(cfg_.metric, low_value), chosen->run, chosen->label);
          best = chosen;
        }
      }
    }
    rec.incumbent = *inc;
    if (best) {
      rec.dev_after = best->dev;
      if (by_cv) {
        rec.dev_before = inc_cv->out_of_fold.value;
        rec.dev_after = cand_cv.at(best->run).out_of_fold.value;
      }
      const Repeats* a = inc_p;
      const Repeats* b = a ? preds_of(*project_.store->run(best->run)) : nullptr;
      // Which repeats the figures are: all of them averaged, or the first of several (no
      // finalist got the others), so that the incumbent's figure is not read as the analysis'.
      auto repeats_said = [&](size_t used) {
        const int pool = by_cv ? cv_repeats_for(cfg_, inc_cv->rows) : 1;
        if (used > 1) return fmt::format(" ({} repeats averaged)", used);
        return pool > 1 ? fmt::format(" (the first of {} repeats)", pool) : std::string();
      };
      if (a && b && same_rows(*a, *b) && a->front().rows() > 0) {
        auto cmp = metrics::compare_repeated(cfg_.metric, *a, *b, cfg_.seed);
        rec.accepted = cmp.b_better_significant;
        rec.detail["test"] = {{"name", cmp.test}, {"diff", cmp.diff}, {"low", cmp.low}, {"high", cmp.high}, {"p_value", cmp.p_value},
                              {"candidate", best->run}, {"estimated_by", by_cv ? "cv" : "split"}, {"rows", a->front().rows()},
                              {"repeats", a->size()}};
        if (cmp.resamples > 0) rec.detail["test"]["resamples"] = cmp.resamples;
        // A bootstrap that never crossed 0 gives p = 0: its resolution, not a certainty. An
        // exact test's p of 0 is a tail below what a double holds.
        const std::string p_said = cmp.p_value > 0    ? fmt::format("= {:.3g}", cmp.p_value)
                                   : cmp.resamples > 0 ? fmt::format("< {:.3g}", 2.0 / cmp.resamples)
                                                       : std::string("< 1e-300");
        say("  measure   {}{} -> {} (run {}): difference {} [{}, {}], {} p {}  ->  {}\n",
            by_cv ? fmt::format("out-of-fold {}{} on {} rows{} ", metrics::higher_is_better(cfg_.metric) ? "1 - " : "", cfg_.metric,
                                a->front().rows(), repeats_said(a->size()))
                  : std::string("dev "),
            fmt_loss(cfg_.metric, rec.dev_before), fmt_loss(cfg_.metric, rec.dev_after), best->run, fmt_loss(cfg_.metric, cmp.diff),
            fmt_loss(cfg_.metric, cmp.low), fmt_loss(cfg_.metric, cmp.high), cmp.test, p_said,
            rec.accepted     ? "accepted: a significant improvement"
            : cmp.high < 0 ? "did not help: significantly worse"
                           : "did not help: not a significant improvement");
      }
      if (rec.accepted) rec.incumbent = best->run;
    } else {
      say("  measure   no candidate finished{}  ->  did not help\n", out_of_time() ? " before the deadline" : "");
    }
    rec.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    project_.store->finish_iteration(rec);
  }

  // The final recommendations, from the last analysis; when the learning curve is needed
  // for more_data and time remains, compute it for the incumbent.
  if (auto inc = incumbent(); inc && !out_of_time()) {
    try {
      json d;
      {
        const bool costly = !skip_costly_analyses_;
        // The data analyses no iteration needed (the check that a flexible class does no better
        // than an exact solver waits for none) are computed now, for the recommendations: 15 s
        // on 20,000 rows of 26 classes, said first, so that a log is not silent after its stop line.
        const bool first_data_analyses = costly && !cached_data_analyses(project_);
        if (first_data_analyses)
          say("\ndata analyses of the training rows for the recommendations (memorization, label issues, shift): "
              "not needed by the iterations, computed now\n");
        ProgressFeed feed(ctx_, bar(), first_data_analyses ? std::string("data analyses")
                                                           : fmt::format("learning curve of run {}", *inc));
        d = diagnose(project_, *inc, registry_, ctx_, with_data(analysis(cfg_, false, costly, costly)));
        bool need_curve = costly && d["bottleneck"] == "variance" && d["learning_curve"].is_null();
        if (need_curve) {
          // A minute or more on a large table: said first, for a log that is not a terminal.
          const std::string model = project_.store->run(*inc)->model;
          say("\nlearning curve of run {} ({}) for more_data's forecast: {} refitted on 1/32 ... 1/2 of the training rows\n",
              *inc, model, model);
          d = diagnose(project_, *inc, registry_, ctx_, with_data(analysis(cfg_, true, true, true)));
        }
      }
      LoopView view = view_of(*inc, d, project_.store->count_iterations());
      const std::set<std::string> tried = tried_on(*project_.store, *inc);
      recommendations = json::array();
      for (const auto& c : rank_remedies(view))
        if (left_to_recommend(c, tried, view)) recommendations.push_back(recommendation(c, view));
    } catch (const BudgetExhausted&) {
    }
  }
  json out = output(stopped, recommendations);
  if (log()) {
    say("\nstopped: {}\n", stopped);
    if (!out["best"].is_null()) {
      const int64_t best_run = out["best"]["run"].get<int64_t>();
      // On a small dev split the loop judged by the out-of-fold error (best.dev): say both, or
      // the frozen split's few rows read as a contradiction of the log above.
      const json& b = out["best"];
      std::string oof;
      if (b["estimated_by"] == "cv")
        oof = fmt::format(" on the {}-row dev split; out of fold {}, the figure the loop judged by",
                          project_.store->split_counts()[SplitName::dev], fmt_loss(cfg_.metric, b["dev"].get<double>()));
      const auto best_dev = b["dev_split"].is_null() ? std::nullopt : std::optional<double>(b["dev_split"].get<double>());
      say("incumbent: run {} ({}), dev {}{}\n", best_run, out["best"]["model"].get<std::string>(),
          best_dev && metrics::higher_is_better(cfg_.metric) ? metrics::said(cfg_.metric, *best_dev)
                                                             : fmt::format("{} {}", cfg_.metric, fmt_loss(cfg_.metric, best_dev)),
          oof);
    }
    for (const auto& r : out["recommendations"]) say("recommendation: {}: {}\n", r["remedy"].get<std::string>(), r["reason"].get<std::string>());
    // The errors above are worth what the leaking column is: said again where the run ends.
    if (!leakage_.empty())
      say("warning: {}: if it is not known when a prediction is made, the errors above are an illusion; remove it and "
          "init again\n",
          leakage_);
    if (stopped == "goal_reached")
      say("the goal is met: the project is ready for its one test evaluation (mlloop test)\n");
    say("{:.1f} s\n", std::chrono::duration<double>(Clock::now() - start).count());
  }
  return out;
}

}  // namespace

size_t simplest_within_noise(const std::string& metric, const Repeats& incumbent, const std::vector<const Repeats*>& candidates,
                             size_t lowest, uint64_t seed) {
  MLLOOP_ASSERT(lowest < candidates.size());
  const Repeats* low = candidates[lowest];
  if (!low || !same_rows(*low, incumbent)) return lowest;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Repeats* c = candidates[i];
    if (!c || !same_rows(*c, incumbent)) continue;
    if (metrics::compare_repeated(metric, incumbent, *c, seed).b_better_significant &&
        !metrics::compare_repeated(metric, *c, *low, seed).b_better_significant)
      return i;
  }
  return lowest;
}

void cross_validate_contenders(const std::string& metric, uint64_t seed, int pool_repeats, int64_t incumbent,
                               const std::vector<CvContender>& contenders, CvResult& inc_cv,
                               std::map<int64_t, CvResult>& cand_cv, const std::function<CvResult(int64_t run, bool all)>& cv,
                               const std::function<void(const std::string&)>& note) {
  // The first repeat's figures, kept when a finalist's entry gets all repeats.
  const metrics::Predictions inc_first = inc_cv.oof_by_repeat.at(0);
  const double inc_first_value = inc_cv.out_of_fold.value;
  std::map<int64_t, double> first_value;
  std::set<int64_t> failed;
  bool skipped = false;
  // The first repeat of each contender not yet measured. With `may_end_early`, the first that
  // is significantly better than the incumbent ends the measuring, but not before the two
  // best contenders have both been cross-validated: when the small dev split cannot tell them
  // apart (a gbdt and an mlp 0.5 points apart on 644 rows), its order is luck, and the one kept
  // decides where the loop goes next. Nor before the best contender of each model class among
  // them has been (a switch tries gbdt, mlp and knn at once: on satellite an mlp and a knn
  // ahead on dev by 0.6 and 1.2 points left the gbdt, lowest out of fold, unmeasured).
  auto first_repeats = [&](bool may_end_early) {
    int measured = 0;
    bool significant = false;
    std::set<std::string> classes;
    for (const auto& c : contenders) {
      if (cand_cv.count(c.run) || failed.count(c.run)) continue;  // measured in the first pass
      if (may_end_early && significant && measured >= 2 && classes.count(c.model_class)) {
        skipped = true;
        continue;
      }
      std::optional<CvResult> one;
      try {
        one = cv(c.run, false);
      } catch (const BudgetExhausted&) {
        throw;
      } catch (const std::runtime_error& e) {  // its folds failed (an mlp diverging in one): left out, not the others
        failed.insert(c.run);
        note(fmt::format("cross-validation of run {} failed ({}); it is not judged", c.run, e.what()));
        continue;
      }
      const CvResult& mine = cand_cv.emplace(c.run, std::move(*one)).first->second;
      first_value[c.run] = mine.out_of_fold.value;
      ++measured;
      classes.insert(c.model_class);
      if (mine.oof_by_repeat.size() == 1 && mine.oof_by_repeat[0].rows() == inc_first.rows() &&
          metrics::compare(metric, inc_first, mine.oof_by_repeat[0], seed).b_better_significant)
        significant = true;
    }
  };
  // When the pool gets several repeats, the finalists get them all: the two contenders lowest
  // on the first repeat, if below the incumbent there and not significantly worse than the
  // lowest. Their paired test then averages out the noise of one fold assignment, which a
  // single repeat counts against a real difference; the others cost no further fits (a
  // search's dozen trials would otherwise triple the measuring). If a repeat fails or the
  // deadline comes first, the finalists without them are judged on the first repeat. Returns
  // whether a finalist is significantly better than the incumbent over all repeats.
  auto all_repeats = [&]() {
    if (pool_repeats <= 1) return false;
    std::optional<int64_t> lowest;
    for (const auto& [run, v] : first_value)
      if (!lowest || v < first_value.at(*lowest)) lowest = run;
    if (!lowest) return false;
    std::vector<int64_t> finalists;
    for (const auto& [run, v] : first_value)
      if (v < inc_first_value &&
          (run == *lowest || !metrics::compare(metric, cand_cv.at(run).oof_by_repeat.at(0), cand_cv.at(*lowest).oof_by_repeat.at(0), seed)
                                  .b_better_significant))
        finalists.push_back(run);
    std::stable_sort(finalists.begin(), finalists.end(), [&](int64_t a, int64_t b) { return first_value.at(a) < first_value.at(b); });
    if (finalists.size() > 2) finalists.resize(2);
    try {
      std::map<int64_t, CvResult> full;
      std::optional<CvResult> inc_full;
      if (!finalists.empty() && inc_cv.oof_by_repeat.size() == 1) inc_full = cv(incumbent, true);
      for (int64_t run : finalists)
        if (cand_cv.at(run).oof_by_repeat.size() == 1) full.emplace(run, cv(run, true));
      if (inc_full) inc_cv = std::move(*inc_full);
      for (auto& [run, r] : full) cand_cv[run] = std::move(r);
    } catch (const BudgetExhausted&) {
      return true;  // judged on what was measured; no time to measure more
    } catch (const std::runtime_error& e) {
      note(fmt::format("a further cross-validation repeat failed ({}); judging on the first repeat", e.what()));
      return true;
    }
    for (int64_t run : finalists) {
      const CvResult& r = cand_cv.at(run);
      if (same_rows(inc_cv.oof_by_repeat, r.oof_by_repeat) &&
          metrics::compare_repeated(metric, inc_cv.oof_by_repeat, r.oof_by_repeat, seed).b_better_significant)
        return true;
    }
    return false;
  };
  first_repeats(true);
  if (pool_repeats <= 1 || all_repeats() || !skipped) return;
  note(fmt::format("over all {} repeats no finalist is significantly better than the incumbent: its first repeat's significance "
                   "ended the measuring too soon; cross-validating the contenders it skipped",
                   inc_cv.oof_by_repeat.size()));
  first_repeats(false);
  all_repeats();
}

std::optional<std::string> at_optimum_reason(const json& d, const std::string& metric) {
  static const json none;
  const json& errors = d.contains("errors") ? d["errors"] : none;
  auto error = [&](const char* split) -> const json& { return errors.contains(split) ? errors[split] : none; };
  const json& opt = error("optimal");
  const json& de = error("dev");
  if (opt.is_null() || de.is_null()) return std::nullopt;
  const double dev = de["value"].get<double>(), optimal = opt["value"].get<double>();
  auto half = [](const json& e) { return (e["high"].get<double>() - e["low"].get<double>()) / 2; };
  const double dev_half = half(de), opt_half = half(opt);
  const double noise = std::sqrt(dev_half * dev_half + opt_half * opt_half);
  bool train_dev_near = true;
  if (const json& td = error("train_dev"); !td.is_null())
    train_dev_near = td["value"].get<double>() - optimal <= std::sqrt(half(td) * half(td) + opt_half * opt_half);
  // A significant variance or mismatch gap is work left: the bound is a bracket (its lower end
  // a conservative value of the optimum, its upper end the best default model's out-of-fold error), and
  // dev inside a wide bracket says little when the model clearly overfits. Dev within its own
  // noise of the lower end stops regardless.
  const std::string bn = d.value("bottleneck", "");
  const bool at_low_end = dev - opt["low"].get<double>() <= dev_half;
  if (!at_low_end && (bn == "variance" || bn == "data_mismatch")) return std::nullopt;
  if ((dev - optimal <= noise && train_dev_near) || bn == "none") {
    // A bracket from 0 up (the Gamma test failed: noise that grows with the target, as prices'
    // does) has its midpoint as the estimate, and that "optimal" is no measurement: said so.
    const double high = opt["high"].get<double>();
    if (opt["low"].get<double>() <= 0 && dev <= high)
      return fmt::format("dev {} is inside the optimal error's bracket [0, {}], which the data do not narrow (the estimate {} is its "
                         "midpoint): a gap to the optimum cannot be told from noise",
                         fmt_loss(metric, dev), fmt_loss(metric, high), fmt_loss(metric, optimal));
    return fmt::format("dev {} is within noise ({}) of the optimal {}", fmt_loss(metric, dev), fmt_loss(metric, noise),
                       fmt_loss(metric, optimal));
  }
  if (!at_low_end) return std::nullopt;
  // Dev is too small to tell: a gap measured on train or train-dev may still be real (a time
  // split's few dev rows under a cross-validated train), and the message says so rather than
  // calling it the optimum.
  std::string gap;
  if (bn == "avoidable_bias" || bn == "variance" || bn == "data_mismatch") {
    const json& tr = error("train");
    const json& td = error("train_dev");
    std::string what = bn;
    std::replace(what.begin(), what.end(), '_', ' ');
    gap = fmt::format(", though the {} is real (train {}{}, optimal {}): a larger dev split would tell", what,
                      tr.is_null() ? "n/a" : fmt_loss(metric, tr["value"].get<double>()),
                      td.is_null() ? std::string() : fmt::format(", train-dev {}", fmt_loss(metric, td["value"].get<double>())),
                      fmt_loss(metric, optimal));
  }
  return fmt::format("dev {} is within its own noise ({}) of the optimal's lower end {}: on this dev split no remedy's gain "
                     "could be told from noise{}",
                     fmt_loss(metric, dev), fmt_loss(metric, dev_half), fmt_loss(metric, opt["low"].get<double>()), gap);
}

bool loop_running(const std::string& dir) {
  const int fd = ::open(loop_lock_path(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no loop has run here
  // A shared lock, released at once, is refused while a loop holds the exclusive one.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

json run_loop(Project& project, const Registry& registry, const LoopOptions& options, Context& ctx) {
  Loop loop(project, registry, options, ctx);
  return loop.run();
}

json next_steps(Project& project, const Registry& registry, const json& diagnosis, Context& ctx, const ProjectData* data) {
  static const LoopOptions quiet;
  Loop loop(project, registry, quiet, ctx);
  return loop.next_steps(diagnosis, data);
}

}  // namespace mlloop
