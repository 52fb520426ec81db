// Phase 1 of the sniffer: the encoding. UTF-8 (with or without a BOM) is read; UTF-16,
// binary content and invalid UTF-8 are refused with the byte's line and column.
#include <fmt/format.h>

#include <algorithm>

#include "csv_internal.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::csv {

namespace {
Where locate(const std::string& path, std::string_view sample, size_t offset) {
  Where w;
  w.file = path;
  w.line = 1 + std::count(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
  size_t line_start = sample.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
  size_t line_end = sample.find('\n', offset);
  w.text = std::string(sample.substr(line_start, (line_end == std::string_view::npos ? sample.size() : line_end) - line_start));
  w.column = 0;
  return w;
}
}  // namespace

size_t sniff_encoding(const std::string& path, std::string_view sample, bool whole_file) {
  if (sample.empty()) {
    throw_bad_input("the file is empty", "give a CSV file with a header row and at least one data row",
                    Where{path, 0, 0, {}});
  }
  size_t skip = 0;
  if (sample.size() >= 3 && static_cast<unsigned char>(sample[0]) == 0xEF &&
      static_cast<unsigned char>(sample[1]) == 0xBB && static_cast<unsigned char>(sample[2]) == 0xBF) {
    skip = 3;
  } else if (sample.size() >= 2 && ((static_cast<unsigned char>(sample[0]) == 0xFF && static_cast<unsigned char>(sample[1]) == 0xFE) ||
                                    (static_cast<unsigned char>(sample[0]) == 0xFE && static_cast<unsigned char>(sample[1]) == 0xFF))) {
    throw_bad_input("the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark); mlloop reads UTF-8",
                    fmt::format("convert it: iconv -f UTF-16 -t UTF-8 '{}' > converted.csv", path), Where{path, 1, 0, {}});
  }
  std::string_view body = sample.substr(skip);
  // UTF-16 without a byte-order mark: NUL in every other byte of ASCII text.
  if (body.size() >= 4 && ((body[1] == '\0' && body[3] == '\0' && body[0] != '\0') ||
                           (body[0] == '\0' && body[2] == '\0' && body[1] != '\0'))) {
    throw_bad_input("the file looks UTF-16 encoded (a NUL byte in every other position); mlloop reads UTF-8",
                    fmt::format("convert it: iconv -f UTF-16 -t UTF-8 '{}' > converted.csv", path), Where{path, 1, 0, {}});
  }
  size_t nul = body.find('\0');
  if (nul != std::string_view::npos) {
    Where w = locate(path, sample, nul + skip);
    throw_bad_input(fmt::format("the file holds binary content (a NUL byte at byte {}); it does not look like a CSV text file",
                                nul + skip),
                    "check that this is the CSV export and not a spreadsheet, archive or database file", w);
  }
  size_t bad = find_invalid_utf8(body);
  // A sample cut in the middle of a multi-byte character is not an error.
  if (bad != std::string_view::npos && (whole_file || bad + 4 < body.size())) {
    Where w = locate(path, sample, bad + skip);
    size_t line_start = sample.rfind('\n', bad + skip == 0 ? 0 : bad + skip - 1);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    w.column = 0;
    throw_bad_input(fmt::format("invalid UTF-8 (byte 0x{:02x} at byte {} of the file, character {} of the line)",
                                static_cast<unsigned char>(sample[bad + skip]), bad + skip, bad + skip - line_start + 1),
                    fmt::format("convert the file to UTF-8, for example: iconv -f latin1 -t UTF-8 '{}' > converted.csv", path),
                    w);
  }
  if (body.find('\r') != std::string_view::npos && body.find('\n') == std::string_view::npos &&
      body.find('\r') + 1 < body.size()) {
    throw_bad_input("the file's line ends are carriage returns (CR) alone, as in old Mac exports; mlloop reads LF or CRLF line ends",
                    fmt::format("convert the line ends: tr '\\r' '\\n' < '{}' > converted.csv", path), Where{path, 1, 0, {}});
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos && whole_file) {
    throw_bad_input("the file is empty (only blank or whitespace lines)",
                    "give a CSV file with a header row and at least one data row", Where{path, 0, 0, {}});
  }
  return skip;
}

}  // namespace mlloop::csv
