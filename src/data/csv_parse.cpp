// The full parse. The file is read in chunks; each chunk is cut at a row boundary into one
// part per thread, the parts are tokenized and converted in parallel into per-part column
// fragments, and the fragments are appended in file order. A cut guessed inside a quoted
// field is detected (the first part runs past it) and the second part is parsed again.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <thread>
#include <unordered_map>

#include "csv_internal.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/hash.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::csv {
namespace {

struct ViewHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(hash_bytes(s)); }
};

// Dictionary of distinct strings in order of first appearance. Keys view into `storage`,
// whose elements never move.
struct Dict {
  std::deque<std::string> storage;
  std::unordered_map<std::string_view, int32_t, ViewHash> index;

  // Returns the code of s, or -1 - (new code) when s was inserted now.
  int32_t intern(std::string_view s, bool& inserted) {
    auto it = index.find(s);
    if (it != index.end()) {
      inserted = false;
      return it->second;
    }
    storage.emplace_back(s);
    auto code = static_cast<int32_t>(storage.size() - 1);
    index.emplace(std::string_view(storage.back()), code);
    inserted = true;
    return code;
  }
};

enum class ErrKind { none, ragged, unterminated, bad_quote, encoding, too_long };

struct PartError {
  ErrKind kind = ErrKind::none;
  int64_t rel_line = 0;
  int64_t rel_row = 0;
  int64_t column = 0;
  std::string text;
  std::string message;
  std::string fix;
};

struct Part {
  std::vector<std::vector<float>> nums;
  std::vector<std::vector<int32_t>> codes;
  std::vector<Dict> dicts;
  std::vector<char> non_integral;   // per column: a value with a fraction was seen
  std::vector<char> non_datetime;   // per column: a text value that is not a date was seen
  std::vector<char> conflict;       // per column: a value that does not fit the type
  std::vector<int64_t> conflict_line;
  std::vector<std::string> conflict_text;
  std::vector<uint32_t> rel_line;   // per accepted row: lines before it in this part
  std::vector<uint32_t> rel_row;    // per accepted row: data rows before it in this part
  std::vector<RejectedRow> rejected;  // line and row_id relative to the part
  size_t rejected_count = 0;
  int64_t newlines = 0;   // lines consumed
  int64_t data_rows = 0;  // non-blank rows consumed, bad ones included
  const char* stop = nullptr;
  PartError error;
};

struct ColumnPlan {
  ColumnType type;
  bool numeric;
};

std::string row_text(const char* start, const char* end) {
  const char* nl = static_cast<const char*>(std::memchr(start, '\n', static_cast<size_t>(end - start)));
  return std::string(start, nl ? nl : end);
}

void parse_part(const char* begin, const char* stop_at, const char* end, bool at_eof, const CsvDialect& d,
                const std::vector<ColumnPlan>& cols, const CsvOptions& opt, Part& part) {
  const size_t ncols = cols.size();
  part.nums.assign(ncols, {});
  part.codes.assign(ncols, {});
  part.dicts.assign(ncols, Dict{});
  part.non_integral.assign(ncols, 0);
  part.non_datetime.assign(ncols, 0);
  part.conflict.assign(ncols, 0);
  part.conflict_line.assign(ncols, 0);
  part.conflict_text.assign(ncols, {});
  size_t est_rows = static_cast<size_t>(stop_at - begin) / 16 + 16;
  for (size_t c = 0; c < ncols; ++c) {
    if (cols[c].numeric) part.nums[c].reserve(est_rows / 4);
    else part.codes[c].reserve(est_rows / 4);
  }
  RowFields rf;
  const char* p = begin;
  const bool skip_bad = opt.on_bad_rows == BadRows::skip;
  size_t max_marker = 0;
  for (const auto& m : opt.missing_markers) max_marker = std::max(max_marker, m.size());

  auto reject = [&](const char* row_start, const char* row_end, ErrKind kind, int64_t column, std::string message,
                    std::string fix) {
    if (skip_bad) {
      ++part.rejected_count;
      if (part.rejected.size() < 100000)
        part.rejected.push_back(RejectedRow{part.newlines, part.data_rows, message});
      return true;
    }
    part.error = PartError{kind, part.newlines, part.data_rows, column, row_text(row_start, row_end), std::move(message), std::move(fix)};
    return false;
  };

  while (p < stop_at) {
    const char* row_start = p;
    RowResult r = tokenize_row(p, end, d.delimiter, d.quote, at_eof, rf);
    if (r.status == RowStatus::incomplete) break;
    if (r.status == RowStatus::blank) {
      part.newlines += rf.newlines;
      p = r.next;
      continue;
    }
    if (r.status == RowStatus::unterminated_quote) {
      // Never skippable: the rest of the file would be one field.
      part.error = PartError{ErrKind::unterminated, part.newlines, part.data_rows, r.error_field,
                             row_text(row_start, end),
                             fmt::format("unterminated quote: the quoted field {} opened on this line never closes", r.error_field),
                             "close the quote, and write a quote inside a quoted field as two quotes (\"\")"};
      p = end;
      break;
    }
    if (r.status == RowStatus::bad_quote) {
      if (!reject(row_start, r.next, ErrKind::bad_quote, r.error_field,
                  fmt::format("unexpected text after the closing quote of field {}", r.error_field),
                  "quote the whole field and double any quote inside it (\"\"), or rerun with --on-bad-rows skip"))
        break;
      part.newlines += rf.newlines;
      ++part.data_rows;
      p = r.next;
      continue;
    }
    if (rf.fields.size() != ncols) {
      if (!reject(row_start, r.next, ErrKind::ragged, static_cast<int64_t>(std::min(rf.fields.size(), ncols) + 1),
                  fmt::format("row has {} field{} but the header has {}", rf.fields.size(),
                              rf.fields.size() == 1 ? "" : "s", ncols),
                  fmt::format("check for an unquoted '{}' inside a value (quote such values), a missing or extra "
                              "delimiter, or rerun with --on-bad-rows skip to drop such rows",
                              d.delimiter == '\t' ? std::string("\\t") : std::string(1, d.delimiter))))
        break;
      part.newlines += rf.newlines;
      ++part.data_rows;
      p = r.next;
      continue;
    }
    // Convert the fields. Text values are checked (UTF-8, control bytes) once, when first seen.
    bool row_ok = true;
    size_t pushed = 0;
    for (size_t c = 0; c < ncols; ++c) {
      std::string_view v = rf.fields[c];
      bool missing = v.size() <= max_marker && is_missing_marker(v, opt.missing_markers);
      if (cols[c].numeric) {
        float f = std::numeric_limits<float>::quiet_NaN();
        if (!missing && !part.conflict[c]) {
          if (!parse_number(v, f)) {
            part.conflict[c] = 1;
            part.conflict_line[c] = part.newlines;
            part.conflict_text[c] = std::string(v.substr(0, 80));
            f = std::numeric_limits<float>::quiet_NaN();
          } else if (!part.non_integral[c] && std::nearbyint(f) != f) {
            part.non_integral[c] = 1;
          }
        }
        part.nums[c].push_back(f);
      } else {
        int32_t code = Column::kMissingCode;
        if (!missing) {
          if (cols[c].type != ColumnType::categorical) v = trim(v);
          bool inserted;
          code = part.dicts[c].intern(v, inserted);
          if (inserted) {
            size_t bad = find_invalid_utf8(v);
            size_t ctrl = std::string_view::npos;
            for (size_t k = 0; k < v.size(); ++k) {
              unsigned char ch = static_cast<unsigned char>(v[k]);
              if (ch == 0 || (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')) {
                ctrl = k;
                break;
              }
            }
            if (bad != std::string_view::npos || ctrl != std::string_view::npos) {
              std::string what = bad != std::string_view::npos
                                     ? fmt::format("invalid UTF-8 (byte 0x{:02x})", static_cast<unsigned char>(v[bad]))
                                     : fmt::format("a control byte 0x{:02x} (binary content?)", static_cast<unsigned char>(v[ctrl]));
              // Undo the insertion so the dictionary keeps only valid text.
              part.dicts[c].index.erase(std::string_view(part.dicts[c].storage.back()));
              part.dicts[c].storage.pop_back();
              for (size_t k = 0; k < pushed; ++k) {
                if (cols[k].numeric) part.nums[k].pop_back();
                else part.codes[k].pop_back();
              }
              if (!reject(row_start, r.next, ErrKind::encoding, static_cast<int64_t>(c + 1),
                          fmt::format("field {} holds {}", c + 1, what),
                          "convert the file to UTF-8 text (for example with iconv -f latin1 -t UTF-8), or rerun "
                          "with --on-bad-rows skip to drop such rows")) {
                p = stop_at;  // stop the part
                row_ok = false;
                part.stop = row_start;
                return;
              }
              row_ok = false;
              break;
            }
            if (cols[c].type == ColumnType::boolean) {
              bool b;
              if (!parse_bool(v, b)) {
                part.conflict[c] = 1;
                if (part.conflict_line[c] == 0) {
                  part.conflict_line[c] = part.newlines;
                  part.conflict_text[c] = std::string(v.substr(0, 80));
                }
              }
            } else if (cols[c].type == ColumnType::datetime && !part.non_datetime[c] && !looks_like_datetime(v)) {
              part.non_datetime[c] = 1;
            }
          }
        }
        part.codes[c].push_back(code);
      }
      ++pushed;
    }
    if (row_ok) {
      part.rel_line.push_back(static_cast<uint32_t>(part.newlines));
      part.rel_row.push_back(static_cast<uint32_t>(part.data_rows));
    }
    part.newlines += rf.newlines;
    ++part.data_rows;
    p = r.next;
  }
  part.stop = p;
}

// Where to cut [begin, end) into two parts: after a line break near the middle that is
// outside quotes, judging by quote parity. Returns nullptr when no cut is worth it.
const char* guess_cut(const char* begin, const char* end, char quote) {
  if (end - begin < (1 << 20)) return nullptr;
  const char* mid = begin + (end - begin) / 2;
  size_t quotes = static_cast<size_t>(std::count(begin, mid, quote));
  bool inside = quotes % 2 == 1;
  for (const char* p = mid; p < end; ++p) {
    if (*p == quote) inside = !inside;
    else if (*p == '\n' && !inside) return p + 1 < end ? p + 1 : nullptr;
  }
  return nullptr;
}

}  // namespace

void parse_file(const ParsePlan& plan, const CsvOptions& opt, Dataset& ds, CsvReport& report,
                std::vector<ParseConflict>& conflicts) {
  const size_t ncols = plan.names.size();
  std::vector<ColumnPlan> cols(ncols);
  ds.columns.assign(ncols, Column{});
  ds.source = plan.path;
  ds.set_first_line(plan.first_line);
  size_t est_rows = static_cast<size_t>(static_cast<double>(plan.file_bytes) / std::max(1.0, plan.bytes_per_row) * 1.02) + 64;
  ds.reserve_meta(est_rows);
  for (size_t c = 0; c < ncols; ++c) {
    cols[c].type = plan.types[c];
    cols[c].numeric = plan.types[c] == ColumnType::numeric || plan.types[c] == ColumnType::integer;
    ds.columns[c].name = plan.names[c];
    ds.columns[c].type = plan.types[c];
    if (cols[c].numeric) ds.columns[c].values.reserve(est_rows);
    else ds.columns[c].codes.reserve(est_rows);
  }
  std::vector<Dict> global(ncols);
  std::vector<char> non_integral(ncols, 0), non_datetime(ncols, 0), seen_conflict(ncols, 0);

  std::FILE* f = std::fopen(plan.path.c_str(), "rb");
  if (!f) throw_bad_input(fmt::format("cannot open '{}': {}", plan.path, std::strerror(errno)), "check the path");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, &std::fclose);

  StreamHasher hasher;
  uint64_t total_read = 0;
  const size_t chunk = std::max<size_t>(opt.chunk_bytes, 1 << 16);
  std::vector<char> buf;
  buf.reserve(chunk + (1 << 16));
  size_t carry = 0;  // bytes at the front of buf left from the previous chunk
  int64_t base_line = plan.first_line;
  int64_t base_row = 0;
  bool eof = false;
  bool first = true;
  const int threads = std::max(1, opt.threads);
  constexpr size_t kMaxRowBytes = 64u << 20;

  auto append = [&](Part& part) {
    for (size_t c = 0; c < ncols; ++c) {
      if (cols[c].numeric) {
        auto& dst = ds.columns[c].values;
        dst.insert(dst.end(), part.nums[c].begin(), part.nums[c].end());
        non_integral[c] |= part.non_integral[c];
      } else {
        std::vector<int32_t> remap(part.dicts[c].storage.size());
        for (size_t k = 0; k < remap.size(); ++k) {
          bool inserted;
          remap[k] = global[c].intern(part.dicts[c].storage[k], inserted);
        }
        auto& dst = ds.columns[c].codes;
        for (int32_t code : part.codes[c]) dst.push_back(code < 0 ? code : remap[static_cast<size_t>(code)]);
        non_datetime[c] |= part.non_datetime[c];
      }
      if (part.conflict[c] && !seen_conflict[c]) {
        seen_conflict[c] = 1;
        conflicts.push_back(ParseConflict{c, base_line + part.conflict_line[c], part.conflict_text[c]});
      }
    }
    for (size_t i = 0; i < part.rel_line.size(); ++i)
      ds.append_row_meta(base_row + part.rel_row[i], base_line + part.rel_line[i]);
    for (auto& rj : part.rejected) {
      if (report.rejected.size() < 100000)
        report.rejected.push_back(RejectedRow{base_line + rj.line, base_row + rj.row_id, rj.reason});
    }
    report.rejected_count += part.rejected_count;
    if (part.error.kind != ErrKind::none) {
      Where w{plan.path, base_line + part.error.rel_line, part.error.column, part.error.text};
      throw_bad_input(part.error.message, part.error.fix, w);
    }
    base_line += part.newlines;
    base_row += part.data_rows;
  };

  while (!eof || carry > 0) {
    // Fill the buffer: carried bytes, then a fresh chunk.
    size_t want = chunk;
    buf.resize(carry + want);
    size_t got = std::fread(buf.data() + carry, 1, want, f);
    if (got > 0) hasher.update(buf.data() + carry, got);
    total_read += got;
    if (got < want) eof = true;
    buf.resize(carry + got);
    size_t skip = 0;
    if (first) {
      skip = std::min(plan.skip_bytes, buf.size());
      first = false;
    }
    const char* begin = buf.data() + skip;
    const char* end = buf.data() + buf.size();
    if (begin == end) break;

    const char* cut = threads > 1 ? guess_cut(begin, end, plan.dialect.quote) : nullptr;
    Part a, b;
    if (cut) {
      std::thread worker([&] { parse_part(cut, end, end, eof, plan.dialect, cols, opt, b); });
      parse_part(begin, cut, end, eof, plan.dialect, cols, opt, a);
      worker.join();
      if (a.stop != cut && a.error.kind == ErrKind::none) {
        // The cut fell inside a quoted field: parse the rest again from where part a ended.
        b = Part{};
        parse_part(a.stop, end, end, eof, plan.dialect, cols, opt, b);
      }
      append(a);
      append(b);
      begin = b.stop;
    } else {
      parse_part(begin, end, end, eof, plan.dialect, cols, opt, a);
      append(a);
      begin = a.stop;
    }
    // Keep the incomplete tail for the next round.
    size_t tail = static_cast<size_t>(end - begin);
    if (eof && tail > 0) {
      // Cannot happen: at end of file every row is complete or an error.
      break;
    }
    if (tail > kMaxRowBytes) {
      throw_bad_input(fmt::format("a row longer than {} MB starts here; this is almost always an unterminated quote",
                                  kMaxRowBytes >> 20),
                      "close the quote, and write a quote inside a quoted field as two quotes (\"\")",
                      Where{plan.path, base_line, 0, row_text(begin, end)});
    }
    std::memmove(buf.data(), begin, tail);
    carry = tail;
    if (eof) break;
  }

  // Finish column types and dictionaries.
  for (size_t c = 0; c < ncols; ++c) {
    Column& col = ds.columns[c];
    if (cols[c].numeric) {
      if (plan.types[c] == ColumnType::integer && non_integral[c]) col.type = ColumnType::numeric;
    } else {
      if (col.type == ColumnType::datetime && non_datetime[c]) col.type = ColumnType::categorical;
      col.dictionary.assign(std::make_move_iterator(global[c].storage.begin()),
                            std::make_move_iterator(global[c].storage.end()));
    }
  }
  report.bytes = total_read;
  report.hash = hasher.digest();
  report.data_rows = static_cast<size_t>(base_row);
}

}  // namespace mlloop::csv
