// Runs, their metrics, curves and per-row predictions.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>

#include "mlloop/store/store.hpp"
#include "time_utc.hpp"

namespace mlloop {

namespace {
using store_detail::now_utc;

RunRecord read_run(sql::Stmt& st) {
  RunRecord r;
  r.id = st.int64(0);
  r.model = st.text(1);
  r.params = nlohmann::json::parse(st.text(2));
  r.config = nlohmann::json::parse(st.text(3));
  r.status = st.text(4);
  r.reason = st.text(5);
  if (!st.is_null(6)) r.iteration = st.int64(6);
  r.started_at = st.text(7);
  r.finished_at = st.text(8);
  r.seconds = st.is_null(9) ? 0 : st.real(9);
  r.artifact = st.text(10);
  return r;
}
constexpr const char* kRunColumns =
    "id, model, params, config, status, coalesce(reason, ''), iteration, started_at, coalesce(finished_at, ''), seconds, "
    "coalesce(artifact_path, '')";
}  // namespace

int64_t Store::begin_run(const std::string& model, const nlohmann::json& params, const nlohmann::json& config,
                         std::optional<int64_t> iteration) {
  sql::Transaction tx(*db_);
  sql::Stmt st(*db_, "INSERT INTO runs(model, params, config, status, iteration, started_at) VALUES (?,?,?, 'running', ?, ?)");
  st.bind(1, model).bind(2, params.dump()).bind(3, config.dump());
  if (iteration) st.bind(4, *iteration);
  else st.bind_null(4);
  st.bind(5, now_utc()).run();
  int64_t id = sqlite3_last_insert_rowid_of(*db_);
  tx.commit();
  return id;
}

void Store::finish_run(int64_t id, const std::string& status, const std::string& reason, double seconds,
                       const std::string& artifact, const std::vector<MetricRecord>& metrics,
                       const std::vector<PredictionRecord>& predictions) {
  sql::Transaction tx(*db_);
  sql::Stmt up(*db_, "UPDATE runs SET status=?, reason=?, seconds=?, artifact_path=?, finished_at=? WHERE id=?");
  up.bind(1, status).bind(2, reason).bind(3, seconds).bind(4, artifact).bind(5, now_utc()).bind(6, id).run();
  sql::Stmt m(*db_, "INSERT INTO metrics(run_id, split, name, value, low, high, step) VALUES (?,?,?,?,?,?,?)");
  for (const auto& r : metrics) {
    m.bind(1, id).bind(2, r.split).bind(3, r.name).bind(4, r.value).bind(5, r.low).bind(6, r.high);
    if (r.step) m.bind(7, *r.step);
    else m.bind_null(7);
    m.run();
  }
  sql::Stmt p(*db_, "INSERT INTO predictions(run_id, split, source, row_id, prediction, proba) VALUES (?,?,?,?,?,?)");
  for (const auto& r : predictions) {
    p.bind(1, id).bind(2, r.split).bind(3, r.source).bind(4, r.row_id).bind(5, r.prediction);
    if (r.proba.empty()) p.bind_null(6);
    else p.bind_blob(6, r.proba.data(), r.proba.size() * sizeof(float));
    p.run();
  }
  fault_point("finish_run");
  tx.commit();
}

std::vector<RunRecord> Store::runs() {
  std::vector<RunRecord> out;
  sql::Stmt st(*db_, fmt::format("SELECT {} FROM runs ORDER BY id", kRunColumns));
  while (st.step()) out.push_back(read_run(st));
  return out;
}

std::optional<RunRecord> Store::run(int64_t id) {
  sql::Stmt st(*db_, fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns));
  st.bind(1, id);
  if (st.step()) return read_run(st);
  return std::nullopt;
}

std::map<std::string, std::map<std::string, MetricRecord>> Store::run_metrics(int64_t id) {
  std::map<std::string, std::map<std::string, MetricRecord>> out;
  sql::Stmt st(*db_, "SELECT split, name, value, low, high FROM metrics WHERE run_id = ? AND step IS NULL");
  st.bind(1, id);
  while (st.step()) {
    MetricRecord r{st.text(0), st.text(1), st.real(2), std::nullopt, std::nullopt, std::nullopt};
    if (!st.is_null(3)) r.low = st.real(3);
    if (!st.is_null(4)) r.high = st.real(4);
    out[r.split][r.name] = r;
  }
  return out;
}

std::vector<RunRecord> Store::runs(const std::vector<int64_t>& ids) {
  std::map<int64_t, RunRecord> found;
  sql::Stmt st(*db_, fmt::format("SELECT {} FROM runs WHERE id IN (SELECT value FROM json_each(?))", kRunColumns));
  st.bind(1, nlohmann::json(ids).dump());
  while (st.step()) {
    RunRecord r = read_run(st);
    found.emplace(r.id, std::move(r));
  }
  std::vector<RunRecord> out;
  for (int64_t id : ids)
    if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
  return out;
}

std::map<int64_t, std::map<std::string, std::map<std::string, MetricRecord>>> Store::runs_metrics(const std::vector<int64_t>& ids) {
  std::map<int64_t, std::map<std::string, std::map<std::string, MetricRecord>>> out;
  sql::Stmt st(*db_, "SELECT run_id, split, name, value, low, high FROM metrics WHERE run_id IN (SELECT value FROM json_each(?)) AND step IS NULL");
  st.bind(1, nlohmann::json(ids).dump());
  while (st.step()) {
    MetricRecord r{st.text(1), st.text(2), st.real(3), std::nullopt, std::nullopt, std::nullopt};
    if (!st.is_null(4)) r.low = st.real(4);
    if (!st.is_null(5)) r.high = st.real(5);
    out[st.int64(0)][r.split][r.name] = r;
  }
  return out;
}

std::vector<MetricRecord> Store::run_curve(int64_t id) {
  std::vector<MetricRecord> out;
  sql::Stmt st(*db_, "SELECT split, name, value, step FROM metrics WHERE run_id = ? AND step IS NOT NULL ORDER BY split, step");
  st.bind(1, id);
  while (st.step()) out.push_back(MetricRecord{st.text(0), st.text(1), st.real(2), std::nullopt, std::nullopt, st.int64(3)});
  return out;
}

std::vector<PredictionRecord> Store::run_predictions(int64_t id, const std::string& split) {
  std::vector<PredictionRecord> out;
  sql::Stmt st(*db_, "SELECT source, row_id, prediction, proba FROM predictions WHERE run_id = ? AND split = ? ORDER BY source, row_id");
  st.bind(1, id).bind(2, split);
  while (st.step()) {
    PredictionRecord r{split, st.text(0), st.int64(1), st.real(2), {}};
    r.proba = st.blob_floats(3);
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<int64_t> Store::best_run(const std::string& metric, bool lower_is_better) {
  sql::Stmt st(*db_, fmt::format("SELECT r.id FROM runs r JOIN metrics m ON m.run_id = r.id WHERE r.status = 'done' "
                                 "AND NOT EXISTS (SELECT 1 FROM iterations i WHERE i.idx = r.iteration AND i.state <> 'finished') "
                                 "AND m.split = 'dev' AND m.name = ? AND m.step IS NULL ORDER BY m.value {}, r.id LIMIT 1",
                                 lower_is_better ? "ASC" : "DESC"));
  st.bind(1, metric);
  if (st.step()) return st.int64(0);
  return std::nullopt;
}

}  // namespace mlloop
