// The CSV reader. It sniffs the file in phases, one file each (as DuckDB's sniffer does):
//   1. encoding  (csv_sniff_encoding.cpp)  BOM, binary content, invalid UTF-8, empty file
//   2. dialect   (csv_sniff_dialect.cpp)   delimiter , ; tab |  and the quote character
//   3. types     (csv_sniff_types.cpp)     boolean, integer, numeric, datetime, categorical
//   4. header    (csv_sniff_header.cpp)    is the first row a header?
// then parses the whole file into columns (csv_parse.cpp), on several threads for large files.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mlloop/data/dataset.hpp"

namespace mlloop {

class Context;

enum class BadRows { error, skip };

struct CsvOptions {
  // Field values read as missing (compared case-insensitively, after trimming spaces).
  std::vector<std::string> missing_markers = {"", "NA", "N/A", "NaN", "null", "?"};
  BadRows on_bad_rows = BadRows::error;
  // How a bad row's fix offers to drop such rows, after its "or": init's flag by default; a
  // command without that flag says its own, or nothing ("").
  std::string skip_hint = "rerun with --on-bad-rows skip to drop such rows";
  char delimiter = 0;  // 0: sniff
  int header = -1;     // -1: sniff, 0: no header, 1: header
  int threads = 2;
  size_t chunk_bytes = 32u << 20;  // bytes parsed per step; memory stays near this per thread
  // Force a column's type (for example, keep a numeric code as categorical).
  std::map<std::string, ColumnType> force_types;
  // Dates as another file of the project was read: column name -> "month_first" or
  // "day_first". Used where this file's own values cannot tell (no field above 12): a dev,
  // test or predict file then reads its dates as the data file did.
  std::map<std::string, std::string> date_orders;
  // Numbers as another file of the project was read: column name -> "decimal_point" or
  // "decimal_comma". Where this file's values read both ways ("1.234": 1.234, or 1234 with a
  // decimal comma), they are read as the data file's were.
  std::map<std::string, std::string> number_formats;
};

struct RejectedRow {
  int64_t line = 0;    // 1-based physical line
  int64_t row_id = 0;  // the data row index it would have had
  std::string reason;
};

struct CsvDialect {
  char delimiter = ',';
  char quote = '"';
  bool header = true;
  bool bom = false;
};

struct CsvReport {
  CsvDialect dialect;
  uint64_t bytes = 0;
  uint64_t hash = 0;  // XXH3-64 of the whole file, as read
  size_t data_rows = 0;  // rows in the file, bad ones included
  std::vector<RejectedRow> rejected;  // bad rows skipped with on_bad_rows = skip
  size_t rejected_count = 0;
  std::vector<std::string> notes;     // for example a column read as text because of one value
  std::map<std::string, std::string> date_orders;  // dates not in ISO order: column -> "month_first" or "day_first"
  // Numeric columns with a decimal mark: column -> "decimal_point" (plain decimals, or written
  // ones such as "$1,234.50") or "decimal_comma" ("1.234,5").
  std::map<std::string, std::string> number_formats;
  double seconds = 0;
};

// Reads a CSV file into a Dataset. Bad input throws an Error (exit code 2) naming the file,
// line, column and text, and how to fix it.
Dataset read_csv(const std::string& path, const CsvOptions& options, CsvReport* report = nullptr);

}  // namespace mlloop
