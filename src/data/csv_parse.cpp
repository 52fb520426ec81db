// The full parse. The file is read in chunks; each chunk is cut at a row boundary into one
// part per thread, the parts are tokenized and converted in parallel into per-part column
// fragments, and the fragments are appended in file order. A cut guessed inside a quoted
// field is detected (the first part runs past it) and the second part is parsed again.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <unordered_map>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_internal.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/hash.hpp"
#include "mlloop/core/joined_thread.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::csv {
namespace {

// Dictionary of distinct strings in order of first appearance, with a flat open-addressing
// index (power-of-two capacity, linear probing). Strings of up to 16 bytes, nearly all
// categorical values, are keyed by their bytes in the slot itself: no hash call and no trip
// to the stored string to compare. Longer ones are keyed by their XXH3 hash.
struct Dict {
  std::deque<std::string> storage;
  struct Slot {
    uint64_t lo = 0, hi = 0;  // short: the bytes (see key()); long: the hash, 0
    uint32_t len = 0;
    int32_t code = -1;
  };
  std::vector<Slot> slots = std::vector<Slot>(64);
  int shift = 64 - 6;  // 64 - log2(slots.size())

  static uint64_t load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint64_t load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  // A short string's bytes as two words, without reading past it: overlapping loads, unique
  // for a given length.
  static void key(std::string_view s, uint64_t& lo, uint64_t& hi) {
    const char* p = s.data();
    const size_t n = s.size();
    if (n >= 8) {
      lo = load8(p);
      hi = load8(p + n - 8);
    } else if (n >= 4) {
      lo = load4(p) | (load4(p + n - 4) << 32);
      hi = 0;
    } else {
      lo = n == 0 ? 0
                  : static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
                        static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
                        static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
      hi = 0;
    }
  }
  // Multiplicative hashing: the slot is the top bits of the product, which every key bit reaches.
  static uint64_t mix(uint64_t lo, uint64_t hi, uint64_t len) {
    return (lo ^ (hi * 0xC2B2AE3D27D4EB4Full) ^ (len << 56)) * 0x9E3779B97F4A7C15ull;
  }
  static void key_and_hash(std::string_view s, uint64_t& lo, uint64_t& hi, uint64_t& h) {
    if (s.size() <= 16) {
      key(s, lo, hi);
      h = mix(lo, hi, s.size());
    } else {
      h = hash_bytes(s);
      lo = h;
      hi = 0;
    }
  }

  // The lookup is inline in the parse loop; the insertion, rare, is not.
  int32_t intern(std::string_view s, bool& inserted) {
    uint64_t lo, hi, h;
    key_and_hash(s, lo, hi, h);
    const uint32_t len = static_cast<uint32_t>(s.size());
    const size_t mask = slots.size() - 1;
    for (size_t i = static_cast<size_t>(h >> shift);; i = (i + 1) & mask) {
      const Slot& slot = slots[i];
      if (slot.code < 0) {
        inserted = true;
        return insert(i, s, lo, hi);
      }
      if (slot.lo == lo && slot.hi == hi && slot.len == len &&
          (len <= 16 || storage[static_cast<size_t>(slot.code)] == s)) {
        inserted = false;
        return slot.code;
      }
    }
  }

  void clear() {
    storage.clear();
    std::fill(slots.begin(), slots.end(), Slot{});
  }

  // Removes the most recently inserted string (used to undo an invalid value).
  void pop_last() {
    storage.pop_back();
    rebuild(slots.size());
  }

 private:
  __attribute__((noinline)) int32_t insert(size_t i, std::string_view s, uint64_t lo, uint64_t hi) {
    storage.emplace_back(s);
    const int32_t code = static_cast<int32_t>(storage.size() - 1);
    slots[i] = Slot{lo, hi, static_cast<uint32_t>(s.size()), code};
    if (storage.size() * 2 > slots.size()) rebuild(slots.size() * 2);
    return code;
  }
  void rebuild(size_t capacity) {
    std::vector<Slot> fresh(capacity);
    shift = 64 - __builtin_ctzll(capacity);
    const size_t mask = capacity - 1;
    for (size_t code = 0; code < storage.size(); ++code) {
      std::string_view s = storage[code];
      uint64_t lo, hi, h;
      key_and_hash(s, lo, hi, h);
      size_t i = static_cast<size_t>(h >> shift);
      while (fresh[i].code >= 0) i = (i + 1) & mask;
      fresh[i] = Slot{lo, hi, static_cast<uint32_t>(s.size()), static_cast<int32_t>(code)};
    }
    slots = std::move(fresh);
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
  std::vector<char> non_integral;  // per column: a value with a fraction was seen
  std::vector<char> non_datetime;  // per column: a text value that is not a date was seen
  std::vector<char> conflict;      // per column: a value that does not fit the type
  std::vector<int64_t> conflict_line;
  std::vector<std::string> conflict_text;
  std::vector<uint32_t> rel_line;     // per accepted row: lines before it in this part
  std::vector<uint32_t> rel_row;      // per accepted row: data rows before it in this part
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
  bool written;        // written numbers ("$1,234.50"), see TypeGuess
  bool decimal_comma;  // ... with a decimal comma
  DateOrder date_order;
};

// A bad row's fix, then ", or " and how this command drops such rows, when it can.
std::string or_skip(const CsvOptions& opt, std::string fix) {
  if (!opt.skip_hint.empty()) fix += ", or " + opt.skip_hint;
  return fix;
}

std::string row_text(const char* start, const char* end) {
  const char* nl = static_cast<const char*>(std::memchr(start, '\n', static_cast<size_t>(end - start)));
  return std::string(start, nl ? nl : end);
}

void parse_part(const char* begin, const char* stop_at, const char* end, bool at_eof, const CsvDialect& d,
                const std::vector<ColumnPlan>& cols, const CsvOptions& opt, Part& part) {
  const size_t ncols = cols.size();
  // Parts are reused from chunk to chunk: clearing keeps their memory, so no page is
  // faulted in twice.
  part.nums.resize(ncols);
  part.codes.resize(ncols);
  part.dicts.resize(ncols);
  for (size_t c = 0; c < ncols; ++c) {
    part.nums[c].clear();
    part.codes[c].clear();
    part.dicts[c].clear();
  }
  part.non_integral.assign(ncols, 0);
  part.non_datetime.assign(ncols, 0);
  part.conflict.assign(ncols, 0);
  part.conflict_line.assign(ncols, 0);
  part.conflict_text.assign(ncols, {});
  part.rel_line.clear();
  part.rel_row.clear();
  part.rejected.clear();
  part.rejected_count = 0;
  part.newlines = 0;
  part.data_rows = 0;
  part.stop = nullptr;
  part.error = PartError{};
  RowFields rf;
  const char* p = begin;
  const bool skip_bad = opt.on_bad_rows == BadRows::skip;
  size_t max_marker = 0;
  bool empty_is_missing = false;
  std::array<bool, 256> marker_start{};  // first bytes that can begin a marker (either case, or a space)
  marker_start[static_cast<unsigned char>(' ')] = marker_start[static_cast<unsigned char>('\t')] = true;
  for (const auto& m : opt.missing_markers) {
    max_marker = std::max(max_marker, m.size());
    if (m.empty()) {
      empty_is_missing = true;
      continue;
    }
    marker_start[static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(m[0])))] = true;
    marker_start[static_cast<unsigned char>(std::toupper(static_cast<unsigned char>(m[0])))] = true;
  }
  auto is_missing = [&](std::string_view v) {
    if (v.empty()) return empty_is_missing;
    if (v.size() > max_marker + 2 || !marker_start[static_cast<unsigned char>(v[0])]) return false;
    return is_missing_marker(v, opt.missing_markers);
  };

  auto reject = [&](const char* row_start, const char* row_end, ErrKind kind, int64_t column, std::string message,
                    std::string fix) {
    if (skip_bad) {
      ++part.rejected_count;
      if (part.rejected.size() < 100000) part.rejected.push_back(RejectedRow{part.newlines, part.data_rows, message});
      return true;
    }
    part.error = PartError{
        kind, part.newlines, part.data_rows, column, row_text(row_start, row_end), std::move(message), std::move(fix)};
    return false;
  };

  RowScanner scanner(d.delimiter, d.quote, ncols);
  while (p < stop_at) {
    const char* row_start = p;
    RowResult r;
    if (const char* next = scanner.split(p, end, rf)) {
      r.next = next;
    } else {
      r = tokenize_row(p, end, d.delimiter, d.quote, at_eof, rf);
    }
    if (r.status == RowStatus::incomplete) break;
    if (r.status == RowStatus::blank) {
      part.newlines += rf.newlines;
      p = r.next;
      continue;
    }
    if (r.status == RowStatus::unterminated_quote) {
      // Never skippable: the rest of the file would be one field.
      part.error = PartError{
          ErrKind::unterminated,
          part.newlines,
          part.data_rows,
          r.error_field,
          row_text(row_start, end),
          fmt::format("unterminated quote: the quoted field {} opened on this line never closes", r.error_field),
          "close the quote, and write a quote inside a quoted field as two quotes (\"\")"};
      p = end;
      break;
    }
    if (r.status == RowStatus::bad_quote) {
      if (!reject(row_start, r.next, ErrKind::bad_quote, r.error_field,
                  fmt::format("unexpected text after the closing quote of field {}", r.error_field),
                  or_skip(opt, "quote the whole field and double any quote inside it (\"\")")))
        break;
      part.newlines += rf.newlines;
      ++part.data_rows;
      p = r.next;
      continue;
    }
    if (rf.fields.size() == 1 && ncols > 1 && rf.fields[0].find_first_not_of(" \t\r") == std::string_view::npos) {
      part.newlines += rf.newlines;  // a line of only spaces: blank
      p = r.next;
      continue;
    }
    if (rf.fields.size() != ncols) {
      if (!reject(row_start, r.next, ErrKind::ragged, static_cast<int64_t>(std::min(rf.fields.size(), ncols) + 1),
                  fmt::format("row has {} field{} but the header has {}", rf.fields.size(),
                              rf.fields.size() == 1 ? "" : "s", ncols),
                  or_skip(opt, fmt::format("check for an unquoted '{}' inside a value (quote such values), a missing or extra "
                                           "delimiter",
                                           d.delimiter == '\t' ? std::string("\\t") : std::string(1, d.delimiter)))))
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
      bool missing = is_missing(v);
      if (cols[c].numeric) {
        float f = std::numeric_limits<float>::quiet_NaN();
        if (!missing && !part.conflict[c]) {
          if (!parse_column_number(v, cols[c].written, cols[c].decimal_comma, f)) {
            part.conflict[c] = 1;
            part.conflict_line[c] = part.newlines;
            part.conflict_text[c] = std::string(v.substr(0, 80));
            f = std::numeric_limits<float>::quiet_NaN();
          } else if (!part.non_integral[c] &&
                     !(std::fabs(f) < 1e15f && static_cast<float>(static_cast<int64_t>(f)) == f)) {
            part.non_integral[c] = 1;
          }
        }
        part.nums[c].push_back(f);
      } else {
        int32_t code = Column::kMissingCode;
        char date_buf[48];
        if (!missing) {
          if (cols[c].type != ColumnType::categorical) v = trim(v);
          if (cols[c].date_order != DateOrder::iso) {
            // Read as its ISO text; a value that is no such date makes the column text (a
            // second pass, as for a number column).
            size_t n = 0;
            if (normalize_date(v, cols[c].date_order, date_buf, n)) {
              v = std::string_view(date_buf, n);
            } else if (!part.conflict[c]) {
              part.conflict[c] = 1;
              part.conflict_line[c] = part.newlines;
              part.conflict_text[c] = std::string(v.substr(0, 80));
            }
          }
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
              std::string what =
                  bad != std::string_view::npos
                      ? fmt::format("invalid UTF-8 (byte 0x{:02x})", static_cast<unsigned char>(v[bad]))
                      : fmt::format("a control byte 0x{:02x} (binary content?)", static_cast<unsigned char>(v[ctrl]));
              // Undo the insertion so the dictionary keeps only valid text.
              part.dicts[c].pop_last();
              for (size_t k = 0; k < pushed; ++k) {
                if (cols[k].numeric)
                  part.nums[k].pop_back();
                else
                  part.codes[k].pop_back();
              }
              if (!reject(row_start, r.next, ErrKind::encoding, static_cast<int64_t>(c + 1),
                          fmt::format("field {} holds {}", c + 1, what),
                          or_skip(opt, "convert the file to UTF-8 text (for example with iconv -f latin1 -t UTF-8)"))) {
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

// How many bytes of [p, end) equal ch: 16 at a time with SSE2 (byte counters summed every
// 255 blocks), as guess_cuts runs it over most of every chunk before the parse threads start.
size_t count_byte(const char* p, const char* end, char ch) {
  size_t n = 0;
#if defined(__SSE2__)
  const __m128i v = _mm_set1_epi8(ch), zero = _mm_setzero_si128();
  while (end - p >= 16) {
    __m128i acc = zero;
    for (int k = 0; k < 255 && end - p >= 16; ++k, p += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), v));
    __m128i sums = _mm_sad_epu8(acc, zero);
    n += static_cast<size_t>(_mm_cvtsi128_si64(sums)) +
         static_cast<size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  return n + static_cast<size_t>(std::count(p, end, ch));
}

// Where to cut [begin, end) into `n` parts of about equal size: after a line break near each
// n-th that is outside quotes, judging by quote parity from `begin`. Parts under 256 KB are
// not worth a cut. The first cut point is `begin`.
std::vector<const char*> guess_cuts(const char* begin, const char* end, char quote, int n) {
  std::vector<const char*> cuts{begin};
  const size_t size = static_cast<size_t>(end - begin);
  n = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(n, 1)), size / (256u << 10) + 1));
  const char* from = begin;  // quotes before `from` are counted
  bool inside = false;
  for (int k = 1; k < n; ++k) {
    const char* target = begin + size / static_cast<size_t>(n) * static_cast<size_t>(k);
    if (target <= from) continue;
    inside ^= count_byte(from, target, quote) % 2 == 1;
    const char* p = target;
    for (; p < end; ++p) {
      if (*p == quote)
        inside = !inside;
      else if (*p == '\n' && !inside)
        break;
    }
    if (p + 1 >= end) break;
    from = p + 1;
    cuts.push_back(from);
  }
  return cuts;
}

}  // namespace

namespace {

// A read buffer with headroom in front, so the incomplete row left over from the previous
// chunk can be put right before the fresh bytes without moving them.
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  size_t headroom = 0;
  size_t capacity = 0;  // bytes after the headroom
  size_t size = 0;      // fresh bytes read
  bool eof = false;

  void allocate(size_t head, size_t cap) {
    headroom = head;
    capacity = cap;
    data.reset(new char[head + cap]);  // not zero-filled: every byte used is written first
  }
  char* fresh() { return data.get() + headroom; }
};

// Reads the next chunk and feeds the hash, in file order. A short read is the end of the
// file only if the stream has no error: a failed read must not pass for a shorter file.
void fill(std::FILE* f, const std::string& path, ReadBuffer& b, StreamHasher& hasher) {
  b.size = std::fread(b.fresh(), 1, b.capacity, f);
  if (b.size > 0) hasher.update(b.fresh(), b.size);
  b.eof = b.size < b.capacity;
  if (b.eof && std::ferror(f))
    throw_bad_input(fmt::format("cannot read '{}': {}", path, std::strerror(errno)),
                    "check that the file is readable and complete (a disk or network error?)");
}

}  // namespace

void parse_file(const ParsePlan& plan, const CsvOptions& opt, Dataset& ds, CsvReport& report,
                std::vector<ParseConflict>& conflicts) {
  const size_t ncols = plan.names.size();
  std::vector<ColumnPlan> cols(ncols);
  ds.columns.assign(ncols, Column{});
  ds.source = plan.path;
  ds.set_first_line(plan.first_line);
  size_t est_rows =
      static_cast<size_t>(static_cast<double>(plan.file_bytes) / std::max(1.0, plan.bytes_per_row) * 1.02) + 64;
  ds.reserve_meta(est_rows);
  for (size_t c = 0; c < ncols; ++c) {
    cols[c].type = plan.types[c];
    cols[c].numeric = plan.types[c] == ColumnType::numeric || plan.types[c] == ColumnType::integer;
    cols[c].written = c < plan.written.size() && plan.written[c] != 0;
    cols[c].decimal_comma = c < plan.written.size() && plan.written[c] == 2;
    cols[c].date_order = c < plan.date_order.size() && plan.types[c] == ColumnType::datetime ? plan.date_order[c] : DateOrder::iso;
    ds.columns[c].name = plan.names[c];
    ds.columns[c].type = plan.types[c];
    if (cols[c].numeric)
      ds.columns[c].values.reserve(est_rows);
    else
      ds.columns[c].codes.reserve(est_rows);
  }
  std::vector<Dict> global(ncols);
  std::vector<char> non_integral(ncols, 0), non_datetime(ncols, 0), seen_conflict(ncols, 0);

  std::FILE* f = std::fopen(plan.path.c_str(), "rb");
  if (!f) throw_bad_input(fmt::format("cannot open '{}': {}", plan.path, std::strerror(errno)), "check the path");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, &std::fclose);

  StreamHasher hasher;
  uint64_t total_read = 0;
  const size_t chunk = std::max<size_t>(opt.chunk_bytes, 1 << 16);
  const size_t headroom = std::min<size_t>(chunk, 4u << 20);
  int64_t base_line = plan.first_line;
  int64_t base_row = 0;
  const int threads = std::max(1, opt.threads);
  constexpr size_t kMaxRowBytes = 64u << 20;

  // Appends parts in file order. The columns are grown once, then each part is copied into
  // its own range, in parallel when there are two.
  auto append = [&](std::vector<Part*> parts) {
    for (Part* part : parts) {  // errors first, in file order, before anything is appended
      if (part->error.kind == ErrKind::none) continue;
      int64_t line = base_line;
      for (Part* q : parts) {
        if (q == part) break;
        line += q->newlines;
      }
      Where w{plan.path, line + part->error.rel_line, part->error.column, part->error.text};
      throw_bad_input(part->error.message, part->error.fix, w);
    }
    const size_t old_rows = ds.columns.empty() ? 0 : ds.columns[0].size();
    size_t total = old_rows;
    for (const Part* part : parts) total += part->rel_line.size();
    // Dictionary merge (small, serial), then the appends (large, parallel).
    std::vector<std::vector<std::vector<int32_t>>> remap(parts.size(), std::vector<std::vector<int32_t>>(ncols));
    for (size_t k = 0; k < parts.size(); ++k) {
      for (size_t c = 0; c < ncols; ++c) {
        if (cols[c].numeric) continue;
        auto& map = remap[k][c];
        map.resize(parts[k]->dicts[c].storage.size());
        for (size_t i = 0; i < map.size(); ++i) {
          bool inserted;
          map[i] = global[c].intern(parts[k]->dicts[c].storage[i], inserted);
        }
      }
    }
    // Column by column, the columns shared out between the threads: growing a column (the
    // page faults of fresh memory) is then done in parallel too. Each column is appended part
    // after part (no zero fill first), its codes remapped in place while hot.
    auto fill_column = [&](size_t c) {
      if (cols[c].numeric) {
        auto& values = ds.columns[c].values;
        for (size_t k = 0; k < parts.size(); ++k)
          values.insert(values.end(), parts[k]->nums[c].begin(), parts[k]->nums[c].end());
      } else {
        auto& codes = ds.columns[c].codes;
        for (size_t k = 0; k < parts.size(); ++k) {
          const size_t from = codes.size();
          codes.insert(codes.end(), parts[k]->codes[c].begin(), parts[k]->codes[c].end());
          const auto& map = remap[k][c];
          for (size_t i = from; i < codes.size(); ++i)
            if (codes[i] >= 0) codes[i] = map[static_cast<size_t>(codes[i])];
        }
      }
      MLLOOP_ASSERT(ds.columns[c].size() == total);
    };
    if (threads > 1 && ncols > 1) {
      JoinedThread worker([&] {
        for (size_t c = 1; c < ncols; c += 2) fill_column(c);
      });
      for (size_t c = 0; c < ncols; c += 2) fill_column(c);
      worker.join();
    } else {
      for (size_t c = 0; c < ncols; ++c) fill_column(c);
    }
    for (Part* part : parts) {
      for (size_t c = 0; c < ncols; ++c) {
        non_integral[c] |= part->non_integral[c];
        non_datetime[c] |= part->non_datetime[c];
        if (part->conflict[c] && !seen_conflict[c]) {
          seen_conflict[c] = 1;
          conflicts.push_back(ParseConflict{c, base_line + part->conflict_line[c], part->conflict_text[c]});
        }
      }
      // Row ids and lines: a part without skipped rows, blank lines or quoted line breaks
      // continues the plain sequence, which the Dataset keeps implicit.
      const size_t k = part->rel_line.size();
      const bool regular = k == static_cast<size_t>(part->data_rows) && static_cast<int64_t>(k) == part->newlines &&
                           (k == 0 || (part->rel_row[k - 1] == k - 1 && part->rel_line[k - 1] == k - 1));
      if (!(regular && ds.append_plain_rows(k, base_row, base_line)))
        for (size_t i = 0; i < k; ++i) ds.append_row_meta(base_row + part->rel_row[i], base_line + part->rel_line[i]);
      for (auto& rj : part->rejected) {
        if (report.rejected.size() < 100000)
          report.rejected.push_back(RejectedRow{base_line + rj.line, base_row + rj.row_id, rj.reason});
      }
      report.rejected_count += part->rejected_count;
      base_line += part->newlines;
      base_row += part->data_rows;
    }
  };

  std::vector<Part> parts;  // reused from chunk to chunk
  constexpr int kPartsPerThread = 4;
  // Two buffers: one is parsed while the next chunk is read into the other.
  ReadBuffer cur, next;
  cur.allocate(headroom, chunk);
  next.allocate(headroom, chunk);
  fill(f, plan.path, cur, hasher);
  total_read += cur.size;
  size_t carry = 0;               // bytes of an incomplete row, placed just before cur.fresh()
  size_t skip = plan.skip_bytes;  // BOM and header, in the first chunk
  std::string big_carry;          // only for rows longer than the headroom

  while (true) {
    // Assemble [begin, end) = carried bytes + fresh bytes.
    const char* begin;
    const char* end;
    std::unique_ptr<char[]> joined;
    if (!big_carry.empty()) {
      joined.reset(new char[big_carry.size() + cur.size]);
      std::memcpy(joined.get(), big_carry.data(), big_carry.size());
      std::memcpy(joined.get() + big_carry.size(), cur.fresh(), cur.size);
      begin = joined.get();
      end = begin + big_carry.size() + cur.size;
      big_carry.clear();
    } else {
      begin = cur.fresh() - carry;
      end = cur.fresh() + cur.size;
    }
    begin += std::min(skip, static_cast<size_t>(end - begin));
    skip = 0;
    const bool eof = cur.eof;
    if (begin == end && eof) break;

    // Read the next chunk while this one is parsed.
    std::optional<JoinedThread> reader;
    if (!eof) reader.emplace([&] { fill(f, plan.path, next, hasher); });

    // More parts than threads, taken in turn by the threads: a thread slowed down (by the
    // reader, or anything else) takes fewer parts instead of holding up the others.
    const std::vector<const char*> cuts =
        guess_cuts(begin, end, plan.dialect.quote, threads > 1 ? kPartsPerThread * threads : 1);
    const size_t n = cuts.size();
    if (parts.size() < n) parts.resize(n);
    const char* stop;
    {
      // On an exception, the destructors join the reader and the workers before it leaves.
      std::atomic<size_t> next_part{0};
      auto work = [&] {
        for (size_t k; (k = next_part.fetch_add(1)) < n;)
          parse_part(cuts[k], k + 1 < n ? cuts[k + 1] : end, end, eof, plan.dialect, cols, opt, parts[k]);
      };
      std::deque<JoinedThread> workers;
      for (int t = 1; t < std::min<int>(threads, static_cast<int>(n)); ++t) workers.emplace_back(work);
      work();
      for (auto& w : workers) w.join();
      // A cut that fell inside a quoted field shows as a part that ran past the next one's
      // start: the next part is parsed again from where it really begins.
      for (size_t k = 1; k < n; ++k) {
        if (parts[k - 1].error.kind != ErrKind::none) break;
        if (parts[k - 1].stop != cuts[k])
          parse_part(parts[k - 1].stop, k + 1 < n ? cuts[k + 1] : end, end, eof, plan.dialect, cols, opt, parts[k]);
      }
      std::vector<Part*> done(n);
      for (size_t k = 0; k < n; ++k) done[k] = &parts[k];
      append(done);
      stop = parts[n - 1].stop;
    }
    if (reader) reader->join();
    if (eof) break;  // at end of file every row is complete or an error

    size_t tail = static_cast<size_t>(end - stop);
    if (tail > kMaxRowBytes) {
      throw_bad_input(fmt::format("a row longer than {} MB starts here; this is almost always an unterminated quote",
                                  kMaxRowBytes >> 20),
                      "close the quote, and write a quote inside a quoted field as two quotes (\"\")",
                      Where{plan.path, base_line, 0, row_text(stop, end)});
    }
    total_read += next.size;
    if (tail <= next.headroom) {
      std::memcpy(next.fresh() - tail, stop, tail);
      carry = tail;
    } else {
      big_carry.assign(stop, tail);
      carry = 0;
    }
    std::swap(cur, next);
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
