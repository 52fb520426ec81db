#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mlloop/data/csv.hpp"
#include "mlloop/model/pipeline.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::TempDir;

namespace {
Dataset load(const TempDir& d, const std::string& name, const std::string& text) {
  mlloop::testing::write_file(d.str(name), text);
  return read_csv(d.str(name), {});
}
std::vector<size_t> all(const Dataset& ds) {
  std::vector<size_t> r(ds.rows());
  std::iota(r.begin(), r.end(), size_t{0});
  return r;
}
}  // namespace

TEST(Pipeline, ImputesEncodesScalesAndDropsIdentifiers) {
  TempDir d;
  std::string t = "id,x,c,y\n";
  for (int i = 0; i < 40; ++i)
    t += std::to_string(1000 + i) + "," + (i % 10 == 0 ? std::string("") : std::to_string(i % 7)) + "," +
         (i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c") + "," + (i % 2 ? "yes" : "no") + "\n";
  Dataset ds = load(d, "t.csv", t);
  Pipeline p;
  std::vector<std::string> notes;
  p.fit(ds, all(ds), "y", true, {}, &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("'id'"), std::string::npos);
  EXPECT_EQ(p.classes(), (std::vector<std::string>{"no", "yes"}));
  auto names = p.feature_names();
  EXPECT_EQ(names, (std::vector<std::string>{"x", "x:missing", "c=a", "c=b", "c=c"}));
  Matrix m = p.transform(ds, all(ds));
  ASSERT_EQ(m.cols, 5u);
  // Standardized: mean 0 over the training rows; the missing rows carry the indicator.
  double mean = 0;
  for (size_t i = 0; i < m.rows; ++i) mean += m.at(i, 0);
  EXPECT_NEAR(mean / static_cast<double>(m.rows), 0.0, 1e-5);
  EXPECT_EQ(m.at(0, 1), 1.f);
  EXPECT_EQ(m.at(1, 1), 0.f);
  EXPECT_EQ(m.at(0, 2), 1.f);  // row 0: c = a
  EXPECT_EQ(m.at(1, 3), 1.f);  // row 1: c = b
}

TEST(Pipeline, FreeTextIsToldApartFromAnIdentifier) {
  // Two text columns with a different value in every row: a code (an identifier) and a
  // sentence (free text). Both are dropped; the note says which is which, and for free text
  // how to use it.
  TempDir d;
  const char* words[] = {"good", "bad", "fine", "poor", "great"};
  std::string t = "code,review,x,y\n";
  for (int i = 0; i < 40; ++i)
    t += "AB-" + std::to_string(7000 + i) + "," + words[i % 5] + " and " + words[(i / 5) % 5] + " item " + std::to_string(i) +
         "," + std::to_string(i % 7) + "," + (i % 2 ? "yes" : "no") + "\n";
  Dataset ds = load(d, "t.csv", t);
  Pipeline p;
  std::vector<std::string> notes;
  p.fit(ds, all(ds), "y", true, {}, &notes);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("'code'"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("identifier"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("'review'"), std::string::npos) << notes[1];
  EXPECT_NE(notes[1].find("free text"), std::string::npos) << notes[1];
  EXPECT_NE(notes[1].find("about 5 words"), std::string::npos) << notes[1];
  EXPECT_EQ(p.feature_names(), (std::vector<std::string>{"x"}));
}

TEST(Pipeline, AUniqueIntegerIsAnIdentifierOnlyWhenNamedOrNumberedLikeOne) {
  // Integers unique per training row: a row number (shuffled, so not in file order), a
  // customer id and a reference number (wide-spread and shuffled, told by their names), a
  // serial number with wide gaps (told by rising in file order) are identifiers; an income in
  // dollars on a small table, shuffled, which merely does not repeat, is a feature.
  TempDir d;
  std::string t = "row,CustomerId,ref_no,income,x,serial,y\n";
  for (int i = 0; i < 100; ++i)
    t += fmt::format("{},{},{},{},{},{},{}\n", (i * 37) % 100, 15600000 + 2311 * ((i * 13) % 100), 900000 + 4099 * ((i * 53) % 100),
                     31000 + 997 * ((i * 71) % 100), i % 7, 5000 + 37 * i + (i * i) % 11, i % 2 ? "yes" : "no");
  Dataset ds = load(d, "t.csv", t);
  Pipeline p;
  std::vector<std::string> notes;
  p.fit(ds, all(ds), "y", true, {}, &notes);
  EXPECT_EQ(p.feature_names(), (std::vector<std::string>{"income", "x"}));
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_NE(notes[0].find("'row'"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("'CustomerId'"), std::string::npos) << notes[1];
  EXPECT_NE(notes[2].find("'ref_no'"), std::string::npos) << notes[2];
  EXPECT_NE(notes[3].find("'serial'"), std::string::npos) << notes[3];  // wide gaps, but rising in file order
  for (const auto& n : notes) EXPECT_NE(n.find("looks like an identifier"), std::string::npos) << n;
  EXPECT_FALSE(ds.columns[3].integer_identifier_like());
  EXPECT_TRUE(ds.columns[0].integer_identifier_like());
}

TEST(Pipeline, TreesGetRawValuesAndUnseenCategoriesAreMissing) {
  TempDir d;
  Dataset train = load(d, "a.csv", "x,c,y\n1,a,1.5\n,b,2.5\n3,a,3.5\n4,b,1\n");
  Dataset other = load(d, "b.csv", "x,c,y\n5,b,0\n6,zzz,0\n");
  Pipeline p;
  Pipeline::Options o;
  o.standardize = false;
  p.fit(train, all(train), "y", false, o);
  Matrix m = p.transform(train, all(train));
  EXPECT_EQ(m.at(0, 0), 1.f);
  EXPECT_TRUE(std::isnan(m.at(1, 0)));  // trees read missing as NaN
  Matrix n = p.transform(other, all(other));
  EXPECT_EQ(n.at(0, 2), m.at(1, 2));     // 'b' has the same code in both files
  EXPECT_TRUE(std::isnan(n.at(1, 2)));   // an unseen category is missing
  EXPECT_EQ(p.target(train, all(train))[1], 2.5f);
}

TEST(Pipeline, JsonRoundTrip) {
  TempDir d;
  Dataset ds = load(d, "a.csv", "x,c,y\n1,a,p\n2,b,q\n3,a,p\n4,b,q\n,c,p\n");
  Pipeline p;
  p.fit(ds, all(ds), "y", true, {});
  Pipeline q = Pipeline::from_json(p.to_json());
  Matrix a = p.transform(ds, all(ds)), b = q.transform(ds, all(ds));
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(q.classes(), p.classes());
}

TEST(Pipeline, AManyLevelCategoryWhoseLevelsAreAllFrequentSaysEachIsOneHot) {
  // 20 levels of 12 rows each: a column each, no 'city:other' (the note said "the other 0
  // share the column 'city:other'", a column that is not there).
  TempDir d;
  std::string t = "x,city,y\n";
  for (int row = 0; row < 240; ++row) t += fmt::format("{},c{},{}\n", row % 9, row % 20, row % 2 ? "yes" : "no");
  Dataset ds = load(d, "t.csv", t);
  Pipeline p;
  std::vector<std::string> notes;
  p.fit(ds, all(ds), "y", true, {}, &notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "column 'city': 20 levels, each one-hot (a column each)");
  const auto names = p.feature_names();
  EXPECT_EQ(names.size(), 1u + 20u);
  EXPECT_EQ(std::count(names.begin(), names.end(), "city:other"), 0);
}

TEST(Pipeline, AManyLevelCategoryOneHotsItsFrequentLevelsForTheFamiliesThatStandardize) {
  // 'shop' has 30 levels: s0..s19 in 12 rows each, s20..s29 in 3 rows each. 'noise' has 150
  // levels of 1-2 rows each. For the families that standardize, shop's 20 frequent levels get
  // a column each and its 10 rare ones share 'shop:other'; noise, with no level of 10 rows,
  // stays one column of codes. Trees get codes for both.
  TempDir d;
  std::string t = "x,shop,noise,y\n";
  int row = 0;
  auto add = [&](int level) {
    t += fmt::format("{},s{},n{},{}\n", row % 9, level, (row * 7) % 150, row % 2 ? "yes" : "no");
    ++row;
  };
  for (int rep = 0; rep < 12; ++rep)
    for (int l = 0; l < 20; ++l) add(l);
  for (int rep = 0; rep < 3; ++rep)
    for (int l = 20; l < 30; ++l) add(l);
  Dataset ds = load(d, "t.csv", t);
  Dataset other = load(d, "o.csv", "x,shop,noise,y\n1,s3,n5,no\n1,s25,n5,no\n1,s99,n5,no\n1,,n5,no\n");
  Pipeline p;
  std::vector<std::string> notes;
  p.fit(ds, all(ds), "y", true, {}, &notes);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], "column 'shop': 30 levels; its 20 most frequent are one-hot, the other 10 share the column 'shop:other'");
  EXPECT_NE(notes[1].find("column 'noise': 150 levels, fewer than two of them in 10 training rows"), std::string::npos) << notes[1];
  auto names = p.feature_names();
  ASSERT_EQ(names.size(), 1u + 20u + 1u + 1u);
  EXPECT_EQ(names[1], "shop=s0");
  EXPECT_EQ(names[20], "shop=s19");
  EXPECT_EQ(names[21], "shop:other");
  EXPECT_EQ(names[22], "noise");
  Matrix m = p.transform(other, all(other));
  auto shop_row = [&](size_t i) { return std::vector<float>(m.data.begin() + static_cast<std::ptrdiff_t>(i * m.cols + 1),
                                                            m.data.begin() + static_cast<std::ptrdiff_t>(i * m.cols + 22)); };
  std::vector<float> s3(21, 0.f), rare(21, 0.f), none(21, 0.f);
  s3[3] = 1.f;
  rare[20] = 1.f;
  EXPECT_EQ(shop_row(0), s3);    // a frequent level: its own column
  EXPECT_EQ(shop_row(1), rare);  // a rare level seen in training: the shared column
  EXPECT_EQ(shop_row(2), none);  // unseen: as missing
  EXPECT_EQ(shop_row(3), none);  // missing
  // Only s99 is unseen; the rare s25 was seen.
  auto unseen = p.unseen_categories(other, all(other));
  ASSERT_EQ(unseen.size(), 1u);
  EXPECT_EQ(unseen[0].column, "shop");
  EXPECT_EQ(unseen[0].rows, 1u);
  EXPECT_EQ(unseen[0].example, "s99");
  // The feature sources name the column for each of its features.
  auto sources = p.feature_sources();
  ASSERT_EQ(sources.size(), names.size());
  for (size_t j = 1; j <= 21; ++j) EXPECT_EQ(sources[j], (std::pair<std::string, bool>{"shop", true}));
  // A saved pipeline encodes the same.
  Pipeline q = Pipeline::from_json(p.to_json());
  EXPECT_EQ(q.transform(other, all(other)).data, m.data);
  EXPECT_EQ(q.transform(ds, all(ds)).data, p.transform(ds, all(ds)).data);
  // Many such columns share out max_frequent_total one-hot columns: here 10 over one column,
  // which keeps its 10 most frequent levels (s0..s9, in file order on equal counts) and puts
  // the rest with the rare ones.
  Pipeline capped;
  Pipeline::Options few;
  few.max_frequent_total = 10;
  capped.fit(ds, all(ds), "y", true, few);
  auto capped_names = capped.feature_names();
  ASSERT_EQ(capped_names.size(), 1u + 10u + 1u + 1u);
  EXPECT_EQ(capped_names[10], "shop=s9");
  EXPECT_EQ(capped_names[11], "shop:other");
  Matrix c = capped.transform(other, all(other));
  EXPECT_EQ(c.at(0, 4), 1.f);   // s3 keeps its column
  EXPECT_EQ(c.at(1, 11), 1.f);  // s25: other
  EXPECT_TRUE(capped.unseen_categories(ds, all(ds)).empty());
  // Trees: codes, one column each.
  Pipeline trees;
  Pipeline::Options o;
  o.standardize = false;
  trees.fit(ds, all(ds), "y", true, o);
  EXPECT_EQ(trees.feature_names(), (std::vector<std::string>{"x", "shop", "noise"}));
}
