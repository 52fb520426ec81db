#include "mlloop/store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstring>

#include "mlloop/core/error.hpp"

namespace mlloop::sql {

Db::Db(const std::string& path, Mode mode) : path_(path) {
  int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
              : mode == Mode::read_write ? SQLITE_OPEN_READWRITE
                                         : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ExitCode::data_changed, fmt::format("cannot open the store '{}': {}", path, msg),
                "check the file; if it is damaged, re-create the project with mlloop init --force");
  }
  sqlite3_busy_timeout(db_, 10000);
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

void Db::fail(std::string_view what) const {
  int code = sqlite3_errcode(db_);
  std::string msg = sqlite3_errmsg(db_);
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    throw Error(ExitCode::data_changed, fmt::format("the store '{}' is damaged ({}: {})", path_, what, msg),
                "restore it from a copy, or re-create the project with mlloop init --force");
  }
  throw Error(ExitCode::data_changed, fmt::format("store error in '{}' ({}): {}", path_, what, msg),
              "check disk space and permissions; if the file is damaged, re-create the project with mlloop init --force");
}

void Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    fail(fmt::format("executing '{}': {}", s.substr(0, 60), msg));
  }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db) {
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK)
    db.fail(fmt::format("preparing '{}'", sql.substr(0, 60)));
}

Stmt::Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }

Stmt::~Stmt() {
  if (st_) sqlite3_finalize(st_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

Stmt& Stmt::bind_blob(int i, const void* data, size_t bytes) {
  sqlite3_bind_blob(st_, i, data, static_cast<int>(bytes), SQLITE_TRANSIENT);
  return *this;
}

std::vector<float> Stmt::blob_floats(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  int bytes = sqlite3_column_bytes(st_, col);
  std::vector<float> out(static_cast<size_t>(bytes) / sizeof(float));
  if (p && bytes > 0) std::memcpy(out.data(), p, out.size() * sizeof(float));
  return out;
}

int64_t sqlite3_last_insert_rowid_of(Db& db) { return sqlite3_last_insert_rowid(db.handle()); }
int64_t sqlite3_changes_of(Db& db) { return sqlite3_changes(db.handle()); }

bool Stmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("step");
}

void Stmt::run() {
  while (step()) {
  }
  reset();
}

void Stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

int64_t Stmt::int64(int col) const { return sqlite3_column_int64(st_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(st_, col); }
std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(st_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string();
}
bool Stmt::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace mlloop::sql
