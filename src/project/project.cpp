#include "mlloop/project/project.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>
#include <tuple>
#include <unordered_set>

#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/hash.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/model/pipeline.hpp"

namespace mlloop {
namespace fs = std::filesystem;

std::string project_toml(const std::string& dir) { return (fs::path(dir) / "mlloop.toml").string(); }
std::string project_store(const std::string& dir) { return (fs::path(dir) / ".mlloop" / "store.db").string(); }

namespace {

// The settings init froze with the splits, each as "section.key": the target and how the rows
// were read ([data]), the task's kind, and [split]. Edited in mlloop.toml, they would describe
// another project than the store's (a target edited to a numeric column read 3,500 values as
// classes, and the loop ran out of memory).
struct FrozenSetting {
  const char* key;
  std::string value;       // as recorded in the store
  const char* flag;        // init's flag for it
  std::string flag_value;  // the value as that flag takes it
  bool text = true;        // shown quoted
};

std::vector<FrozenSetting> frozen_settings(const ProjectConfig& c) {
  const std::string bad_rows = to_string(c.on_bad_rows), missing_target = to_string(c.on_missing_target);
  return {{"data.target", c.target, "--target", c.target},
          {"data.missing", nlohmann::json(c.missing).dump(), "--missing", fmt::format("'{}'", fmt::join(c.missing, ",")), false},
          {"data.on_bad_rows", bad_rows, "--on-bad-rows", bad_rows},
          {"data.on_missing_target", missing_target, "--on-missing-target", missing_target},
          {"task.kind", to_string(c.task), "--task", to_string(c.task)},
          {"split.method", c.split.str(), "--split", c.split.str()},
          {"split.seed", std::to_string(c.seed), "--seed", std::to_string(c.seed), false}};
}

// A command refuses a project whose mlloop.toml changed a frozen setting since init (exit 2).
void verify_frozen_settings(Store& store, const std::string& toml_path, const ProjectConfig& config) {
  nlohmann::json frozen = nlohmann::json::object();
  if (auto m = store.meta("frozen_settings")) {
    frozen = nlohmann::json::parse(*m);
  } else {  // a store written before the record: the settings it kept apart
    for (const auto& [key, meta] : {std::pair{"data.target", "target"}, {"task.kind", "task"}, {"split.method", "split_method"}, {"split.seed", "seed"}})
      if (auto v = store.meta(meta)) frozen[key] = *v;
  }
  for (const auto& s : frozen_settings(config)) {
    if (!frozen.contains(s.key) || frozen[s.key].get<std::string>() == s.value) continue;
    const std::string key(s.key), was = frozen[s.key].get<std::string>();
    const std::string section = key.substr(0, key.find('.')), name = key.substr(key.find('.') + 1);
    auto shown = [&](const std::string& v) { return s.text ? fmt::format("'{}'", v) : v; };
    const auto line = config.lines.find(key);
    throw_bad_input(fmt::format("[{}] {} = {} in mlloop.toml, but the project was initialized with {}: its splits and runs belong "
                                "to that",
                                section, name, shown(s.value), shown(was)),
                    fmt::format("restore {} = {} (init froze it with the splits), or start over with the new value: mlloop init {} "
                                "--target {}{} --force (and the project's other init flags), which deletes the runs and writes "
                                "mlloop.toml again from its flags",
                                name, shown(was), config.data, key == "data.target" ? config.target : frozen.value("data.target", config.target),
                                key == "data.target" ? "" : fmt::format(" {} {}", s.flag, s.flag_value)),
                    Where{toml_path, line == config.lines.end() ? 0 : line->second, 0, {}});
  }
}

// The project's name: its folder's name, also for "." or a path with a trailing slash (whose
// filename() is empty: status --json said "project": "").
std::string folder_name(const fs::path& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  return name.empty() ? p.string() : name;
}

size_t target_index(const Dataset& ds, const std::string& target, const std::string& path) {
  auto t = ds.find(target);
  if (t) return *t;
  auto names = ds.names();
  std::string near = closest_match(target, names);
  throw_bad_input(fmt::format("target column '{}' is not in the header", target),
                  near.empty() ? fmt::format("columns are: {}", fmt::join(names, ", "))
                               : fmt::format("did you mean --target {}? columns are: {}", near, fmt::join(names, ", ")),
                  Where{path, 1, 0, target});
}

// Drops rows whose target is missing (or stops on the first, with on_missing_target = error).
void handle_missing_target(Dataset& ds, size_t t, MissingTarget policy, SourceSummary& s,
                           std::vector<RejectedRecord>& rejected) {
  const Column& col = ds.columns[t];
  std::vector<size_t> keep;
  keep.reserve(ds.rows());
  for (size_t i = 0; i < ds.rows(); ++i) {
    if (!col.is_missing(i)) {
      keep.push_back(i);
      continue;
    }
    if (policy == MissingTarget::error) {
      std::string row;
      for (size_t c = 0; c < ds.cols() && row.size() < 80; ++c) {
        if (c) row += ',';
        row += ds.columns[c].text(i);
      }
      throw_bad_input(fmt::format("the target '{}' is missing on this row", col.name),
                      "fill in the target, or rerun with --on-missing-target drop to drop such rows",
                      Where{ds.source, ds.line(i), static_cast<int64_t>(t + 1), row});
    }
    ++s.dropped_missing_target;
    if (s.dropped_lines.size() < 10) s.dropped_lines.push_back(ds.line(i));
    rejected.push_back(RejectedRecord{s.role, "missing_target", ds.line(i), ds.row_id(i), "target is missing"});
  }
  if (keep.size() != ds.rows()) ds.keep_rows(keep);
}

Dataset read_source(const std::string& role, const std::string& path, const ProjectConfig& cfg, SourceSummary& s,
                    std::vector<RejectedRecord>& rejected, Context& ctx,
                    const CsvReport* read_like = nullptr) {
  s.role = role;
  s.path = path;
  CsvOptions opt = cfg.csv_options();
  if (read_like) {  // dates and numbers that read both ways, read as that file's were
    opt.date_orders = read_like->date_orders;
    opt.number_formats = read_like->number_formats;
  }
  opt.threads = ctx.threads;
  Dataset ds = read_csv(path, opt, &s.report);
  for (const auto& r : s.report.rejected) rejected.push_back(RejectedRecord{role, "bad_row", r.line, r.row_id, r.reason});
  return ds;
}

// The category columns of a dev or test file whose values the training rows never hold: the
// models read such a value as a missing one, which a mismatch can hide behind (a new city, a
// recoded product). Columns nearly unique per training row (identifiers, free text) are left
// out: every new value is unseen there, and the models drop them.
std::vector<std::string> unseen_category_notes(const Dataset& ds, const std::vector<size_t>& train, const Dataset& e,
                                               const std::string& target) {
  std::vector<std::string> notes;
  for (const Column& col : ds.columns) {
    if (col.name == target || col.is_numeric() || col.type == ColumnType::datetime) continue;
    std::unordered_set<std::string> seen;
    for (size_t r : train)
      if (!col.is_missing(r)) seen.insert(col.text(r));
    if (seen.size() * 2 > train.size()) continue;
    std::vector<size_t> all(e.rows());
    std::iota(all.begin(), all.end(), size_t{0});
    const Column::Unknown u = e.columns[*e.find(col.name)].unknown_values(all, seen);
    if (u.rows > 0)
      notes.push_back(fmt::format("column '{}': {} of {} rows hold a value the training rows never hold (first: '{}'); the "
                                  "models read it as missing",
                                  col.name, u.rows, e.rows(), u.first));
  }
  return notes;
}
}  // namespace

InitResult init_project(const InitOptions& o, Context& ctx) {
  InitResult res;
  fs::path dir = fs::absolute(o.dir).lexically_normal();
  res.dir = dir.string();
  const std::string toml_path = project_toml(res.dir);
  const fs::path state = dir / ".mlloop";
  if ((fs::exists(toml_path) || fs::exists(state)) && !o.force) {
    throw_bad_input(fmt::format("'{}' is already an mlloop project", res.dir),
                    "pass --force to re-split and start over (this deletes the project's runs), or use another --dir");
  }

  // The folder is made only once the data has been read; a --dir that can never be one (under a
  // file, or where no folder may be written) is said now, not as an internal error at the end.
  {
    std::error_code ec;
    fs::path up = dir;
    while (!up.empty() && !fs::exists(up, ec) && up != up.parent_path()) up = up.parent_path();
    if (!fs::is_directory(up, ec))
      throw_bad_input(fmt::format("--dir '{}' cannot be a project folder: '{}' is a file", res.dir, up.string()),
                      "pass a folder (it is made if missing), for example --dir my_project");
    if (::access(up.c_str(), W_OK) != 0)
      throw_bad_input(fmt::format("--dir '{}' cannot be a project folder: '{}' is not writable ({})", res.dir, up.string(),
                                  std::strerror(errno)),
                      "pass a folder you can write to");
  }

  ProjectConfig cfg;
  if (o.data.empty()) throw_bad_input("no data file given", "usage: mlloop init DATA --target COLUMN");
  if (o.target.empty()) throw_bad_input("no target column given", "pass --target COLUMN");
  cfg.data = fs::absolute(o.data).lexically_normal().string();
  cfg.target = o.target;
  if (!o.dev_data.empty()) cfg.dev_data = fs::absolute(o.dev_data).lexically_normal().string();
  if (!o.test_data.empty()) cfg.test_data = fs::absolute(o.test_data).lexically_normal().string();
  if (o.missing) cfg.missing = *o.missing;
  if (o.on_bad_rows == "skip") cfg.on_bad_rows = BadRows::skip;
  else if (o.on_bad_rows != "error")
    throw_bad_input(fmt::format("--on-bad-rows {} is not valid", o.on_bad_rows), "use --on-bad-rows error or skip");
  if (o.on_missing_target == "error") cfg.on_missing_target = MissingTarget::error;
  else if (o.on_missing_target != "drop")
    throw_bad_input(fmt::format("--on-missing-target {} is not valid", o.on_missing_target),
                    "use --on-missing-target drop or error");
  if (o.seed) cfg.seed = *o.seed;
  std::optional<Task> forced;
  if (o.task != "auto") {
    forced = parse_task(o.task);
    if (!forced) throw_bad_input(fmt::format("--task {} is not valid", o.task), "use auto, binary, multiclass or regression");
  }
  if (!o.metric.empty() && std::find(known_metrics().begin(), known_metrics().end(), o.metric) == known_metrics().end())
    throw_bad_input(fmt::format("--metric {} is not valid", o.metric), "use error, logloss, auc, f1, rmse or mae");
  std::optional<SplitSpec> split;
  if (!o.split.empty()) split = SplitSpec::parse(o.split);

  // Read the data, drop rows without a target, decide the task.
  std::vector<RejectedRecord> rejected;
  SourceSummary main;
  Dataset ds = read_source("data", o.data, cfg, main, rejected, ctx);
  size_t t = target_index(ds, cfg.target, o.data);
  handle_missing_target(ds, t, cfg.on_missing_target, main, rejected);
  if (ds.rows() == 0) {
    throw_bad_input(fmt::format("every row has a missing target '{}'", cfg.target), "choose another --target column",
                    Where{o.data, 0, 0, {}});
  }
  res.decision = detect_task(ds.columns[t]);
  if (forced) {
    res.task_overridden = *forced != res.decision.task;
    res.decision.reason = fmt::format("--task {} given ({} detected: {})", to_string(*forced),
                                      to_string(res.decision.task), res.decision.reason);
    res.decision.task = *forced;
    res.decision.hint.clear();
  }
  cfg.task = res.decision.task;
  validate_target(ds, t, cfg.task);
  std::set<std::string> data_classes;  // for the dev and test files' classes, below
  if (is_classification(cfg.task) && ds.rows() > 0) {
    const auto classes = class_counts(ds.columns[t]);
    res.classes = classes.size();
    for (const auto& c : classes) {
      data_classes.insert(c.label);
      const double share = static_cast<double>(c.count) / static_cast<double>(ds.rows());
      if (share < res.rarest_share) {
        res.rarest_share = share;
        res.rarest_class = c.label;
      }
    }
  }
  cfg.metric = o.metric.empty() ? default_metric(cfg.task) : o.metric;
  if (!metric_fits_task(cfg.metric, cfg.task))
    throw_bad_input(fmt::format("--metric {} does not fit a {} task", cfg.metric, to_string(cfg.task)),
                    cfg.task == Task::regression ? "use --metric rmse or mae" : "use --metric error, logloss, auc or f1");
  if (o.reference_error) check_metric_value("--reference-error", *o.reference_error, cfg.metric);
  if (o.goal) check_metric_value("--goal", *o.goal, cfg.metric);
  cfg.reference_error = o.reference_error;
  cfg.goal = o.goal;
  cfg.split = split ? *split : SplitSpec{is_classification(cfg.task) ? SplitMethod::stratified : SplitMethod::random, {}};

  // Separate dev / test files: same columns, rows with a target.
  std::vector<std::pair<std::string, Dataset>> extra;
  for (auto [role, path] : {std::pair<std::string, std::string>{"dev", o.dev_data}, {"test", o.test_data}}) {
    if (path.empty()) continue;
    SourceSummary s;
    Dataset e = read_source(role, path, cfg, s, rejected, ctx, &main.report);
    for (const auto& name : ds.names())
      if (!e.find(name))
        throw_bad_input(fmt::format("the {} file lacks column '{}' that {} has", role, name, o.data),
                        "give dev and test files the same columns as the training data", Where{path, 1, 0, {}});
    for (const auto& name : e.names())
      if (!ds.find(name))
        throw_bad_input(fmt::format("the {} file has column '{}' that {} lacks", role, name, o.data),
                        "give dev and test files the same columns as the training data", Where{path, 1, 0, {}});
    handle_missing_target(e, *e.find(cfg.target), cfg.on_missing_target, s, rejected);
    if (e.rows() == 0) throw_bad_input(fmt::format("the {} file has no rows with a target", role), "", Where{path, 0, 0, {}});
    // A class the data file never holds: no model trained on it can predict that class, so
    // each such row is an error whatever the model (a typo, or a class new since the training
    // rows were gathered).
    if (is_classification(cfg.task)) {
      for (const auto& c : class_counts(e.columns[*e.find(cfg.target)]))
        if (!data_classes.count(c.label))
          s.report.notes.push_back(fmt::format(
              "class {} of target '{}' ({} row{}, first at line {}) never occurs in {}: no model trained there can predict "
              "it, so every such row counts as an error; fix it if it is a typo, or add training rows of that class",
              shorten_for_message(c.label), cfg.target, c.count, c.count == 1 ? "" : "s", e.line(c.first_row), o.data));
    }
    s.rows = e.rows();
    s.cols = e.cols();
    s.path = role == "dev" ? cfg.dev_data : cfg.test_data;
    res.sources.push_back(std::move(s));
    extra.emplace_back(role, std::move(e));
  }

  // Splits.
  const bool dev_file = !cfg.dev_data.empty(), test_file = !cfg.test_data.empty();
  if (ds.rows() < minimum_rows(dev_file, test_file)) {
    throw_bad_input(fmt::format("only {} usable row{}; mlloop needs at least {} to make the train / train-dev{} "
                                "splits (70/10/10/10)",
                                ds.rows(), ds.rows() == 1 ? "" : "s", minimum_rows(dev_file, test_file),
                                dev_file && test_file ? "" : dev_file ? " / test" : test_file ? " / dev" : " / dev / test"),
                    "add rows, or give separate --dev-data and --test-data files", Where{o.data, 0, 0, {}});
  }
  SplitSizes sizes = default_sizes(ds.rows(), dev_file, test_file);
  SplitAssignment assign = make_splits(ds, t, cfg.task, cfg.split, sizes, cfg.seed);
  // A group split places the rows without a group as one group, whole in one split: said, since
  // a missing time is refused and those rows may be of many groups.
  if (cfg.split.method == SplitMethod::group)
    if (auto g = ds.find(cfg.split.column)) {
      const Column& col = ds.columns[*g];
      size_t missing = 0;
      std::optional<size_t> first;
      for (size_t i = 0; i < ds.rows(); ++i)
        if (col.is_missing(i)) ++missing, first = first.value_or(i);
      if (missing > 0)
        for (SplitName name : kAllSplits)
          if (std::find(assign[name].begin(), assign[name].end(), *first) != assign[name].end())
            main.report.notes.push_back(fmt::format(
                "group column '{}': {} row{} without a group (first at line {}) count as one group, all in {}; fill in "
                "their groups if they belong to several",
                col.name, with_commas(static_cast<int64_t>(missing)), missing == 1 ? "" : "s", ds.line(*first), to_string(name)));
    }
  if (ds.columns.size() < 2)
    throw_bad_input(fmt::format("the file has one column, the target '{}': there is nothing to predict it from", cfg.target),
                    "give a CSV with the feature columns beside the target", Where{o.data, 0, 0, {}});
  // A table whose other columns are all constant, always missing, identifiers or free text in
  // the training rows gives the models nothing to learn from, and every train and run stops on
  // it (exit 2). Said here too, as a note: the project is still made (identifiers are told by a
  // rule, integers unique per row and named or laid out like a numbering, that a real feature
  // can meet: the user may want to see).
  try {
    Pipeline{}.fit(ds, assign[SplitName::train], cfg.target, is_classification(cfg.task), {});
  } catch (const Error& e) {
    if (e.code() != ExitCode::bad_input) throw;
    main.report.notes.push_back(fmt::format("{}: every train and run will stop with exit 2; add a column that varies and repeats, then "
                                            "mlloop init --force",
                                            e.message()));
  }
  // A column of dates beside a split that ignores them: when the rows are events in time and the
  // model is meant for later ones, train holds rows later than dev's and test's, and every error
  // the loop measures is optimistic. Only the user knows which it is; said once, at init.
  if (!split && !dev_file && !test_file) {
    for (const auto& col : ds.columns) {
      if (col.name == cfg.target || col.type != ColumnType::datetime) continue;
      main.report.notes.push_back(fmt::format(
          "column '{}' holds dates: if each row is an event in time and the model will predict later ones, a {} split "
          "trains on rows later than those of dev and test, and their errors are optimistic; init again with --force "
          "--split time:{}",
          col.name, cfg.split.str(), col.name));
      break;
    }
  }
  // A dev file without a test file: test is carved from the data file, so it holds the training
  // rows' distribution, not dev's, and dev overfitting (test - dev) compares the two.
  if (dev_file && !test_file)
    main.report.notes.push_back(fmt::format(
        "test is drawn from {} (the training rows' distribution), not from the --dev-data file's: its error says how "
        "the model does on data like the training data, and dev overfitting (test - dev) then compares the two; give "
        "--test-data from dev's source to test on data like dev",
        o.data));
  for (auto& [role, e] : extra) {
    auto source = std::find_if(res.sources.begin(), res.sources.end(), [&](const SourceSummary& s) { return s.role == role; });
    for (auto& n : unseen_category_notes(ds, assign[SplitName::train], e, cfg.target)) source->report.notes.push_back(std::move(n));
  }

  // Over a project (--force), what its mlloop.toml set by hand that no init flag sets is kept:
  // [loop] and [analyze], and the goal and reference error while the task and metric stay (they
  // are values of that metric). Without this an init --force to change the split lost a user's
  // deny list, plateau and goal in silence. The positive class is not kept (the target may have
  // other classes now); a file that does not parse keeps nothing, and says so.
  std::vector<std::string> kept, dropped;
  if (o.force && fs::exists(toml_path)) {
    std::optional<ProjectConfig> old;
    try {
      old = load_config(toml_path);
    } catch (const std::exception& e) {
      ctx.note(fmt::format("--force: the old mlloop.toml does not load ({}); none of its settings are kept", e.what()));
    }
    if (old) {
      const ProjectConfig def;
      auto keep = [&](auto& to, const auto& from, bool set, const char* name) {
        if (!set) return;
        to = from;
        kept.emplace_back(name);
      };
      keep(cfg.iterations, old->iterations, old->iterations.has_value(), "[loop] iterations");
      keep(cfg.time_budget, old->time_budget, old->time_budget.has_value(), "[loop] time_budget");
      keep(cfg.run_time_cap, old->run_time_cap, old->run_time_cap.has_value(), "[loop] run_time_cap");
      keep(cfg.plateau, old->plateau, old->plateau != def.plateau, "[loop] plateau");
      keep(cfg.tune_trials, old->tune_trials, old->tune_trials != def.tune_trials, "[loop] tune_trials");
      keep(cfg.allow, old->allow, !old->allow.empty(), "[loop] allow");
      keep(cfg.deny, old->deny, !old->deny.empty(), "[loop] deny");
      keep(cfg.cv_below, old->cv_below, old->cv_below != def.cv_below, "[analyze] cv_below");
      keep(cfg.cv_folds, old->cv_folds, old->cv_folds != def.cv_folds, "[analyze] cv_folds");
      keep(cfg.cv_repeats, old->cv_repeats, old->cv_repeats != def.cv_repeats, "[analyze] cv_repeats");
      const bool same_metric = old->task == cfg.task && old->metric == cfg.metric;
      for (auto [to, from, given, name] : {std::tuple{&cfg.goal, &old->goal, o.goal.has_value(), "[task] goal"},
                                           {&cfg.reference_error, &old->reference_error, o.reference_error.has_value(), "[task] reference_error"}}) {
        if (given || !from->has_value()) continue;
        if (same_metric) keep(*to, *from, true, name);
        else dropped.emplace_back(name);
      }
    }
  }

  // Write the store, in one transaction, then mlloop.toml.
  if (o.force && fs::exists(state)) {
    ctx.note(fmt::format("--force: removing the old project state in {}", state.string()));
    fs::remove_all(state);
  }
  for (const fs::path& sub : {state / "models", state / "reports"}) {
    std::error_code ec;
    fs::create_directories(sub, ec);
    if (ec) throw_bad_input(fmt::format("cannot make the project folder '{}': {}", sub.string(), ec.message()), "pass a folder you can write to with --dir");
  }
  auto store = Store::open(project_store(res.dir), Store::Mode::create);
  {
    sql::Transaction tx(store->db());
    store->set_meta("name", folder_name(dir));
    store->set_meta("target", cfg.target);
    store->set_meta("task", to_string(cfg.task));
    store->set_meta("task_reason", res.decision.reason);
    store->set_meta("metric", cfg.metric);
    store->set_meta("split_method", cfg.split.str());
    store->set_meta("seed", std::to_string(cfg.seed));
    nlohmann::json frozen = nlohmann::json::object();
    for (const auto& f : frozen_settings(cfg)) frozen[f.key] = f.value;
    store->set_meta("frozen_settings", frozen.dump());
    // How the data file's dates and numbers were read, for the files read later (dev, test,
    // predict).
    store->set_meta("date_orders", nlohmann::json(main.report.date_orders).dump());
    store->set_meta("number_formats", nlohmann::json(main.report.number_formats).dump());
    main.rows = ds.rows();
    main.cols = ds.cols();
    main.path = cfg.data;
    res.sources.insert(res.sources.begin(), main);
    for (const auto& s : res.sources) {
      store->put_data_file(DataFileRecord{s.role, s.path, FileDigest{s.report.hash, s.report.bytes}.hex(),
                                          s.report.bytes, static_cast<int64_t>(s.report.data_rows)});
    }
    for (SplitName sn : kAllSplits) {
      SplitRows rows{sn, "data", {}};
      for (size_t pos : assign[sn]) rows.row_ids.push_back(ds.row_id(pos));
      if (!rows.row_ids.empty()) store->put_split_rows(rows);
      res.counts[sn] = assign[sn].size();
    }
    for (auto& [role, e] : extra) {
      SplitRows rows{role == "dev" ? SplitName::dev : SplitName::test, role, {}};
      for (size_t i = 0; i < e.rows(); ++i) rows.row_ids.push_back(e.row_id(i));
      store->put_split_rows(rows);
      res.counts[rows.split] += rows.row_ids.size();
    }
    store->put_rejected(rejected);
    store->fault_point("init");
    tx.commit();
  }
  save_config(toml_path, cfg);
  if (!kept.empty()) ctx.note(fmt::format("--force: kept from the old mlloop.toml: {}", fmt::join(kept, ", ")));
  if (!dropped.empty())
    ctx.note(fmt::format("--force: not kept: {} (values of the old metric; set them again for {})", fmt::join(dropped, ", "), cfg.metric));
  res.config = cfg;
  return res;
}

void verify_data_unchanged(Store& store, const std::string& toml_path, const ProjectConfig& config) {
  for (const auto& f : store.data_files()) {
    const std::string& configured = f.role == "data" ? config.data : f.role == "dev" ? config.dev_data : config.test_data;
    if (configured != f.path) {
      throw_data_changed(fmt::format("mlloop.toml names the {} file '{}', but the project was initialized with '{}'",
                                     f.role, configured, f.path),
                         "restore the path in mlloop.toml, or re-split with mlloop init --force", Where{toml_path, 0, 0, {}});
    }
    std::error_code ec;
    if (!fs::exists(f.path, ec)) {
      throw_data_changed(fmt::format("the {} file '{}' is gone since init", f.role, f.path),
                         "restore the file, or re-split with mlloop init --force");
    }
    FileDigest now = hash_file(f.path);
    if (now.hex() != f.hash) {
      std::string size = now.bytes == f.bytes ? fmt::format("same size, {} bytes", now.bytes)
                                              : fmt::format("{} bytes, now {}", f.bytes, now.bytes);
      throw_data_changed(fmt::format("the {} file '{}' changed since init (content hash {} -> {}; {})", f.role, f.path,
                                     f.hash, now.hex(), size),
                         "restore the original file, or re-split with mlloop init --force (this starts the project over)");
    }
  }
}

Project Project::open(const std::string& dir_in, Store::Mode mode) {
  Project p;
  p.dir = fs::absolute(dir_in).lexically_normal().string();
  const std::string toml_path = project_toml(p.dir);
  if (!fs::exists(toml_path)) {
    throw_bad_input(fmt::format("no mlloop project in '{}' (no mlloop.toml)", p.dir),
                    "run mlloop init DATA --target COLUMN there first, or pass --dir PROJECT");
  }
  p.config = load_config(toml_path);
  if (!fs::exists(project_store(p.dir))) {
    throw_data_changed(fmt::format("the project in '{}' has mlloop.toml but no store (.mlloop/store.db)", p.dir),
                       "re-create it with mlloop init --force");
  }
  p.store = Store::open(project_store(p.dir), mode);
  p.name = p.store->meta("name").value_or("");
  if (p.name.empty()) p.name = folder_name(p.dir);  // stores written before folder_name()
  verify_data_unchanged(*p.store, toml_path, p.config);
  verify_frozen_settings(*p.store, toml_path, p.config);
  return p;
}

}  // namespace mlloop
