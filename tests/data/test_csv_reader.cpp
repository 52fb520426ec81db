#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <cmath>

#include "mlloop/core/error.hpp"
#include "mlloop/data/csv.hpp"
#include "test_support.hpp"

using namespace mlloop;
using mlloop::testing::TempDir;
using mlloop::testing::write_file;

namespace {
Dataset read_text(const TempDir& dir, const std::string& text, CsvReport* rep = nullptr, CsvOptions opt = {}) {
  std::string path = dir.str("f.csv");
  write_file(path, text);
  return read_csv(path, opt, rep);
}

// Runs read_csv expecting a bad-input Error; returns it.
Error expect_error(const TempDir& dir, const std::string& text, CsvOptions opt = {}) {
  try {
    read_text(dir, text, nullptr, opt);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    return e;
  }
  ADD_FAILURE() << "no error for: " << text.substr(0, 80);
  return Error(ExitCode::ok, "");
}
}  // namespace

TEST(CsvReader, SniffsDelimiters) {
  TempDir d;
  for (char delim : {',', ';', '\t', '|'}) {
    std::string t = "a#b#c\n1#x#2.5\n2#y#3.5\n3#z#4\n";
    for (char& c : t)
      if (c == '#') c = delim;
    CsvReport rep;
    Dataset ds = read_text(d, t, &rep);
    EXPECT_EQ(rep.dialect.delimiter, delim);
    ASSERT_EQ(ds.cols(), 3u);
    EXPECT_EQ(ds.rows(), 3u);
    EXPECT_EQ(ds.columns[0].type, ColumnType::integer);
    EXPECT_EQ(ds.columns[1].type, ColumnType::categorical);
    EXPECT_EQ(ds.columns[2].type, ColumnType::numeric);
    EXPECT_FLOAT_EQ(ds.columns[2].values[1], 3.5f);
  }
}

TEST(CsvReader, SemicolonFileWithDecimalPointsIsNotCommaSplit) {
  TempDir d;
  Dataset ds = read_text(d, "name;score\n\"Smith, J\";1.5\n\"Doe, A\";2.5\nLee;3\n");
  ASSERT_EQ(ds.cols(), 2u);
  EXPECT_EQ(ds.columns[0].text(0), "Smith, J");
}

// A date column with a few other values in it ("sometime" once among 150 day-first dates)
// was read as text without a word, where numbers got a note: the same note now.
TEST(CsvReader, ADateColumnReadAsTextForAFewOtherValuesSaysWhichAndHowToReadThemAsMissing) {
  TempDir d;
  std::string t = "opened,iso,y\n";
  for (int i = 0; i < 150; ++i)
    t += fmt::format("{},{},{}\n", i == 70 ? "sometime" : fmt::format("{:02}/{:02}/2021", 1 + i % 28, 1 + i % 12),
                     i % 40 == 5 ? "n/k" : fmt::format("2020-{:02}-{:02}", 1 + i % 12, 1 + i % 28), i % 2);
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep);
  EXPECT_EQ(ds.columns[0].type, ColumnType::categorical);
  EXPECT_EQ(ds.columns[1].type, ColumnType::categorical);
  ASSERT_EQ(rep.notes.size(), 2u) << fmt::format("{}", fmt::join(rep.notes, "\n"));
  EXPECT_NE(rep.notes[0].find("column 'opened' read as text: 1 of its 150 values are not dates (\"sometime\" once)"),
            std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[0].find("--missing ',NA,N/A,NaN,null,?,sometime'"), std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[1].find("column 'iso' read as text: 4 of its 150 values are not dates (\"n/k\" 4 times)"),
            std::string::npos) << rep.notes[1];
  CsvOptions opt;
  for (const char* m : {"sometime", "n/k"}) opt.missing_markers.push_back(m);
  CsvReport again;
  Dataset fixed = read_text(d, t, &again, opt);
  EXPECT_EQ(fixed.columns[0].type, ColumnType::datetime);
  EXPECT_EQ(fixed.columns[1].type, ColumnType::datetime);
  EXPECT_EQ(fixed.columns[1].missing_count(), 4u);
}

TEST(CsvReader, ANumberColumnReadAsTextForAFewOtherValuesSaysWhichAndHowToReadThemAsMissing) {
  // Column a: numbers with "inf" and "-" among them (3%): text, and the note names both with
  // their counts and gives the --missing that reads them as missing. Column b: codes of which
  // half are numbers and many distinct others: text, and no note. Column c: numbers with two
  // values "-inf" and "inf" in 30% of the rows: a note too.
  TempDir d;
  std::string t = "a,b,c,y\n";
  for (int i = 0; i < 200; ++i)
    t += fmt::format("{},{},{},{}\n", i % 50 == 3 ? "inf" : i % 100 == 10 ? " - " : fmt::format("{}.5", i), i % 2 ? fmt::format("k{}", i) : fmt::to_string(i),
                     i % 10 < 3 ? (i % 2 ? "-inf" : "inf") : fmt::format("{}", i * 2), i % 2);
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep);
  EXPECT_EQ(ds.columns[0].type, ColumnType::categorical);
  EXPECT_EQ(ds.columns[1].type, ColumnType::categorical);
  EXPECT_EQ(ds.columns[2].type, ColumnType::categorical);
  ASSERT_EQ(rep.notes.size(), 2u) << fmt::format("{}", fmt::join(rep.notes, "\n"));
  EXPECT_NE(rep.notes[0].find("column 'a' read as text: 6 of its 200 values are not numbers (\"inf\" 4 times, \"-\" twice)"),
            std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[0].find("--missing ',NA,N/A,NaN,null,?,inf,-'"), std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[1].find("column 'c' read as text: 60 of its 200 values are not numbers (\"inf\" 40 times, \"-inf\" 20 times)"),
            std::string::npos) << rep.notes[1];
  // Read as the note says, a and c are numbers with those rows missing.
  CsvOptions opt;
  for (const char* m : {"inf", "-", "-inf"}) opt.missing_markers.push_back(m);
  CsvReport again;
  Dataset fixed = read_text(d, t, &again, opt);
  EXPECT_EQ(fixed.columns[0].type, ColumnType::numeric);
  EXPECT_EQ(fixed.columns[0].missing_count(), 6u);
  EXPECT_EQ(fixed.columns[2].type, ColumnType::integer);
  EXPECT_TRUE(again.notes.empty()) << fmt::format("{}", fmt::join(again.notes, "\n"));
  // Past the sniffed sample (20,000 rows) the note names the line, and the --missing for it.
  std::string long_file = "a,y\n";
  for (int i = 0; i < 20500; ++i) long_file += fmt::format("{},{}\n", i == 20300 ? "unknown" : fmt::format("{}.25", i), i % 2);
  CsvReport past;
  Dataset late = read_text(d, long_file, &past);
  EXPECT_EQ(late.columns[0].type, ColumnType::categorical);
  ASSERT_EQ(past.notes.size(), 1u) << fmt::format("{}", fmt::join(past.notes, "\n"));
  EXPECT_NE(past.notes[0].find("column 'a' read as text: line 20302 has \"unknown\", which is not a number; if it marks missing "
                               "values, read it so with --missing ',NA,N/A,NaN,null,?,unknown'"),
            std::string::npos) << past.notes[0];
  CsvOptions unknown;
  unknown.missing_markers.push_back("unknown");
  Dataset read_so = read_text(d, long_file, nullptr, unknown);
  EXPECT_EQ(read_so.columns[0].type, ColumnType::numeric);
  EXPECT_EQ(read_so.columns[0].missing_count(), 1u);
  // A value with a line break (quoted) cannot go into a one-line --missing: the note says to
  // write NA in its place, and lists no broken flag.
  std::string broken = "a,y\n";
  for (int i = 0; i < 50; ++i) broken += i == 10 ? "\"two\nlines\",1\n" : fmt::format("{}.5,{}\n", i, i % 2);
  CsvReport nl;
  read_text(d, broken, &nl);
  ASSERT_EQ(nl.notes.size(), 1u) << fmt::format("{}", fmt::join(nl.notes, "\n"));
  EXPECT_EQ(nl.notes[0].find('\n'), std::string::npos) << nl.notes[0];
  EXPECT_EQ(nl.notes[0].find("--missing '"), std::string::npos) << nl.notes[0];
  EXPECT_NE(nl.notes[0].find("NA written in their place in the file"), std::string::npos) << nl.notes[0];
}

TEST(CsvReader, DecimalCommaNumbersInASemicolonFileAreNumbers) {
  // "190,4" in a ';' file is 190.4 (the European convention), in the sample and beyond it,
  // and in a file without a header the first row is still data; "1.234,5" is 1234.5 (a
  // thousands point). A comma-delimited file's quoted "1,5" stays text: a comma is no decimal
  // mark there, and "1,5" no thousands group.
  TempDir d;
  std::string t = "id;height;price;code\n";
  for (int i = 0; i < 25000; ++i) t += fmt::format("{};{},{};{};x{}\n", i, 150 + i % 50, i % 10, i % 7 == 0 ? "1.234,5" : "12,5", i % 3);
  t += "25000;-0,25;3;x1\n";
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep);
  ASSERT_EQ(ds.cols(), 4u);
  EXPECT_EQ(ds.columns[1].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(ds.columns[1].values[0], 150.0f);
  EXPECT_FLOAT_EQ(ds.columns[1].values[123], 173.3f);
  EXPECT_FLOAT_EQ(ds.columns[1].values[25000], -0.25f);  // past the sniffed sample
  EXPECT_EQ(ds.columns[2].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(ds.columns[2].values[0], 1234.5f);
  EXPECT_FLOAT_EQ(ds.columns[2].values[1], 12.5f);
  ASSERT_EQ(rep.notes.size(), 2u);
  EXPECT_NE(rep.notes[0].find("'height' read as numbers with a decimal comma (\"150,0\" is 150)"), std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[1].find("'price' read as numbers with a decimal comma (\"1.234,5\" is 1234.5)"), std::string::npos) << rep.notes[1];

  Dataset headless = read_text(d, "1;2,5;a\n2;3,5;b\n3;4;c\n");
  EXPECT_EQ(headless.rows(), 3u);
  EXPECT_EQ(headless.columns[1].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(headless.columns[1].values[0], 2.5f);

  Dataset commas = read_text(d, "a,b\n\"1,5\",x\n\"2,5\",y\n\"3,5\",z\n");
  EXPECT_EQ(commas.columns[0].type, ColumnType::categorical);
  // "1,250" fits both a thousands comma and a decimal comma: in a ';' file it is the decimal
  // comma (1.25), and "0,125" is 0.125, never 125.
  Dataset three = read_text(d, "a;b\n0,125;x\n1,250;y\n2;z\n");
  EXPECT_EQ(three.columns[0].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(three.columns[0].values[0], 0.125f);
  EXPECT_FLOAT_EQ(three.columns[0].values[1], 1.25f);
  // In a ';' file a point that is no thousands separator, beside a decimal comma, is
  // ambiguous ("1.5": 15 or 1.5?): the column stays text.
  Dataset mixed = read_text(d, "a;b\n1,5;x\n1.5;y\n");
  EXPECT_EQ(mixed.columns[0].type, ColumnType::categorical);
}

TEST(CsvReader, NumbersThatReadBothWaysFollowTheDataFilesDecimalMark) {
  // A file read after the project's data file (dev, test, predict) whose values read both ways
  // ("1.234": 1.234, or 1234 beside decimal commas; "1,250" in a ';' file: 1.25 or 1250)
  // reads them with the data file's decimal mark; a value that reads one way only wins.
  TempDir d;
  CsvReport rep;
  Dataset data = read_text(d, "price;rate;n\n1.234,5;0,5;1\n12,5;1,25;2\n", &rep);
  EXPECT_EQ(rep.number_formats.at("price"), "decimal_comma");
  EXPECT_EQ(rep.number_formats.at("rate"), "decimal_comma");
  EXPECT_EQ(rep.number_formats.count("n"), 0u);  // integers have no decimal mark to tell
  Dataset plain = read_text(d, "price,rate\n1.5,2.25\n", &rep);
  EXPECT_EQ(rep.number_formats.at("price"), "decimal_point");

  CsvOptions european;
  european.number_formats = {{"price", "decimal_comma"}, {"rate", "decimal_comma"}};
  Dataset later = read_text(d, "price;rate\n1.234;0.5\n2.000;1,5\n", &rep, european);
  ASSERT_EQ(later.columns[0].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(later.columns[0].values[0], 1234.0f);
  EXPECT_FLOAT_EQ(later.columns[0].values[1], 2000.0f);
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find("'price' read as numbers with a decimal comma (\"1.234\" is 1234), as the project's data file was read"),
            std::string::npos) << rep.notes[0];
  // "0.5" reads with a decimal point only: the column cannot be read as the hint says, and
  // it is not forced (1,5 beside it makes the column text, as without a hint).
  EXPECT_EQ(later.columns[1].type, ColumnType::categorical);
  Dataset no_hint = read_text(d, "price;rate\n1.234;0.5\n2.000;1,5\n");
  EXPECT_FLOAT_EQ(no_hint.columns[0].values[0], 1.234f);  // what the hint prevents
  // A comma-delimited file has no decimal commas (unquoted): its points are decimal points.
  Dataset commas = read_text(d, "price,rate\n1.234,1\n2.000,2\n", &rep, european);
  EXPECT_FLOAT_EQ(commas.columns[0].values[0], 1.234f);

  CsvOptions american;
  american.number_formats = {{"amount", "decimal_point"}};
  Dataset us = read_text(d, "amount;x\n1,250;a\n2,500;b\n", &rep, american);
  ASSERT_EQ(us.columns[0].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(us.columns[0].values[0], 1250.0f);
  Dataset us_own = read_text(d, "amount;x\n1,25;a\n2,5;b\n", &rep, american);
  EXPECT_FLOAT_EQ(us_own.columns[0].values[0], 1.25f);  // "1,25" is no thousands group
}

TEST(CsvReader, CurrencyThousandsAndPercentagesAreNumbers) {
  // "$1,234.50" is 1234.5, "13.5%" 13.5 (as written, not 0.135), "-€12" -12, "1 234" 1234;
  // thousands groups must be of 3 digits ("12,34" is no number), a lone "%" or "%5" neither.
  TempDir d;
  CsvReport rep;
  Dataset ds = read_text(d, "price,rate,x\n\"$1,234.50\",13.5%,1\n$7,7%,2\n,,3\n\"-\u20ac12\", 22.25 %,4\n\"1 234\",0.5,5\n2.5,1%,6\n", &rep);
  ASSERT_EQ(ds.columns[0].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(ds.columns[0].values[0], 1234.5f);
  EXPECT_FLOAT_EQ(ds.columns[0].values[1], 7.0f);
  EXPECT_TRUE(std::isnan(ds.columns[0].values[2]));
  EXPECT_FLOAT_EQ(ds.columns[0].values[3], -12.0f);
  EXPECT_FLOAT_EQ(ds.columns[0].values[4], 1234.0f);
  EXPECT_FLOAT_EQ(ds.columns[0].values[5], 2.5f);  // a plain number among them
  ASSERT_EQ(ds.columns[1].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(ds.columns[1].values[0], 13.5f);
  EXPECT_FLOAT_EQ(ds.columns[1].values[3], 22.25f);
  EXPECT_FLOAT_EQ(ds.columns[1].values[4], 0.5f);
  ASSERT_EQ(rep.notes.size(), 2u);
  EXPECT_NE(rep.notes[0].find("'price' read as numbers (\"$1,234.50\" is 1234.5)"), std::string::npos) << rep.notes[0];
  EXPECT_NE(rep.notes[1].find("'rate' read as numbers (\"13.5%\" is 13.5)"), std::string::npos) << rep.notes[1];
  Dataset eu = read_text(d, "rate;x\n13,5 %;1\n7 %;2\n");
  EXPECT_EQ(eu.columns[0].type, ColumnType::numeric);
  EXPECT_FLOAT_EQ(eu.columns[0].values[0], 13.5f);
  for (const char* text : {"rate,x\n%,1\n%5,2\n", "v,x\n\"12,34\",1\n\"1,2345\",2\n", "v,x\n$,1\n$$5,2\n", "v,x\n\"0,125\",1\n7,2\n"}) {
    Dataset t = read_text(d, text);
    EXPECT_EQ(t.columns[0].type, ColumnType::categorical) << text;
  }
}

TEST(CsvReader, MonthFirstAndDayFirstDatesAreReadAsTheirIsoText) {
  // 01/31/2020 (a field above 12 second: month first) and 31.12.2020 14:05 (day first) become
  // ISO text, so that dates sort and split by time; the notes say which order was read.
  TempDir d;
  CsvReport rep;
  Dataset us = read_text(d, "day,x\n01/31/2020,1\n02/01/2020,2\n12/13/2021,3\n", &rep);
  ASSERT_EQ(us.columns[0].type, ColumnType::datetime);
  EXPECT_EQ(us.columns[0].text(0), "2020-01-31");
  EXPECT_EQ(us.columns[0].text(1), "2020-02-01");
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find("'day' read as dates, month first (\"01/31/2020\" is 2020-01-31)"), std::string::npos) << rep.notes[0];
  EXPECT_EQ(rep.notes[0].find("guess"), std::string::npos) << rep.notes[0];

  Dataset eu = read_text(d, "when;x\n31.12.2020 14:05;1\n01.02.2021 09:00;2\n", &rep);
  ASSERT_EQ(eu.columns[0].type, ColumnType::datetime);
  EXPECT_EQ(eu.columns[0].text(0), "2020-12-31 14:05");
  EXPECT_EQ(eu.columns[0].text(1), "2021-02-01 09:00");
  EXPECT_NE(rep.notes[0].find("day first"), std::string::npos) << rep.notes[0];

  // No field above 12: '/' is read month first, and the note says it is a guess.
  Dataset guess = read_text(d, "day,x\n01/05/2020,1\n02/06/2020,2\n", &rep);
  EXPECT_EQ(guess.columns[0].text(0), "2020-01-05");
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find("a guess"), std::string::npos) << rep.notes[0];

  // Another file of the project told the order: it is taken instead of the guess.
  CsvOptions hinted;
  hinted.date_orders = {{"day", "day_first"}};
  Dataset told = read_text(d, "day,x\n01/05/2020,1\n02/06/2020,2\n", &rep, hinted);
  EXPECT_EQ(told.columns[0].text(0), "2020-05-01");
  EXPECT_EQ(rep.date_orders.at("day"), "day_first");
  EXPECT_NE(rep.notes[0].find("as the project's data file was read"), std::string::npos) << rep.notes[0];
  // ... but never against the file's own evidence: 01/31/2020 is month first whatever the hint.
  Dataset evident = read_text(d, "day,x\n01/31/2020,1\n02/06/2020,2\n", &rep, hinted);
  EXPECT_EQ(evident.columns[0].text(0), "2020-01-31");

  // A headerless file: the first row is data.
  Dataset headless = read_text(d, "01/31/2020,1\n02/01/2020,2\n03/15/2020,3\n");
  EXPECT_EQ(headless.rows(), 3u);
  EXPECT_EQ(headless.columns[0].text(0), "2020-01-31");

  // Past the sniffed sample, a value that is no such date (day first here) makes the column
  // text, with its values as written.
  std::string t = "day,x\n";
  for (int i = 0; i < 25000; ++i) t += fmt::format("{:02d}/{:02d}/2020,{}\n", 1 + i % 12, 1 + i % 28, i);
  t += "13/01/2020,1\n";
  Dataset late = read_text(d, t, &rep);
  EXPECT_EQ(late.columns[0].type, ColumnType::categorical);
  EXPECT_EQ(late.columns[0].text(0), "01/01/2020");
  EXPECT_EQ(late.columns[0].text(25000), "13/01/2020");
  bool said = false;
  for (const auto& n : rep.notes) said |= n.find("which is not a date") != std::string::npos;
  EXPECT_TRUE(said) << fmt::format("{}", fmt::join(rep.notes, " | "));
}

TEST(CsvReader, ExcelsSepLineNamesTheDelimiterAndIsSkipped) {
  // "sep=;" first (as Excel writes it): the delimiter, not a header; lines are counted from the
  // file's first, so a bad row is named by its line in the file.
  TempDir d;
  CsvReport rep;
  Dataset ds = read_text(d, "sep=;\r\na;b;y\r\n1;2,5;x\r\n2;3,5;y\r\n", &rep);
  ASSERT_EQ(ds.cols(), 3u);
  EXPECT_EQ(ds.columns[0].name, "a");
  EXPECT_EQ(ds.rows(), 2u);
  EXPECT_FLOAT_EQ(ds.columns[1].values[1], 3.5f);
  ASSERT_FALSE(rep.notes.empty());
  EXPECT_NE(rep.notes[0].find("\"sep=;\""), std::string::npos) << rep.notes[0];
  Error e = expect_error(d, "sep=;\na;b\n1;2\n3;4;5\n");
  EXPECT_EQ(e.where().line, 4) << e.what();
}

TEST(CsvReader, QuotesBomCrlfAndEmbeddedNewlines) {
  TempDir d;
  std::string t = "\xEF\xBB\xBFid,text,y\r\n1,\"a, b\",0\r\n2,\"line1\r\nline2\",1\r\n3,\"say \"\"hi\"\"\",0\r\n4,plain,1\r\n";
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep);
  EXPECT_TRUE(rep.dialect.bom);
  ASSERT_EQ(ds.cols(), 3u);
  EXPECT_EQ(ds.columns[0].name, "id");  // the BOM is not part of the name
  ASSERT_EQ(ds.rows(), 4u);
  EXPECT_EQ(ds.columns[1].text(0), "a, b");
  EXPECT_EQ(ds.columns[1].text(1), "line1\r\nline2");
  EXPECT_EQ(ds.columns[1].text(2), "say \"hi\"");
  // Row ids count data rows; lines count physical lines (the embedded newline shifts them).
  EXPECT_EQ(ds.row_id(3), 3);
  EXPECT_EQ(ds.line(0), 2);
  EXPECT_EQ(ds.line(1), 3);
  EXPECT_EQ(ds.line(2), 5);
  EXPECT_EQ(ds.line(3), 6);
}

TEST(CsvReader, MissingMarkersAreConfigurable) {
  TempDir d;
  std::string t = "x,c\n1,a\nNA,b\n,?\nnull,N/A\n-999,NaN\n5,null\n";
  Dataset ds = read_text(d, t);
  EXPECT_EQ(ds.columns[0].missing_count(), 3u);
  EXPECT_EQ(ds.columns[1].missing_count(), 4u);
  EXPECT_TRUE(std::isnan(ds.columns[0].values[1]));
  CsvOptions opt;
  opt.missing_markers = {"", "-999"};
  Dataset ds2 = read_text(d, "x\n1\n-999\n3\n", nullptr, opt);
  EXPECT_EQ(ds2.columns[0].missing_count(), 1u);
  EXPECT_EQ(ds2.columns[0].type, ColumnType::integer);
}

TEST(CsvReader, DetectsTypes) {
  TempDir d;
  std::string t = "i,f,b,dt,c,e\n1,1.5,true,2024-01-02,x,\n-2,2,FALSE,2024-02-03 10:00:00,y,\n3,1e3,yes,2024-03-04T08:30,z,\n";
  Dataset ds = read_text(d, t);
  EXPECT_EQ(ds.columns[0].type, ColumnType::integer);
  EXPECT_EQ(ds.columns[1].type, ColumnType::numeric);
  EXPECT_EQ(ds.columns[2].type, ColumnType::boolean);
  EXPECT_EQ(ds.columns[3].type, ColumnType::datetime);
  EXPECT_EQ(ds.columns[4].type, ColumnType::categorical);
  EXPECT_EQ(ds.columns[5].missing_count(), 3u);
  EXPECT_FLOAT_EQ(ds.columns[1].values[2], 1000.0f);
}

TEST(CsvReader, HeaderlessNumericFileGetsGeneratedNames) {
  TempDir d;
  CsvReport rep;
  Dataset ds = read_text(d, "1,2.5,3\n4,5.5,6\n7,8.5,9\n", &rep);
  EXPECT_FALSE(rep.dialect.header);
  EXPECT_EQ(ds.rows(), 3u);
  EXPECT_EQ(ds.columns[0].name, "column_1");
  EXPECT_EQ(ds.line(0), 1);
}

TEST(CsvReader, LateTextInNumericColumnFallsBackToCategoricalWithNote) {
  TempDir d;
  std::string t = "x,y\n";
  for (int i = 0; i < 30000; ++i) t += std::to_string(i) + ",a\n";
  t += "oops,b\n";
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep);
  EXPECT_EQ(ds.columns[0].type, ColumnType::categorical);
  EXPECT_EQ(ds.rows(), 30001u);
  EXPECT_EQ(ds.columns[0].text(30000), "oops");
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find("line 30002"), std::string::npos) << rep.notes[0];
}

TEST(CsvReader, SkipModeDropsBadRowsAndKeepsRowIds) {
  TempDir d;
  std::string t = "a,b\n1,2\n3\n4,5\n6,7,8\n9,10\n";
  CsvOptions opt;
  opt.on_bad_rows = BadRows::skip;
  CsvReport rep;
  Dataset ds = read_text(d, t, &rep, opt);
  ASSERT_EQ(ds.rows(), 3u);
  EXPECT_EQ(rep.rejected_count, 2u);
  ASSERT_EQ(rep.rejected.size(), 2u);
  EXPECT_EQ(rep.rejected[0].line, 3);
  EXPECT_EQ(rep.rejected[1].line, 5);
  EXPECT_EQ(rep.rejected[1].row_id, 3);
  EXPECT_EQ(ds.row_id(1), 2);  // "4,5" is data row 2
  EXPECT_EQ(ds.line(2), 6);
  EXPECT_EQ(rep.data_rows, 5u);
  // A skipped row's shifted fields do not decide a column's type: "Lyon, France" unquoted put
  // " France" under amount, which then read as text.
  std::string shifted = "id,city,amount\n";
  for (int i = 0; i < 40; ++i) shifted += i == 20 ? "20,Lyon, France,42.5\n" : fmt::format("{},Paris,{}.5\n", i, i);
  CsvReport again;
  Dataset typed = read_text(d, shifted, &again, opt);
  EXPECT_EQ(again.rejected_count, 1u);
  EXPECT_EQ(typed.rows(), 39u);
  EXPECT_EQ(typed.columns[2].type, ColumnType::numeric);
}

TEST(CsvReader, ErrorsNameLineColumnAndFix) {
  TempDir d;
  Error e = expect_error(d, "a,b\n1,2\n3,4,5\n");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_NE(e.message().find("3 fields but the header has 2"), std::string::npos) << e.describe();
  EXPECT_NE(e.describe().find("--on-bad-rows skip"), std::string::npos);

  e = expect_error(d, "a,b\n1,2\n3,\"open\n4,5\n");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_NE(e.message().find("unterminated quote"), std::string::npos) << e.describe();

  e = expect_error(d, "");
  EXPECT_NE(e.message().find("empty"), std::string::npos);

  e = expect_error(d, "a,b\n");
  EXPECT_NE(e.message().find("no data rows"), std::string::npos);

  e = expect_error(d, "a,a\n1,2\n");
  EXPECT_NE(e.message().find("duplicate column name 'a'"), std::string::npos);
  EXPECT_EQ(e.where().line, 1);
  EXPECT_EQ(e.where().column, 2);

  e = expect_error(d, std::string("a,b\n1,x\n2,caf\xe9\n", 15));
  EXPECT_NE(e.message().find("invalid UTF-8"), std::string::npos) << e.describe();
  EXPECT_EQ(e.where().line, 3);

  e = expect_error(d, std::string("a,b\n1,\0\x01\x02\n", 10));
  EXPECT_NE(e.message().find("binary"), std::string::npos) << e.describe();

  e = expect_error(d, "\xFF\xFE" "a\0,\0b\0");
  EXPECT_NE(e.message().find("UTF-16"), std::string::npos);

  e = expect_error(d, "a,b\n1,\"x\"y\n");
  EXPECT_NE(e.message().find("after the closing quote"), std::string::npos) << e.describe();
  EXPECT_EQ(e.where().line, 2);
}

TEST(CsvReader, MissingFileAndFolder) {
  TempDir d;
  try {
    read_csv(d.str("nope.csv"), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.message().find("does not exist"), std::string::npos);
  }
  try {
    read_csv(d.str(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("folder"), std::string::npos);
  }
}
