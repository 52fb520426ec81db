// The bitmask row scanner is a fast path in front of tokenize_row: on every row it accepts it
// must give exactly tokenize_row's fields and next row start, it must accept every plain row
// (else it would be no fast path), and it must hand back everything else, whatever the bytes
// around a 64-byte block boundary.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../../src/data/csv_internal.hpp"

using namespace mlloop::csv;

namespace {
struct Walk {
  size_t rows = 0, accepted = 0;
};

// Walks the buffer row by row as the parser does, comparing the scanner with tokenize_row.
Walk walk(const std::string& text, char delim, size_t ncols) {
  Walk w;
  RowScanner scanner(delim, '"', ncols);
  RowFields fast, slow;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    RowResult r = tokenize_row(p, end, delim, '"', true, slow);
    const char* next = scanner.split(p, end, fast);
    w.rows += r.status != RowStatus::blank;
    if (next != nullptr) {
      ++w.accepted;
      EXPECT_EQ(r.status, RowStatus::ok) << "row at byte " << (p - text.data());
      EXPECT_EQ(next, r.next) << "row at byte " << (p - text.data());
      EXPECT_EQ(fast.newlines, slow.newlines);
      EXPECT_EQ(fast.fields, slow.fields) << "row at byte " << (p - text.data());
      if (::testing::Test::HasFailure()) return w;
    }
    if (r.status == RowStatus::unterminated_quote) break;
    p = r.next;
  }
  return w;
}

// Rows of `ncols` fields drawn from `fields`, LF or CRLF, with blank lines; with `broken`,
// some rows are ragged or hold a field from `tricky`.
std::string make_text(std::mt19937& rng, char delim, size_t ncols, const std::vector<std::string>& fields,
                      const std::vector<std::string>& tricky, bool broken) {
  std::string text;
  for (int i = 0; i < 4000; ++i) {
    const int kind = static_cast<int>(rng() % 20);
    if (kind == 0) {  // a blank line, LF or CRLF
      text += rng() % 2 ? "\n" : "\r\n";
      continue;
    }
    size_t n = ncols;
    if (broken && kind == 1) n = ncols - 1 - rng() % 2;  // ragged
    if (broken && kind == 2) n = ncols + 1;
    for (size_t c = 0; c < n; ++c) {
      if (c) text += delim;
      std::string f = broken && kind == 3 ? tricky[rng() % tricky.size()] : fields[rng() % fields.size()];
      if (f == "\r" && c + 1 == n) f = "r";  // a CR before the line feed is a CRLF
      text += f;
    }
    text += rng() % 4 == 0 ? "\r\n" : "\n";
  }
  return text;
}
}  // namespace

TEST(RowScanner, AgreesWithTheTokenizerOnPlainAndTrickyRows) {
  // Field shapes: plain ones (some longer than a 64-byte block, some quoted across one), then
  // ones the scanner must leave to tokenize_row.
  const std::vector<std::string> plain = {"",
                                          "1.5",
                                          "-23",
                                          "abc",
                                          "NA",
                                          "\"x,y\"",
                                          "\"\"",
                                          "\"quoted text\"",
                                          std::string(70, 'l'),
                                          "\"" + std::string(90, 'q') + ",;\t\"",
                                          "a b",
                                          "\r"};
  const std::vector<std::string> tricky = {"\"a\"\"b\"", "\"multi\nline\"", "ab\"c",     "\"q\" ", "\"q\"x", " \"q\"",
                                           "\"",         "\"\r\"",          "\"a,\"\"\""};
  for (char delim : {',', ';', '\t'}) {
    SCOPED_TRACE(::testing::Message() << "delimiter " << static_cast<int>(delim));
    std::mt19937 rng(11);
    const size_t ncols = 4;
    Walk clean = walk(make_text(rng, delim, ncols, plain, tricky, false), delim, ncols);
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_GT(clean.rows, 3000u);
    EXPECT_EQ(clean.accepted, clean.rows) << "the scanner must take every plain row";
    Walk mixed = walk(make_text(rng, delim, ncols, plain, tricky, true), delim, ncols);
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_GT(mixed.accepted, mixed.rows / 2);
    EXPECT_LT(mixed.accepted, mixed.rows) << "tricky rows must go to the tokenizer";
  }
}

TEST(RowScanner, HandsBackARowWithoutALineFeedAndBlankLines) {
  RowScanner scanner(',', '"', 2);
  RowFields out;
  const std::string last = "1,2";  // the final row of a file without a line break
  EXPECT_EQ(scanner.split(last.data(), last.data() + last.size(), out), nullptr);
  const std::string blank = "\n1,2\n";
  EXPECT_EQ(scanner.split(blank.data(), blank.data() + blank.size(), out), nullptr);
  const char* next = scanner.split(blank.data() + 1, blank.data() + blank.size(), out);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next, blank.data() + blank.size());
  ASSERT_EQ(out.fields.size(), 2u);
  EXPECT_EQ(out.fields[1], "2");
  const std::string open = "\"a,1\n2,3\n";  // an open quote: never taken, whatever follows
  EXPECT_EQ(scanner.split(open.data(), open.data() + open.size(), out), nullptr);
}

// The decimal fast path multiplies by a double reciprocal for up to 7 decimals instead of
// dividing; the float must still be the correctly rounded one, which the float division of
// two exact floats gives.
TEST(DecimalFastPath, MatchesCorrectlyRoundedDivision) {
  char buf[32];
  size_t checked = 0;
  for (int frac = 1; frac <= 7; ++frac) {
    float pow10 = 1;
    for (int k = 0; k < frac; ++k) pow10 *= 10;
    for (uint32_t m = 0; m < (1u << 24); m += 5) {
      // m with a decimal point `frac` digits from the right, zero-padded: "0.00123" for 123.
      char digits[16];
      int n = 0;
      uint32_t v = m;
      do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v);
      while (n <= frac) digits[n++] = '0';
      int len = 0;
      for (int k = n - 1; k >= 0; --k) {
        buf[len++] = digits[k];
        if (k == frac) buf[len++] = '.';
      }
      float got = 0;
      ASSERT_TRUE(parse_simple_decimal(std::string_view(buf, static_cast<size_t>(len)), got));
      const float want = static_cast<float>(m) / pow10;
      ASSERT_EQ(got, want) << std::string(buf, static_cast<size_t>(len));
      ++checked;
    }
  }
  EXPECT_GT(checked, 20000000u);
}
