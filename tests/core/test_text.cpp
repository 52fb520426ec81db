#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "mlloop/core/hash.hpp"
#include "mlloop/core/text.hpp"

using namespace mlloop;

TEST(Text, TrimAndCase) {
  EXPECT_EQ(trim("  a b \t"), "a b");
  EXPECT_TRUE(iequals("NaN", "nan"));
  EXPECT_FALSE(iequals("NaN", "na"));
  EXPECT_EQ(to_lower("AbC"), "abc");
}

TEST(Text, SplitList) {
  auto v = split_list(",NA,,x", ',');
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "");
  EXPECT_EQ(v[1], "NA");
  EXPECT_EQ(v[3], "x");
}

TEST(Text, Utf8Validation) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xe9!"), 3u);          // latin-1 byte
  EXPECT_EQ(find_invalid_utf8("\xc0\xaf"), 0u);          // overlong
  EXPECT_EQ(find_invalid_utf8("ab\xed\xa0\x80"), 2u);    // surrogate
  EXPECT_EQ(find_invalid_utf8("ab\xe2\x82"), 2u);        // truncated
}

TEST(Text, CsvFieldsAreQuotedWhereTheyMustBe) {
  EXPECT_EQ(csv_field("yes"), "yes");
  EXPECT_EQ(csv_field("ma\xc3\xb1" "ana"), "ma\xc3\xb1" "ana");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("yes, really"), "\"yes, really\"");
  EXPECT_EQ(csv_field("no \"way\""), "\"no \"\"way\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(" padded"), "\" padded\"");
}

TEST(Text, AFloatAsWrittenKeepsItsShortDecimal) {
  EXPECT_EQ(nlohmann::json(float_as_written(14.1178f)).dump(), "14.1178");
  EXPECT_NE(nlohmann::json(static_cast<double>(14.1178f)).dump(), "14.1178");  // what it fixes
  EXPECT_EQ(float_as_written(0.5f), 0.5);
  EXPECT_EQ(float_as_written(-3e-7f), -3e-7);
  EXPECT_TRUE(std::isnan(float_as_written(std::nanf(""))));
}

TEST(Text, CommasAndClosestMatch) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
  EXPECT_EQ(with_commas(-1000), "-1,000");
  EXPECT_EQ(closest_match("Stauts", {"Status", "Seniority", "Home"}), "Status");
  EXPECT_EQ(closest_match("zzzzzz", {"Status", "Home"}), "");
}

TEST(Hash, StreamingEqualsOneShot) {
  std::string s(100000, 'x');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
  StreamHasher h;
  h.update(s.data(), 3);
  h.update(s.data() + 3, s.size() - 3);
  EXPECT_EQ(h.digest(), hash_bytes(s));
  std::string t = s;
  t[5000] = 'Z';
  EXPECT_NE(hash_bytes(t), hash_bytes(s));
}
