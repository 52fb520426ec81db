#include "mlloop/project/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <set>
#include <toml++/toml.h>

#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop {

const std::vector<std::string>& known_metrics() {
  static const std::vector<std::string> m = {"error", "logloss", "auc", "f1", "rmse", "mae"};
  return m;
}

bool metric_fits_task(std::string_view metric, Task task) {
  if (task == Task::regression) return metric == "rmse" || metric == "mae";
  return metric == "error" || metric == "logloss" || metric == "auc" || metric == "f1";
}

std::string default_metric(Task task) { return task == Task::regression ? "rmse" : "error"; }

int32_t positive_index(const ProjectConfig& config, const std::vector<std::string>& classes, int32_t minority) {
  if (classes.size() != 2) return 1;
  if (!config.positive) return minority;
  for (size_t k = 0; k < 2; ++k)
    if (classes[k] == *config.positive) return static_cast<int32_t>(k);
  throw_bad_input(fmt::format("[task] positive = {} in mlloop.toml is not a class of the target '{}'",
                              shorten_for_message(*config.positive), config.target),
                  fmt::format("set positive to {} or {}, or remove the line: the minority class is then positive",
                              shorten_for_message(classes[0]), shorten_for_message(classes[1])));
}

void check_metric_value(std::string_view flag, double value, std::string_view metric) {
  bool bounded = metric == "error" || metric == "auc" || metric == "f1";
  if (!std::isfinite(value) || value < 0 || (bounded && value > 1)) {
    throw_bad_input(fmt::format("{} {} is out of range for metric {}", flag, value, metric),
                    bounded ? fmt::format("give {} as a loss between 0 and 1 (for example 0.05 for 5% error)", flag)
                            : fmt::format("give {} as a non-negative number on the target's scale", flag));
  }
  // For auc the value is a loss, 1 - AUC: 0.9 is an AUC of 0.1, which a model that guesses
  // beats (0.5), and a goal of it was "reached" by the first linear model at chance.
  if (metric == "auc" && value >= 0.5)
    throw_bad_input(fmt::format("{} {} is a loss for metric auc, 1 - AUC: an AUC of {}, which guessing (an AUC of 0.5) already meets", flag, value,
                                fmt::format("{:.4g}", 1 - value)),
                    fmt::format("for an AUC of {} give {} {:.4g}", value, flag, 1 - value));
}

CsvOptions ProjectConfig::csv_options() const {
  CsvOptions o;
  o.missing_markers = missing;
  o.on_bad_rows = on_bad_rows;
  return o;
}

namespace {

struct Reader {
  const std::string& path;
  const toml::table& root;

  Where where(const toml::node& n) const {
    return Where{path, static_cast<int64_t>(n.source().begin.line), 0, {}};
  }

  void check_keys(const toml::table& t, std::string_view section, const std::set<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      std::string key(k.str());
      if (!allowed.count(key)) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        std::string near = closest_match(key, names);
        throw_bad_input(fmt::format("unknown key '{}' in [{}]", key, section),
                        near.empty() ? fmt::format("known keys are: {}", fmt::join(names, ", "))
                                     : fmt::format("did you mean '{}'?", near),
                        where(v));
      }
    }
  }

  const toml::table* section(std::string_view name) const {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) throw_bad_input(fmt::format("'{}' must be a table ([{}])", name, name),
                                        fmt::format("write it as a section: a line [{}], its keys on the lines below", name), where(*n));
    return n->as_table();
  }

  std::optional<std::string> str(const toml::table* t, std::string_view key) const {
    if (!t) return std::nullopt;
    const toml::node* n = t->get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) throw_bad_input(fmt::format("'{}' must be a string", key), "quote the value", where(*n));
    return std::string(n->as_string()->get());
  }

  // A duration: a string with a unit ('90s', '10m'), or a bare number of seconds (20, 1.5).
  std::optional<std::string> duration(const toml::table* t, std::string_view key) const {
    if (!t) return std::nullopt;
    const toml::node* n = t->get(key);
    if (!n) return std::nullopt;
    if (n->is_integer()) return fmt::format("{}", n->as_integer()->get());
    if (n->is_floating_point()) return fmt::format("{}", n->as_floating_point()->get());
    if (!n->is_string())
      throw_bad_input(fmt::format("'{}' must be a duration", key), fmt::format("write {} = '90s' (or '10m', '1.5h', or 90 for seconds)", key),
                      where(*n));
    return std::string(n->as_string()->get());
  }

  std::optional<double> num(const toml::table* t, std::string_view key) const {
    if (!t) return std::nullopt;
    const toml::node* n = t->get(key);
    if (!n) return std::nullopt;
    if (n->is_floating_point()) return n->as_floating_point()->get();
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    throw_bad_input(fmt::format("'{}' must be a number", key), fmt::format("write a number without quotes, for example {} = 0.05", key),
                    where(*n));
  }

  std::optional<int64_t> integer(const toml::table* t, std::string_view key) const {
    if (!t) return std::nullopt;
    const toml::node* n = t->get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer())
      throw_bad_input(fmt::format("'{}' must be an integer", key), fmt::format("write a whole number without quotes, for example {} = 3", key),
                      where(*n));
    return n->as_integer()->get();
  }

  // `lines`, when given, gets each element's line.
  std::optional<std::vector<std::string>> list(const toml::table* t, std::string_view key,
                                               std::vector<int64_t>* lines = nullptr) const {
    if (!t) return std::nullopt;
    const toml::node* n = t->get(key);
    if (!n) return std::nullopt;
    auto as_list = [&] { return fmt::format("write a list of quoted values, for example {} = [\"a\", \"b\"] (or [] for none)", key); };
    if (!n->is_array()) throw_bad_input(fmt::format("'{}' must be a list of strings", key), as_list(), where(*n));
    std::vector<std::string> out;
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) throw_bad_input(fmt::format("'{}' must be a list of strings", key), as_list(), where(e));
      out.emplace_back(e.as_string()->get());
      if (lines) lines->push_back(where(e).line);
    }
    return out;
  }
};

}  // namespace

ProjectConfig load_config(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw_bad_input(fmt::format("cannot parse the project file: {}", e.description()),
                    "fix the TOML syntax, or re-create it with mlloop init --force",
                    Where{path, static_cast<int64_t>(e.source().begin.line), static_cast<int64_t>(e.source().begin.column), {}});
  }
  Reader r{path, root};
  r.check_keys(root, "top level", {"data", "task", "split", "loop", "analyze"});
  ProjectConfig c;
  const toml::table* data = r.section("data");
  const toml::table* task = r.section("task");
  const toml::table* split = r.section("split");
  const toml::table* loop = r.section("loop");
  const toml::table* analyze = r.section("analyze");
  if (data) r.check_keys(*data, "data", {"path", "target", "dev_data", "test_data", "missing", "on_bad_rows", "on_missing_target"});
  if (task) r.check_keys(*task, "task", {"kind", "metric", "reference_error", "goal", "positive"});
  if (split) r.check_keys(*split, "split", {"method", "seed"});
  if (loop) r.check_keys(*loop, "loop", {"iterations", "time_budget", "run_time_cap", "plateau", "tune_trials", "allow", "deny"});
  if (analyze) r.check_keys(*analyze, "analyze", {"cv_below", "cv_folds", "cv_repeats"});
  for (const auto& [name, table] : {std::pair{"data", data}, {"task", task}, {"split", split}, {"loop", loop}, {"analyze", analyze}})
    if (table)
      for (const auto& [k, v] : *table) c.lines[fmt::format("{}.{}", name, k.str())] = r.where(v).line;

  auto need = [&](std::optional<std::string> v, std::string_view key, std::string_view sec) {
    if (!v) throw_bad_input(fmt::format("missing key '{}' in [{}]", key, sec), "re-create the project with mlloop init --force",
                            Where{path, 0, 0, {}});
    return *v;
  };
  c.data = need(r.str(data, "path"), "path", "data");
  c.target = need(r.str(data, "target"), "target", "data");
  c.dev_data = r.str(data, "dev_data").value_or("");
  c.test_data = r.str(data, "test_data").value_or("");
  if (auto m = r.list(data, "missing")) c.missing = *m;
  if (auto v = r.str(data, "on_bad_rows")) {
    if (*v == "error") c.on_bad_rows = BadRows::error;
    else if (*v == "skip") c.on_bad_rows = BadRows::skip;
    else throw_bad_input(fmt::format("on_bad_rows = '{}' is not valid", *v), "use \"error\" or \"skip\"", r.where(*data->get("on_bad_rows")));
  }
  if (auto v = r.str(data, "on_missing_target")) {
    if (*v == "drop") c.on_missing_target = MissingTarget::drop;
    else if (*v == "error") c.on_missing_target = MissingTarget::error;
    else throw_bad_input(fmt::format("on_missing_target = '{}' is not valid", *v), "use \"drop\" or \"error\"",
                         r.where(*data->get("on_missing_target")));
  }
  std::string kind = need(r.str(task, "kind"), "kind", "task");
  auto t = parse_task(kind);
  if (!t) throw_bad_input(fmt::format("task kind '{}' is not valid", kind), "use binary, multiclass or regression",
                          r.where(*task->get("kind")));
  c.task = *t;
  c.metric = r.str(task, "metric").value_or(default_metric(c.task));
  if (!metric_fits_task(c.metric, c.task))
    throw_bad_input(fmt::format("metric '{}' does not fit a {} task", c.metric, to_string(c.task)),
                    c.task == Task::regression ? "use rmse or mae" : "use error, logloss, auc or f1",
                    task && task->get("metric") ? r.where(*task->get("metric")) : Where{path, 0, 0, {}});
  c.reference_error = r.num(task, "reference_error");
  c.goal = r.num(task, "goal");
  if (c.reference_error) check_metric_value("reference_error", *c.reference_error, c.metric);
  if (c.goal) check_metric_value("goal", *c.goal, c.metric);
  c.positive = r.str(task, "positive");
  c.split = SplitSpec::parse(r.str(split, "method").value_or("stratified"));
  if (auto s = r.integer(split, "seed")) {
    if (*s < 0) throw_bad_input("seed must be non-negative", "", r.where(*split->get("seed")));
    c.seed = static_cast<uint64_t>(*s);
  }
  c.iterations = r.integer(loop, "iterations");
  if (c.iterations && *c.iterations < 0)
    throw_bad_input("iterations must be 0 or more", "give the project's total number of iterations, or leave it out",
                    r.where(*loop->get("iterations")));
  c.time_budget = r.duration(loop, "time_budget");
  c.run_time_cap = r.duration(loop, "run_time_cap");
  if (auto p = r.integer(loop, "plateau")) {
    if (*p < 1) throw_bad_input("plateau must be at least 1", "give the number of iterations without progress before stopping", r.where(*loop->get("plateau")));
    c.plateau = *p;
  }
  if (auto t = r.integer(loop, "tune_trials")) {
    if (*t < 1 || *t > 1000) throw_bad_input("tune_trials must be between 1 and 1000", "", r.where(*loop->get("tune_trials")));
    c.tune_trials = static_cast<int>(*t);
  }
  c.allow = r.list(loop, "allow", &c.allow_lines).value_or(std::vector<std::string>{});
  c.deny = r.list(loop, "deny", &c.deny_lines).value_or(std::vector<std::string>{});
  if (auto v = r.integer(analyze, "cv_below")) {
    if (*v < 0) throw_bad_input("cv_below must be 0 or more", "give a dev-set size in rows; 0 turns cross-validation off", r.where(*analyze->get("cv_below")));
    c.cv_below = *v;
  }
  if (auto v = r.integer(analyze, "cv_folds")) {
    if (*v < 2 || *v > 20) throw_bad_input("cv_folds must be between 2 and 20", "5 is the usual choice", r.where(*analyze->get("cv_folds")));
    c.cv_folds = static_cast<int>(*v);
  }
  if (auto v = r.integer(analyze, "cv_repeats")) {
    if (*v < 1 || *v > 20) throw_bad_input("cv_repeats must be between 1 and 20", "3 is the usual choice", r.where(*analyze->get("cv_repeats")));
    c.cv_repeats = static_cast<int>(*v);
  }
  return c;
}

const char* to_string(BadRows b) { return b == BadRows::skip ? "skip" : "error"; }
const char* to_string(MissingTarget m) { return m == MissingTarget::error ? "error" : "drop"; }

void save_config(const std::string& path, const ProjectConfig& c) {
  toml::table data{{"path", c.data}, {"target", c.target}};
  if (!c.dev_data.empty()) data.insert("dev_data", c.dev_data);
  if (!c.test_data.empty()) data.insert("test_data", c.test_data);
  toml::array missing;
  for (const auto& m : c.missing) missing.push_back(m);
  data.insert("missing", missing);
  data.insert("on_bad_rows", to_string(c.on_bad_rows));
  data.insert("on_missing_target", to_string(c.on_missing_target));
  toml::table task{{"kind", to_string(c.task)}, {"metric", c.metric}};
  // goal and reference_error are written below in their shortest form (toml++ writes 0.06 as
  // 0.059999999999999998).
  if (c.positive) task.insert("positive", *c.positive);
  toml::table split{{"method", c.split.str()}, {"seed", static_cast<int64_t>(c.seed)}};
  toml::table loop;
  if (c.iterations) loop.insert("iterations", *c.iterations);
  if (c.time_budget) loop.insert("time_budget", *c.time_budget);
  if (c.run_time_cap) loop.insert("run_time_cap", *c.run_time_cap);
  loop.insert("plateau", c.plateau);
  loop.insert("tune_trials", c.tune_trials);
  toml::array allow, deny;
  for (const auto& a : c.allow) allow.push_back(a);
  for (const auto& d : c.deny) deny.push_back(d);
  loop.insert("allow", allow);
  loop.insert("deny", deny);
  toml::table analyze{{"cv_below", c.cv_below}, {"cv_folds", c.cv_folds}, {"cv_repeats", c.cv_repeats}};

  std::ofstream out(path, std::ios::trunc);
  if (!out) throw_bad_input(fmt::format("cannot write '{}'", path), "check that the project folder is writable");
  out << "# mlloop project file. Edit with care: the data files and splits are frozen in .mlloop/store.db.\n"
         "# [data], [split] and the task's kind stay as init set them (a command refuses an edited one);\n"
         "# to change one, run mlloop init again with the new value as a flag and --force: it re-splits,\n"
         "# starts over (the runs are deleted) and writes this file again from its flags, keeping [loop],\n"
         "# [analyze], and the goal and reference_error while the metric stays.\n\n";
  out << "[data]\n" << data << "\n\n";
  out << "# kind: binary | multiclass | regression. metric: error | logloss | auc | f1 (classification),\n"
         "# rmse | mae (regression). reference_error: human-level or existing-system error, as a loss.\n"
         "[task]\n"
      << task << "\n";
  if (c.goal) out << fmt::format("goal = {}\n", *c.goal);
  if (c.reference_error) out << fmt::format("reference_error = {}\n", *c.reference_error);
  out << "\n";
  out << "# method: random | stratified | group:COLUMN | time:COLUMN\n[split]\n" << split << "\n\n";
  out << "# allow / deny: remedy names (README, \"The loop\"), for example deny = [\"augment\"].\n"
         "# Optional too: iterations = 10 (the project's total), time_budget = '10m', run_time_cap = '2m'\n"
         "# (a number with a unit: ms, s, m, h; a bare number is seconds); mlloop run's flags win over them.\n[loop]\n"
      << loop << "\n\n";
  out << "# cv_below: when dev has fewer rows, the errors the decisions use come from cv_folds-fold\n"
         "# cross-validation over the non-test rows (0: always the frozen splits), repeated up to cv_repeats\n"
         "# times, fewer on a larger pool: until the out-of-fold predictions number cv_repeats x cv_below\n"
         "# (x 1000 when cv_below is larger)\n[analyze]\n"
      << analyze << "\n";
}

}  // namespace mlloop
