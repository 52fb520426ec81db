// A Dataset: typed columns stored column by column. Numbers are float32 with NaN for
// missing; categoricals (and booleans and date/time text) are int32 codes into a dictionary,
// with -1 for missing. Each row keeps its stable row id and the line it started on.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace mlloop {

enum class ColumnType { numeric, integer, boolean, categorical, datetime };

const char* to_string(ColumnType t);

struct Column {
  std::string name;
  ColumnType type = ColumnType::numeric;
  std::vector<float> values;            // numeric, integer
  std::vector<int32_t> codes;           // boolean, categorical, datetime (-1 = missing)
  std::vector<std::string> dictionary;  // code -> text, in order of first appearance

  static constexpr int32_t kMissingCode = -1;

  bool is_numeric() const { return type == ColumnType::numeric || type == ColumnType::integer; }
  size_t size() const { return is_numeric() ? values.size() : codes.size(); }
  bool is_missing(size_t row) const;
  size_t missing_count() const;
  size_t distinct_count() const;  // non-missing distinct values
  size_t distinct_count(const std::vector<size_t>& rows) const;  // the same, at `rows`
  // For a text column whose values are mostly 3 words or more (free text, not codes or
  // categories): the mean number of words a value, rounded. Otherwise 0.
  size_t free_text_words() const;
  // For an integer column whose values are unique per row: whether it reads as an identifier
  // (a row number, a customer id) rather than a measurement that happens not to repeat (an
  // income in dollars on a small table). Its name says so (a word id, key, index, uid, ...,
  // or a last word number, no or nr), or its values are laid out as a numbering's: packed
  // (their range under 4 times their count: a sequence, with gaps or shuffled), or, over more
  // than 20 values, strictly rising or falling in file order (a sampled numbering).
  bool integer_identifier_like() const;
  // The cell as text ("" when missing), for messages and predictions.
  std::string text(size_t row) const;
  // Of `rows`, those whose value (as text) `known` lacks, missing cells aside: how many, and the
  // first of them (a category the training rows never held, in a dev or predict file).
  struct Unknown {
    size_t rows = 0;
    std::string first;
  };
  Unknown unknown_values(const std::vector<size_t>& rows, const std::unordered_set<std::string>& known) const;
  size_t memory_bytes() const;
};

class Dataset {
 public:
  std::string source;  // the file it was read from
  std::vector<Column> columns;

  size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  size_t cols() const { return columns.size(); }

  // Index of a column by exact name, or nullopt.
  std::optional<size_t> find(std::string_view name) const;
  std::vector<std::string> names() const;

  // Row ids: the 0-based index of the data row in its file, header excluded. Lines: the
  // 1-based physical line the row starts on. Stored only when they differ from the plain
  // sequence (skipped rows, blank lines, quoted newlines).
  int64_t row_id(size_t i) const { return row_ids_.empty() ? static_cast<int64_t>(i) : row_ids_[i]; }
  int64_t line(size_t i) const { return lines_.empty() ? static_cast<int64_t>(i) + first_line_ : lines_[i]; }

  // Builders used by the reader.
  void set_first_line(int64_t line) { first_line_ = line; }
  void append_row_meta(int64_t row_id, int64_t line);  // materializes lists on first irregularity
  // Appends `n` rows continuing the plain sequence from (row_id, line) when the lists are
  // still implicit and the sequence fits; returns false (nothing done) otherwise.
  bool append_plain_rows(size_t n, int64_t row_id, int64_t line);
  void reserve_meta(size_t n) { planned_rows_ = n; }

  // Keeps only the rows at the given positions (ascending), with their ids and lines.
  void keep_rows(const std::vector<size_t>& positions);

  size_t memory_bytes() const;

 private:
  std::vector<int64_t> row_ids_;
  std::vector<int64_t> lines_;
  int64_t first_line_ = 2;
  size_t meta_count_ = 0;
  size_t planned_rows_ = 0;
};

}  // namespace mlloop
