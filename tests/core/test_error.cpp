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

// A line of a Latin-1 or binary file was echoed byte for byte, so the message itself was no
// valid UTF-8. Valid sequences stay (and count as one character each, never cut), other bytes
// above 0x7f are written \xNN.
TEST(Error, ShortenKeepsValidUtf8AndEscapesTheRest) {
  EXPECT_EQ(shorten_for_message("Z\xc3\xbcrich", 60), "\"Z\xc3\xbcrich\"");            // UTF-8 u-umlaut
  EXPECT_EQ(shorten_for_message("Z\xfcrich", 60), "\"Z\\xfcrich\"");                 // Latin-1 u-umlaut
  EXPECT_EQ(shorten_for_message("\xe2\x82\xac\xe2\x82", 60), "\"\xe2\x82\xac\\xe2\\x82\"");  // a euro sign, then a cut one
  EXPECT_EQ(shorten_for_message("\xc0\xaf\xed\xa0\x80\xf5\x80\x80\x80", 60),  // overlong, surrogate, past U+10FFFF
            "\"\\xc0\\xaf\\xed\\xa0\\x80\\xf5\\x80\\x80\\x80\"");
  EXPECT_EQ(shorten_for_message("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2), "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80...\"");
}
