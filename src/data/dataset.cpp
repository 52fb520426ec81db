#include "mlloop/data/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_set>

#include "mlloop/core/error.hpp"

namespace mlloop {

const char* to_string(ColumnType t) {
  switch (t) {
    case ColumnType::numeric: return "numeric";
    case ColumnType::integer: return "integer";
    case ColumnType::boolean: return "boolean";
    case ColumnType::categorical: return "categorical";
    case ColumnType::datetime: return "datetime";
  }
  return "?";
}

bool Column::is_missing(size_t row) const {
  return is_numeric() ? std::isnan(values[row]) : codes[row] == kMissingCode;
}

size_t Column::missing_count() const {
  size_t n = 0;
  if (is_numeric()) {
    for (float v : values) n += std::isnan(v);
  } else {
    for (int32_t c : codes) n += (c == kMissingCode);
  }
  return n;
}

size_t Column::free_text_words() const {
  if (is_numeric() || dictionary.empty()) return 0;
  size_t texts = 0, words = 0;
  for (const auto& v : dictionary) {
    size_t w = 0;
    bool in_word = false;
    for (char ch : v) {
      const bool space = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
      if (!space && !in_word) ++w;
      in_word = !space;
    }
    words += w;
    if (w >= 3) ++texts;
  }
  if (2 * texts < dictionary.size()) return 0;
  return std::max<size_t>(1, (words + dictionary.size() / 2) / dictionary.size());
}

namespace {
// The words of a column name: split at anything but a letter or digit, and where a lower-case
// letter meets an upper-case one (PassengerId, userID, RowNumber); lower-cased.
std::vector<std::string> name_words(const std::string& name) {
  std::vector<std::string> words;
  std::string w;
  char prev = 0;
  for (char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    if (!std::isalnum(u)) {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      if (!w.empty() && std::isupper(u) && std::islower(static_cast<unsigned char>(prev))) {
        words.push_back(std::move(w));
        w.clear();
      }
      w += static_cast<char>(std::tolower(u));
    }
    prev = ch;
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}
}  // namespace

bool Column::integer_identifier_like() const {
  if (type != ColumnType::integer) return false;
  const auto words = name_words(name);
  static const std::unordered_set<std::string> id_words = {"id",  "ids",  "idx",  "index",      "key",    "uid",   "uuid",
                                                           "guid", "pk",  "identifier", "rowid", "rownum", "unnamed"};
  for (const auto& w : words)
    if (id_words.count(w)) return true;
  if (!words.empty() && (words.back() == "number" || words.back() == "no" || words.back() == "nr")) return true;
  double lo = 0, hi = 0, prev = 0;
  size_t k = 0;
  bool rising = true, falling = true;
  for (float v : values) {
    if (std::isnan(v)) continue;
    if (k) {
      rising = rising && v > prev;
      falling = falling && v < prev;
    }
    lo = k ? std::min<double>(lo, v) : v;
    hi = k ? std::max<double>(hi, v) : v;
    prev = v;
    ++k;
  }
  // Packed like a numbering, or a numbering with wide gaps kept in file order (the rows of a
  // larger table, sampled).
  const bool packed = k > 0 && hi - lo < 4.0 * static_cast<double>(k);
  const bool ordered = k > 20 && (rising || falling);
  return packed || ordered;
}

namespace {
// Non-missing distinct values of `col` at `rows`, or at every row when `rows` is null.
size_t distinct_at(const Column& col, const std::vector<size_t>* rows) {
  const size_t n = rows ? rows->size() : col.size();
  auto at = [&](size_t i) { return rows ? (*rows)[i] : i; };
  if (!col.is_numeric()) {
    std::vector<char> seen(col.dictionary.size(), 0);
    size_t distinct = 0;
    for (size_t i = 0; i < n; ++i) {
      const int32_t c = col.codes[at(i)];
      if (c >= 0 && !seen[static_cast<size_t>(c)]) {
        seen[static_cast<size_t>(c)] = 1;
        ++distinct;
      }
    }
    return distinct;
  }
  std::unordered_set<float> seen;
  for (size_t i = 0; i < n; ++i)
    if (!std::isnan(col.values[at(i)])) seen.insert(col.values[at(i)]);
  return seen.size();
}
}  // namespace

size_t Column::distinct_count() const { return distinct_at(*this, nullptr); }
size_t Column::distinct_count(const std::vector<size_t>& rows) const { return distinct_at(*this, &rows); }

std::string Column::text(size_t row) const {
  if (is_missing(row)) return {};
  if (!is_numeric()) return dictionary[static_cast<size_t>(codes[row])];
  float v = values[row];
  if (type == ColumnType::integer && std::fabs(v) < 1e15f) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

Column::Unknown Column::unknown_values(const std::vector<size_t>& rows, const std::unordered_set<std::string>& known) const {
  Unknown u;
  // A text column is looked up once per dictionary entry, not once per row.
  std::vector<int8_t> code_known;
  if (!is_numeric()) {
    code_known.reserve(dictionary.size());
    for (const auto& d : dictionary) code_known.push_back(known.count(d) ? 1 : 0);
  }
  for (size_t r : rows) {
    if (is_missing(r)) continue;
    if (is_numeric() ? known.count(text(r)) > 0 : code_known[static_cast<size_t>(codes[r])] != 0) continue;
    if (u.rows++ == 0) u.first = text(r);
  }
  return u;
}

size_t Column::memory_bytes() const {
  size_t n = values.capacity() * sizeof(float) + codes.capacity() * sizeof(int32_t);
  for (const auto& s : dictionary) n += sizeof(std::string) + (s.size() > 15 ? s.capacity() : 0);
  return n;
}

std::optional<size_t> Dataset::find(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return i;
  return std::nullopt;
}

std::vector<std::string> Dataset::names() const {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& c : columns) out.push_back(c.name);
  return out;
}

void Dataset::append_row_meta(int64_t row_id, int64_t line) {
  size_t i = meta_count_++;
  bool regular = row_ids_.empty() && row_id == static_cast<int64_t>(i) && line == static_cast<int64_t>(i) + first_line_;
  if (regular) return;
  if (row_ids_.empty()) {
    // First irregular row: write out the implicit sequence so far.
    row_ids_.reserve(std::max(planned_rows_, i + 1));
    lines_.reserve(std::max(planned_rows_, i + 1));
    for (size_t k = 0; k < i; ++k) {
      row_ids_.push_back(static_cast<int64_t>(k));
      lines_.push_back(static_cast<int64_t>(k) + first_line_);
    }
  }
  row_ids_.push_back(row_id);
  lines_.push_back(line);
}

bool Dataset::append_plain_rows(size_t n, int64_t row_id, int64_t line) {
  const auto next = static_cast<int64_t>(meta_count_);
  if (!row_ids_.empty() || row_id != next || line != next + first_line_) return false;
  meta_count_ += n;
  return true;
}

void Dataset::keep_rows(const std::vector<size_t>& positions) {
  std::vector<int64_t> ids, lines;
  ids.reserve(positions.size());
  lines.reserve(positions.size());
  for (size_t p : positions) {
    ids.push_back(row_id(p));
    lines.push_back(line(p));
  }
  for (auto& col : columns) {
    if (col.is_numeric()) {
      std::vector<float> v;
      v.reserve(positions.size());
      for (size_t p : positions) v.push_back(col.values[p]);
      col.values = std::move(v);
    } else {
      std::vector<int32_t> v;
      v.reserve(positions.size());
      for (size_t p : positions) v.push_back(col.codes[p]);
      col.codes = std::move(v);
    }
  }
  row_ids_ = std::move(ids);
  lines_ = std::move(lines);
  meta_count_ = positions.size();
}

size_t Dataset::memory_bytes() const {
  size_t n = row_ids_.capacity() * sizeof(int64_t) + lines_.capacity() * sizeof(int64_t);
  for (const auto& c : columns) n += c.memory_bytes();
  return n;
}

}  // namespace mlloop
