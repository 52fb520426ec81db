// The loop's iterations, the incumbent, and the looks at the test set.
#include <fmt/format.h>

#include <ctime>

#include "mlloop/store/store.hpp"
#include "time_utc.hpp"

namespace mlloop {

namespace {
using store_detail::now_utc;
}  // namespace

std::optional<int64_t> Store::incumbent(const std::string& metric, bool lower_is_better) {
  sql::Stmt st(*db_, "SELECT incumbent FROM iterations WHERE state = 'finished' AND incumbent IS NOT NULL ORDER BY idx DESC LIMIT 1");
  if (st.step()) return st.int64(0);
  return best_run(metric, lower_is_better);
}

int64_t Store::delete_unfinished_runs() {
  sql::Transaction tx(*db_);
  sql::Stmt del(*db_, "DELETE FROM runs WHERE status = 'running'");
  del.run();
  int64_t n = sqlite3_changes_of(*db_);
  tx.commit();
  return n;
}

void Store::begin_iteration(int64_t index, const std::string& bottleneck, const std::string& remedy,
                            const std::string& reason) {
  sql::Transaction tx(*db_);
  sql::Stmt del(*db_, "DELETE FROM iterations WHERE idx = ? AND state = 'started'");
  del.bind(1, index).run();
  sql::Stmt st(*db_, "INSERT INTO iterations(idx, bottleneck, remedy, reason, state, started_at) VALUES (?,?,?,?, 'started', ?)");
  st.bind(1, index).bind(2, bottleneck).bind(3, remedy).bind(4, reason).bind(5, now_utc()).run();
  fault_point("begin_iteration");
  tx.commit();
}

void Store::finish_iteration(const IterationRecord& it) {
  sql::Transaction tx(*db_);
  sql::Stmt st(*db_,
               "UPDATE iterations SET bottleneck=?, remedy=?, reason=?, dev_before=?, dev_after=?, accepted=?, runs=?, "
               "seconds=?, state='finished', finished_at=?, incumbent=?, detail=? WHERE idx=?");
  st.bind(1, it.bottleneck).bind(2, it.remedy).bind(3, it.reason).bind(4, it.dev_before).bind(5, it.dev_after);
  st.bind(6, int64_t{it.accepted}).bind(7, nlohmann::json(it.runs).dump()).bind(8, it.seconds).bind(9, now_utc());
  if (it.incumbent) st.bind(10, *it.incumbent);
  else st.bind_null(10);
  st.bind(11, it.detail.dump()).bind(12, it.index).run();
  fault_point("finish_iteration");
  tx.commit();
}

namespace {
constexpr const char* kIterationColumns =
    "idx, coalesce(bottleneck,''), coalesce(remedy,''), coalesce(reason,''), dev_before, dev_after, coalesce(accepted,0), "
    "coalesce(runs,'[]'), coalesce(seconds,0), state, incumbent, coalesce(detail,'{}')";

IterationRecord read_iteration(const sql::Stmt& st) {
  IterationRecord r;
  r.index = st.int64(0);
  r.bottleneck = st.text(1);
  r.remedy = st.text(2);
  r.reason = st.text(3);
  if (!st.is_null(4)) r.dev_before = st.real(4);
  if (!st.is_null(5)) r.dev_after = st.real(5);
  r.accepted = st.int64(6) != 0;
  r.runs = nlohmann::json::parse(st.text(7)).get<std::vector<int64_t>>();
  r.seconds = st.real(8);
  r.state = st.text(9);
  if (!st.is_null(10)) r.incumbent = st.int64(10);
  r.detail = nlohmann::json::parse(st.text(11));
  return r;
}
}  // namespace

std::vector<IterationRecord> Store::iterations() {
  std::vector<IterationRecord> out;
  sql::Stmt st(*db_, fmt::format("SELECT {} FROM iterations ORDER BY idx", kIterationColumns));
  while (st.step()) out.push_back(read_iteration(st));
  return out;
}

std::optional<IterationRecord> Store::iteration(int64_t index) {
  sql::Stmt st(*db_, fmt::format("SELECT {} FROM iterations WHERE idx = ?", kIterationColumns));
  st.bind(1, index);
  if (st.step()) return read_iteration(st);
  return std::nullopt;
}

void Store::add_test_look(const TestLook& look) {
  sql::Transaction tx(*db_);
  sql::Stmt st(*db_, "INSERT INTO test_looks(run_id, at, value, low, high, metric) VALUES (?,?,?,?,?,?)");
  st.bind(1, look.run).bind(2, look.at.empty() ? now_utc() : look.at).bind(3, look.value).bind(4, look.low).bind(5, look.high);
  if (look.metric.empty()) st.bind_null(6);
  else st.bind(6, look.metric);
  st.run();
  fault_point("test_look");
  tx.commit();
}

std::vector<TestLook> Store::test_looks() {
  std::vector<TestLook> out;
  // A store opened read-only is not migrated: before schema 5 its looks have no metric.
  const bool with_metric = schema_version() >= 5;
  sql::Stmt st(*db_, with_metric ? "SELECT run_id, at, coalesce(value,0), coalesce(low,0), coalesce(high,0), coalesce(metric,'') "
                                   "FROM test_looks ORDER BY id"
                                 : "SELECT run_id, at, coalesce(value,0), coalesce(low,0), coalesce(high,0), '' FROM test_looks ORDER BY id");
  while (st.step()) out.push_back(TestLook{st.int64(0), st.text(1), st.real(2), st.real(3), st.real(4), st.text(5)});
  return out;
}

}  // namespace mlloop
