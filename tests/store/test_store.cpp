#include <gtest/gtest.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <thread>

#include "mlloop/core/error.hpp"
#include "mlloop/store/store.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::read_file;
using mlloop::testing::TempDir;

TEST(Store, CreatesMigratedStoreInWalMode) {
  TempDir d;
  auto s = Store::open(d.str("s.db"), Store::Mode::create);
  EXPECT_EQ(s->schema_version(), store_schema_version());
  sql::Stmt st(s->db(), "PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "wal");
  // Re-opening does not migrate again.
  s.reset();
  auto again = Store::open(d.str("s.db"), Store::Mode::read_write);
  sql::Stmt n(again->db(), "SELECT count(*) FROM schema_version");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.int64(0), store_schema_version());
}

TEST(Store, LinearRunsFromBeforeTheMulticlassParameterReadAsOneVsRest) {
  // A store at schema 3 holding a linear run without `multiclass` (stored before the
  // parameter, one-vs-rest), a linear run with it, and a gbdt run: opening it migrates the
  // first to `ovr`, params and config alike, and leaves the others as they were.
  TempDir d;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(d.str("s.db").c_str(), &raw), SQLITE_OK);
    std::string sql = "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);";
    for (int i = 0; i < 3; ++i)
      sql += store_migrations()[static_cast<size_t>(i)] + fmt::format("INSERT INTO schema_version VALUES ({}, 'then');", i + 1);
    sql += R"(INSERT INTO runs(id, model, params, config, status, started_at) VALUES
      (1, 'linear', '{"C":1.0}', '{"family":"linear","params":{"C":1.0}}', 'done', 'then'),
      (2, 'linear', '{"C":1.0,"multiclass":"multinomial"}', '{"params":{"C":1.0,"multiclass":"multinomial"}}', 'done', 'then'),
      (3, 'gbdt', '{"eta":0.1}', '{"params":{"eta":0.1}}', 'done', 'then');)";
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(raw);
  }
  auto s = Store::open(d.str("s.db"), Store::Mode::read_write);
  EXPECT_EQ(s->schema_version(), store_schema_version());
  auto r1 = s->run(1), r2 = s->run(2), r3 = s->run(3);
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_EQ(r1->params, (nlohmann::json{{"C", 1.0}, {"multiclass", "ovr"}}));
  EXPECT_EQ(r2->params.at("multiclass"), "multinomial");
  EXPECT_FALSE(r3->params.contains("multiclass"));
  sql::Stmt c(s->db(), "SELECT json_extract(config, '$.params.multiclass'), json_extract(config, '$.family') FROM runs WHERE id = 1");
  ASSERT_TRUE(c.step());
  EXPECT_EQ(c.text(0), "ovr");
  EXPECT_EQ(c.text(1), "linear");
}

TEST(Store, RoundTripsManifestAndRejectedRows) {
  TempDir d;
  auto s = Store::open(d.str("s.db"), Store::Mode::create);
  s->put_data_file({"data", "/x.csv", "00ff", 10, 3});
  s->put_split_rows({SplitName::train, "data", {0, 2, 5}});
  s->put_split_rows({SplitName::dev, "dev", {1, 4}});
  s->put_rejected({{"data", "bad_row", 7, 5, "row has 3 fields"}});
  auto counts = s->split_counts();
  EXPECT_EQ(counts[SplitName::train], 3);
  EXPECT_EQ(counts[SplitName::dev], 2);
  EXPECT_EQ(counts[SplitName::test], 0);
  auto dev = s->split_rows(SplitName::dev);
  ASSERT_EQ(dev.size(), 1u);
  EXPECT_EQ(dev[0].source, "dev");
  EXPECT_EQ(dev[0].row_ids, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(s->rejected_count("bad_row"), 1);
  EXPECT_EQ(s->rejected("bad_row", 10).at(0).line, 7);
  EXPECT_EQ(s->data_files().at(0).hash, "00ff");
  // The manifest refuses a row in two splits.
  EXPECT_THROW(s->put_split_rows({SplitName::test, "data", {2}}), Error);
}

TEST(Store, NewerSchemaIsRefusedWithExit3AndLeftUnchanged) {
  TempDir d;
  {
    auto s = Store::open(d.str("s.db"), Store::Mode::create);
    s->db().exec("INSERT INTO schema_version(version, applied_at) VALUES (999, 'future')");
    s->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::string before = read_file(d.str("s.db"));
  try {
    Store::open(d.str("s.db"), Store::Mode::read_write);
    FAIL() << "opened a newer store";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::data_changed);
    EXPECT_NE(e.message().find("schema version 999"), std::string::npos) << e.message();
  }
  EXPECT_EQ(read_file(d.str("s.db")), before);
}

TEST(Store, DamagedFileIsExit3) {
  TempDir d;
  mlloop::testing::write_file(d.str("s.db"), std::string(4096, 'x'));
  try {
    Store::open(d.str("s.db"), Store::Mode::read_write);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::data_changed);
  }
}

TEST(Store, ReadersDoNotBlockTheWriter) {
  TempDir d;
  auto writer = Store::open(d.str("s.db"), Store::Mode::create);
  auto reader = Store::open(d.str("s.db"), Store::Mode::read_write);
  reader->db().exec("BEGIN");
  EXPECT_EQ(reader->split_counts()[SplitName::train], 0);  // the read transaction holds a snapshot
  {
    sql::Transaction tx(writer->db());
    writer->put_split_rows({SplitName::train, "data", {1, 2, 3}});
    tx.commit();  // would fail with SQLITE_BUSY under a rollback journal
  }
  EXPECT_EQ(reader->split_counts()[SplitName::train], 0);  // snapshot isolation
  reader->db().exec("COMMIT");
  EXPECT_EQ(reader->split_counts()[SplitName::train], 3);
}

TEST(Store, FaultInsideTransactionLeavesNothingHalfWritten) {
  TempDir d;
  {
    auto s = Store::open(d.str("s.db"), Store::Mode::create);
    s->set_fault_hook([](const std::string& where) {
      if (where == "test") throw std::runtime_error("injected fault");
    });
    try {
      sql::Transaction tx(s->db());
      s->put_split_rows({SplitName::train, "data", {1, 2, 3}});
      s->fault_point("test");
      tx.commit();
    } catch (const std::runtime_error&) {
    }
  }
  auto s = Store::open(d.str("s.db"), Store::Mode::read_write);
  EXPECT_EQ(s->split_counts()[SplitName::train], 0);
}

// Before the loop has finished an iteration, the incumbent is the lowest run on dev, but not a
// candidate of an iteration still under way (a killed loop's first): the loop has not judged
// it. Once the iteration finishes, the incumbent it records is.
TEST(Store, ACandidateOfAnUnfinishedIterationIsNotTheIncumbent) {
  TempDir d;
  auto s = Store::open(d.str("s.db"), Store::Mode::create);
  auto add = [&](const char* model, std::optional<int64_t> iteration, double dev) {
    int64_t id = s->begin_run(model, nlohmann::json::object(), nlohmann::json::object(), iteration);
    s->finish_run(id, "done", "", 0.1, "", {{"dev", "error", dev, std::nullopt, std::nullopt, std::nullopt}}, {});
    return id;
  };
  add("baseline", 0, 0.5);
  const int64_t linear = add("linear", 0, 0.3);
  EXPECT_EQ(s->incumbent("error", true), linear);
  s->begin_iteration(1, "avoidable_bias", "switch_model_class", "why");
  const int64_t gbdt = add("gbdt", 1, 0.1);
  EXPECT_EQ(s->incumbent("error", true), linear);
  // mlloop train runs count, as before any loop.
  const int64_t trained = add("knn", std::nullopt, 0.2);
  EXPECT_EQ(s->incumbent("error", true), trained);
  IterationRecord it;
  it.index = 1;
  it.bottleneck = "avoidable_bias";
  it.remedy = "switch_model_class";
  it.accepted = true;
  it.runs = {gbdt};
  it.incumbent = gbdt;
  s->finish_iteration(it);
  EXPECT_EQ(s->incumbent("error", true), gbdt);
  // An iteration of a schema-1 store, finished without a recorded incumbent: its runs count.
  sql::Stmt(s->db(), "UPDATE iterations SET incumbent = NULL").run();
  EXPECT_EQ(s->incumbent("error", true), gbdt);
}
