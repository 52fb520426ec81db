// A thin RAII layer over the SQLite C API: a connection, prepared statements, transactions.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace mlloop::sql {

class Db;

class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept;

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind_null(int i);
  Stmt& bind_blob(int i, const void* data, size_t bytes);
  Stmt& bind(int i, const std::optional<double>& v) { return v ? bind(i, *v) : bind_null(i); }

  bool step();  // true while a row is available
  void run();   // step to completion, then reset
  void reset();

  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;
  std::vector<float> blob_floats(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* st_ = nullptr;
};

class Db {
 public:
  enum class Mode { read_only, read_write, create };
  Db(const std::string& path, Mode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(std::string_view sql);
  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(std::string_view what) const;  // throws a store Error (exit 3)

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
// The rowid of the last INSERT on this connection.
int64_t sqlite3_last_insert_rowid_of(Db& db);
// The rows changed by the last statement on this connection.
int64_t sqlite3_changes_of(Db& db);

class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace mlloop::sql
