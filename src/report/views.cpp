#include "mlloop/report/views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "mlloop/data/task.hpp"
#include "mlloop/analyze/cv.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"

namespace mlloop::views {

json status(const std::string& project_name, const ProjectConfig& c, Store& store) {
  auto counts = store.split_counts();
  json j;
  j["project"] = project_name;
  j["task"] = to_string(c.task);
  j["metric"] = c.metric;
  j["target"] = c.target;
  j["rows"] = json::object();
  for (SplitName s : kAllSplits) j["rows"][to_string(s)] = counts[s];
  j["best"] = nullptr;
  if (auto best = store.incumbent(c.metric, !metrics::higher_is_better(c.metric))) {
    auto r = store.run(*best);
    j["best"] = {{"run", *best}, {"model", r->model}};
    j["best"].update(judged_dev(c, store, *best).to_json());
  }
  j["goal"] = c.goal ? json(*c.goal) : json(nullptr);
  j["bottleneck"] = nullptr;
  if (auto b = store.meta("last_bottleneck")) j["bottleneck"] = *b;  // from the last analysis
  j["iterations"] = store.count_iterations();
  j["test_looks"] = store.count_test_looks();
  return j;
}

namespace {
// A run object from its record and its final metrics.
json run_from(const RunRecord& r, const std::map<std::string, std::map<std::string, MetricRecord>>& m,
              const std::string& metric) {
  json errors = json::object();
  for (const char* split : {"train", "train_dev", "dev"}) {
    auto loss = run_loss(m, split, metric);
    errors[split] = loss ? json(*loss) : json(nullptr);
  }
  json j{{"run", r.id},      {"model", r.model},     {"params", r.params},  {"status", r.status},
         {"errors", errors}, {"seconds", r.seconds}, {"iteration", nullptr}};
  if (r.iteration) j["iteration"] = *r.iteration;
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

// Run objects for a list of ids, in that order, in two queries.
json runs_of(Store& store, const std::vector<int64_t>& ids, const std::string& metric) {
  json out = json::array();
  auto metrics = store.runs_metrics(ids);
  for (const auto& r : store.runs(ids)) out.push_back(run_from(r, metrics[r.id], metric));
  return out;
}
}  // namespace

json run(Store& store, const RunRecord& r, const std::string& metric) {
  return run_from(r, store.run_metrics(r.id), metric);
}

const std::vector<std::string>& run_sort_keys() {
  static const std::vector<std::string> keys = {"run",       "model", "status",    "seconds",
                                                "iteration", "train", "train_dev", "dev"};
  return keys;
}

json runs_page(Store& store, const std::string& metric, const RunsQuery& q) {
  const bool by_error = q.sort == "train" || q.sort == "train_dev" || q.sort == "dev";
  // Errors are shown as losses: for a metric where higher is better, ascending loss is
  // descending value. Runs without the value come last either way; ties go by run id, in the
  // same direction.
  bool desc = q.descending;
  if (by_error && metrics::higher_is_better(metric)) desc = !desc;
  const char* dir = desc ? "DESC" : "ASC";             // the sorted value's
  const char* id_dir = q.descending ? "DESC" : "ASC";  // the ties
  std::string filters;
  if (q.iteration) filters += " AND r.iteration = ?3";
  if (q.status) filters += " AND r.status = ?4";
  auto bind = [&](sql::Stmt& st) {
    if (by_error) st.bind(1, q.sort).bind(2, metric);
    if (q.iteration) st.bind(3, *q.iteration);
    if (q.status) st.bind(4, *q.status);
  };
  auto ids_of = [&](const std::string& sql_text, int64_t limit, int64_t offset) {
    std::vector<int64_t> ids;
    sql::Stmt st(store.db(), sql_text + " LIMIT ?5 OFFSET ?6");
    bind(st);
    st.bind(5, limit).bind(6, offset);
    while (st.step()) ids.push_back(st.int64(0));
    return ids;
  };
  auto count_of = [&](const std::string& sql_text) {
    sql::Stmt st(store.db(), sql_text);
    bind(st);
    st.step();
    return st.int64(0);
  };
  json out{{"offset", q.offset}, {"limit", q.limit}, {"sort", q.sort}, {"order", q.descending ? "desc" : "asc"}};
  out["total"] = count_of("SELECT count(*) FROM runs r WHERE 1" + filters);
  std::vector<int64_t> ids;
  if (by_error) {
    // Two parts, each read in the order of an index: the runs with the value (metrics_final:
    // split, name, value, run id), then the runs without it.
    std::string has = "FROM metrics m WHERE m.split = ?1 AND m.name = ?2 AND m.step IS NULL";
    if (!filters.empty()) has += " AND m.run_id IN (SELECT r.id FROM runs r WHERE 1" + filters + ")";
    const int64_t with_value = count_of("SELECT count(*) " + has);
    if (q.offset < with_value)
      ids = ids_of(fmt::format("SELECT m.run_id {0} ORDER BY m.value {1}, m.run_id {2}", has, dir, id_dir), q.limit,
                   q.offset);
    const auto rest = q.limit - static_cast<int64_t>(ids.size());
    if (rest > 0) {
      auto more = ids_of(
          "SELECT r.id FROM runs r WHERE NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id AND m.split = ?1 "
          "AND m.name = ?2 AND m.step IS NULL)" +
              filters + fmt::format(" ORDER BY r.id {}", id_dir),
          rest, std::max<int64_t>(0, q.offset - with_value));
      ids.insert(ids.end(), more.begin(), more.end());
    }
  } else {
    std::string order;
    if (q.sort == "run")
      order = fmt::format("r.id {}", dir);
    else if (q.sort == "model")
      order = fmt::format("r.model {0}, r.id {0}", dir);
    else if (q.sort == "status")
      order = fmt::format("r.status {0}, r.id {0}", dir);
    else if (q.sort == "seconds")
      order = fmt::format("r.seconds IS NULL, r.seconds {0}, r.id {0}", dir);
    else
      order = fmt::format("r.iteration IS NULL, r.iteration {0}, r.id {0}", dir);
    ids = ids_of("SELECT r.id FROM runs r WHERE 1" + filters + " ORDER BY " + order, q.limit, q.offset);
  }
  out["runs"] = runs_of(store, ids, metric);
  return out;
}

namespace {

// `cv`: the project uses cross-validation (uses_cv), so a diagnosed incumbent's errors are
// the cross-validated ones.
json entry_for(Store& store, const ProjectConfig& config, bool cv, const json& optimal, std::optional<int64_t> inc) {
  const std::string& metric = config.metric;
  json e{{"incumbent", inc ? json(*inc) : json(nullptr)}, {"estimated_by", "split"}};
  std::optional<double> tr, td, dv;
  bool mismatch = true;
  if (inc) {
    auto m = store.run_metrics(*inc);
    tr = run_loss(m, "train", metric);
    td = run_loss(m, "train_dev", metric);
    dv = run_loss(m, "dev", metric);
    if (auto c = cv ? cached_cv_errors(config, store, *inc) : std::nullopt) {
      e["estimated_by"] = "cv";
      tr = (*c)["train"].get<double>();
      td = (*c)["train_dev"].get<double>();
      mismatch = !(*c)["dev_in_pool"].get<bool>();
      if (!mismatch) dv = td;
    }
  }
  auto val = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  e["errors"] = {{"train", val(tr)}, {"train_dev", val(td)}, {"dev", val(dv)}};
  std::optional<double> opt;
  if (optimal.is_object()) opt = optimal["value"].get<double>();
  auto gap = [](const std::optional<double>& hi, const std::optional<double>& lo) -> std::optional<double> {
    if (!hi || !lo) return std::nullopt;
    return *hi - *lo;
  };
  auto ab = gap(tr, opt), va = gap(td, tr), mm = mismatch ? gap(dv, td) : std::nullopt;
  e["gaps"] = {{"avoidable_bias", val(ab)}, {"variance", val(va)}, {"data_mismatch", val(mm)}};
  // Stacked bars: the bound, then each gap clipped at zero, so every gap that is there shows
  // at its true size. A gap below zero (within noise, or a model that does better on
  // train-dev than on train) draws as nothing, and the stack may then end above the dev
  // error: the signed gaps stay in "gaps", the dev error in "errors".
  auto part = [](const std::optional<double>& g) { return g ? json(std::max(0.0, *g)) : json(nullptr); };
  e["bars"] = {
      {"optimal", val(opt)}, {"avoidable_bias", part(ab)}, {"variance", part(va)}, {"data_mismatch", part(mm)}};
  return e;
}

json iteration_json(const IterationRecord& it) {
  auto val = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {
      {"index", it.index},
      {"label", fmt::format("{} {}", it.index, it.remedy)},
      {"bottleneck", it.bottleneck},
      {"remedy", it.remedy},
      {"reason", it.reason},
      {"accepted", it.accepted},
      {"dev_before", val(it.dev_before)},
      {"dev_after", val(it.dev_after)},
      {"runs", it.runs},
      {"seconds", it.seconds},
      {"state", it.state},
  };
}

}  // namespace

// What the setup entry stands for: the loop's baseline and linear runs, else the runs of
// mlloop train (no loop yet), else nothing (a project with no run: it was "baseline, then
// linear", accepted, though nothing had run).
static std::string setup_reason(bool setup_runs, bool any_incumbent) {
  if (setup_runs) return "baseline, then linear";
  return any_incumbent ? "runs of mlloop train (no loop yet)" : "nothing trained yet";
}

json iterations(Store& store, const ProjectConfig& config, const json& optimal) {
  const std::string& metric = config.metric;
  const bool cv = uses_cv(config, store);
  auto its = store.iterations();
  json list = json::array();
  // Most iterations leave the incumbent as it was: one decomposition per incumbent.
  std::map<int64_t, json> by_incumbent;
  auto entry = [&](std::optional<int64_t> inc) {
    if (!inc) return entry_for(store, config, cv, optimal, inc);
    auto it = by_incumbent.find(*inc);
    if (it == by_incumbent.end()) it = by_incumbent.emplace(*inc, entry_for(store, config, cv, optimal, inc)).first;
    return it->second;
  };
  const bool lower = !metrics::higher_is_better(metric);
  // The setup: the incumbent the first iteration started from (or the current one).
  std::optional<int64_t> start;
  if (!its.empty() && its.front().detail.contains("incumbent_before"))
    start = its.front().detail["incumbent_before"].get<int64_t>();
  else if (its.empty())
    start = store.incumbent(metric, lower);
  if (start || its.empty()) {
    json e = entry(start);
    sql::Stmt st(store.db(), "SELECT id FROM runs WHERE iteration = 0 ORDER BY id");
    json runs = json::array();
    while (st.step()) runs.push_back(st.int64(0));
    e.update({{"index", 0},
              {"label", "0 setup"},
              {"remedy", "setup"},
              {"reason", setup_reason(!runs.empty(), start.has_value())},
              {"bottleneck", nullptr},
              {"accepted", start.has_value()},
              {"state", "finished"},
              {"runs", runs},
              {"seconds", nullptr}});
    list.push_back(std::move(e));
  }
  for (const auto& it : its) {
    json e = iteration_json(it);
    // A started iteration has not changed the incumbent yet.
    std::optional<int64_t> inc;
    if (it.state == "finished") inc = it.incumbent;
    if (!inc && it.detail.contains("incumbent_before")) inc = it.detail["incumbent_before"].get<int64_t>();
    json d = entry(inc);
    e.update(d);
    list.push_back(std::move(e));
  }
  return {{"metric", metric}, {"optimal", optimal}, {"iterations", list}};
}

std::string iterations_state(Store& store) {
  // What iterations() reads: the iteration rows, the cached bound, and the setup's runs (and,
  // before the first iteration, the incumbent). The metrics of a finished run never change.
  sql::Stmt st(
      store.db(),
      "SELECT (SELECT count(*) FROM iterations), (SELECT coalesce(sum(state = 'finished'), 0) FROM iterations), "
      "(SELECT count(*) FROM project), (SELECT count(*) FROM runs WHERE iteration = 0), "
      "(SELECT coalesce(max(id), 0) FROM runs), (SELECT count(*) FROM runs WHERE status = 'running')");
  st.step();
  if (st.int64(0) > 0) return fmt::format("{}.{}.{}.{}", st.int64(0), st.int64(1), st.int64(2), st.int64(3));
  return fmt::format("0.{}.{}.{}.{}", st.int64(2), st.int64(3), st.int64(4), st.int64(5));
}

std::optional<json> iteration(Store& store, const std::string& metric, int64_t index) {
  json e;
  std::vector<int64_t> ids;
  if (index == 0) {
    sql::Stmt st(store.db(), "SELECT id FROM runs WHERE iteration = 0 ORDER BY id");
    while (st.step()) ids.push_back(st.int64(0));  // none when the runs came from mlloop train
    e = {{"index", 0},
         {"label", "0 setup"},
         {"remedy", "setup"},
         {"reason", setup_reason(!ids.empty(), store.incumbent(metric, !metrics::higher_is_better(metric)).has_value())},
         {"state", "finished"}};
  } else {
    auto it = store.iteration(index);
    if (!it) return std::nullopt;
    e = iteration_json(*it);
    e["candidates"] = it->detail.value("candidates", json::array());
    e["test"] = it->detail.value("test", json(nullptr));
    // The runs trained for it (a started iteration has no list yet: take them by tag).
    sql::Stmt st(store.db(), "SELECT id FROM runs WHERE iteration = ? ORDER BY id");
    st.bind(1, index);
    while (st.step()) ids.push_back(st.int64(0));
    for (int64_t id : it->runs)
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  e["run_objects"] = runs_of(store, ids, metric);
  return e;
}

json summary(Store& store, const std::string& metric) {
  json j;
  auto inc = store.incumbent(metric, !metrics::higher_is_better(metric));
  j["incumbent"] = inc ? json(*inc) : json(nullptr);
  {
    // The analyses cached in the store (diagnoses, learning curves): a new one changes the views.
    sql::Stmt st(store.db(), "SELECT count(*) FROM project");
    st.step();
    j["analyses"] = st.int64(0);
  }
  {
    sql::Stmt st(
        store.db(),
        "SELECT count(*), coalesce(sum(status = 'running'), 0), (SELECT coalesce(max(id), 0) FROM runs) FROM runs");
    st.step();
    j["runs"] = st.int64(0);
    j["running"] = st.int64(1);
    j["finished"] = st.int64(0) - st.int64(1);
    j["last_run"] = st.int64(2);
  }
  {
    sql::Stmt st(store.db(),
                 "SELECT count(*), coalesce(sum(state = 'finished'), 0), coalesce(max(idx), 0) FROM iterations");
    st.step();
    j["iterations"] = st.int64(0);
    j["iterations_finished"] = st.int64(1);
    j["last_iteration"] = st.int64(2);
  }
  j["test_looks"] = store.count_test_looks();
  j["version"] = fmt::format("{}.{}.{}.{}.{}.{}", j["runs"].get<int64_t>(), j["last_run"].get<int64_t>(),
                             j["finished"].get<int64_t>(), j["iterations"].get<int64_t>(),
                             j["iterations_finished"].get<int64_t>(), j["test_looks"].get<int64_t>());
  return j;
}

}  // namespace mlloop::views
