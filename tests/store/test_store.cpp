#include <gtest/gtest.h>
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
