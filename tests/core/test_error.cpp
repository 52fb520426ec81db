#include <gtest/gtest.h>

#include "mlloop/core/error.hpp"

using namespace mlloop;

TEST(Error, DescribeNamesFileLineColumnTextAndFix) {
  Error e(ExitCode::bad_input, "row has 3 fields but the header has 2", "quote it", Where{"a.csv", 17, 3, "1,2,3"});
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  std::string d = e.describe();
  EXPECT_NE(d.find("error: a.csv:17:3: row has 3 fields"), std::string::npos) << d;
  EXPECT_NE(d.find("text: \"1,2,3\""), std::string::npos) << d;
  EXPECT_NE(d.find("fix: quote it"), std::string::npos) << d;
}

TEST(Error, DescribeWithoutLocation) {
  Error e(ExitCode::data_changed, "store is newer", "upgrade");
  EXPECT_EQ(e.describe(), "error: store is newer\n  fix: upgrade");
}

TEST(Error, ShortenEscapesAndTruncates) {
  EXPECT_EQ(shorten_for_message("a\tb\x01", 60), "\"a\\tb\\x01\"");
  std::string long_text(100, 'x');
  std::string s = shorten_for_message(long_text, 10);
  EXPECT_EQ(s, "\"xxxxxxxxxx...\"");
}
