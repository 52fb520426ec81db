#include "mlloop/store/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>

#include "mlloop/core/error.hpp"

namespace mlloop {

namespace {
// Reads the schema version without changing anything; 0 for a new, empty database.
int read_version(sql::Db& db) {
  sql::Stmt has(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'");
  if (!has.step() || has.int64(0) == 0) return 0;
  sql::Stmt v(db, "SELECT max(version) FROM schema_version");
  return v.step() ? static_cast<int>(v.int64(0)) : 0;
}
}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, Mode mode) {
  namespace fs = std::filesystem;
  if (mode != Mode::create && !fs::exists(path)) {
    throw Error(ExitCode::bad_input, fmt::format("no store at '{}'", path),
                "run mlloop init DATA --target COLUMN first, or pass --dir PROJECT");
  }
  // Check the version read-only first, so a newer or damaged store is left untouched.
  if (fs::exists(path)) {
    sql::Db probe(path, sql::Db::Mode::read_only);
    int v = read_version(probe);
    if (v > store_schema_version()) {
      throw Error(ExitCode::data_changed,
                  fmt::format("the store '{}' has schema version {}, newer than this mlloop knows ({})", path, v,
                              store_schema_version()),
                  "use a newer mlloop; this one changed nothing");
    }
  }
  auto db = std::make_unique<sql::Db>(path, mode == Mode::read_only   ? sql::Db::Mode::read_only
                                            : mode == Mode::read_write ? sql::Db::Mode::read_write
                                                                       : sql::Db::Mode::create);
  std::unique_ptr<Store> store(new Store(std::move(db)));
  sql::Db& d = *store->db_;
  if (mode != Mode::read_only) {
    d.exec("PRAGMA journal_mode=WAL");
    d.exec("PRAGMA synchronous=NORMAL");
    d.exec("PRAGMA foreign_keys=ON");
    int v = read_version(d);
    const auto& migrations = store_migrations();
    if (v < static_cast<int>(migrations.size())) {
      sql::Transaction tx(d);
      if (v == 0) d.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
      for (int i = v; i < static_cast<int>(migrations.size()); ++i) {
        d.exec(migrations[static_cast<size_t>(i)]);
        sql::Stmt ins(d, "INSERT INTO schema_version(version, applied_at) VALUES (?, datetime('now'))");
        ins.bind(1, static_cast<int64_t>(i + 1)).run();
      }
      tx.commit();
    }
  } else if (read_version(d) == 0) {
    throw Error(ExitCode::data_changed, fmt::format("the store '{}' is empty or not an mlloop store", path),
                "re-create the project with mlloop init --force");
  }
  return store;
}

int Store::schema_version() { return read_version(*db_); }

void Store::set_meta(const std::string& key, const std::string& value) {
  sql::Stmt st(*db_, "INSERT INTO project(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  st.bind(1, key).bind(2, value).run();
}

std::optional<std::string> Store::meta(const std::string& key) {
  sql::Stmt st(*db_, "SELECT value FROM project WHERE key = ?");
  st.bind(1, key);
  if (st.step()) return st.text(0);
  return std::nullopt;
}

void Store::put_data_file(const DataFileRecord& f) {
  sql::Stmt st(*db_, "INSERT OR REPLACE INTO data_files(role, path, hash, bytes, rows) VALUES (?,?,?,?,?)");
  st.bind(1, f.role).bind(2, f.path).bind(3, f.hash).bind(4, static_cast<int64_t>(f.bytes)).bind(5, f.rows).run();
}

std::vector<DataFileRecord> Store::data_files() {
  std::vector<DataFileRecord> out;
  sql::Stmt st(*db_, "SELECT role, path, hash, bytes, rows FROM data_files ORDER BY role");
  while (st.step())
    out.push_back(DataFileRecord{st.text(0), st.text(1), st.text(2), static_cast<uint64_t>(st.int64(3)), st.int64(4)});
  return out;
}

void Store::put_split_rows(const SplitRows& rows) {
  sql::Stmt st(*db_, "INSERT INTO split_rows(source, row_id, split) VALUES (?,?,?)");
  for (int64_t id : rows.row_ids) st.bind(1, rows.source).bind(2, id).bind(3, std::string_view(to_string(rows.split))).run();
}

std::map<SplitName, int64_t> Store::split_counts() {
  std::map<SplitName, int64_t> out;
  for (SplitName s : kAllSplits) out[s] = 0;
  sql::Stmt st(*db_, "SELECT split, count(*) FROM split_rows GROUP BY split");
  while (st.step()) {
    auto s = parse_split_name(st.text(0));
    if (s) out[*s] = st.int64(1);
  }
  return out;
}

std::vector<SplitRows> Store::split_rows(SplitName split) {
  std::vector<SplitRows> out;
  sql::Stmt st(*db_, "SELECT source, row_id FROM split_rows WHERE split = ? ORDER BY source, row_id");
  st.bind(1, std::string_view(to_string(split)));
  while (st.step()) {
    std::string source = st.text(0);
    if (out.empty() || out.back().source != source) out.push_back(SplitRows{split, source, {}});
    out.back().row_ids.push_back(st.int64(1));
  }
  return out;
}

void Store::put_rejected(const std::vector<RejectedRecord>& rows) {
  sql::Stmt st(*db_, "INSERT INTO rejected_rows(source, kind, line, row_id, reason) VALUES (?,?,?,?,?)");
  for (const auto& r : rows) st.bind(1, r.source).bind(2, r.kind).bind(3, r.line).bind(4, r.row_id).bind(5, r.reason).run();
}

int64_t Store::rejected_count(const std::string& kind) {
  sql::Stmt st(*db_, "SELECT count(*) FROM rejected_rows WHERE kind = ?");
  st.bind(1, kind);
  return st.step() ? st.int64(0) : 0;
}

std::vector<RejectedRecord> Store::rejected(const std::string& kind, size_t limit) {
  std::vector<RejectedRecord> out;
  sql::Stmt st(*db_, "SELECT source, kind, line, row_id, reason FROM rejected_rows WHERE kind = ? ORDER BY source, line LIMIT ?");
  st.bind(1, kind).bind(2, static_cast<int64_t>(limit));
  while (st.step()) out.push_back(RejectedRecord{st.text(0), st.text(1), st.int64(2), st.int64(3), st.text(4)});
  return out;
}

static int64_t count_of(sql::Db& db, const char* q) {
  sql::Stmt st(db, q);
  return st.step() ? st.int64(0) : 0;
}
int64_t Store::count_runs() { return count_of(*db_, "SELECT count(*) FROM runs"); }
int64_t Store::count_iterations() { return count_of(*db_, "SELECT count(*) FROM iterations WHERE state = 'finished'"); }
int64_t Store::count_test_looks() { return count_of(*db_, "SELECT count(*) FROM test_looks"); }

}  // namespace mlloop
