// Splitting rows into train / train-dev / dev / test. The assignment is frozen in the
// project's manifest at init and never recomputed silently.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mlloop/data/dataset.hpp"
#include "mlloop/data/task.hpp"

namespace mlloop {

enum class SplitName : int { train = 0, train_dev = 1, dev = 2, test = 3 };
inline constexpr std::array<SplitName, 4> kAllSplits = {SplitName::train, SplitName::train_dev, SplitName::dev,
                                                        SplitName::test};
const char* to_string(SplitName s);
std::optional<SplitName> parse_split_name(std::string_view s);

enum class SplitMethod { random, stratified, group, time };

struct SplitSpec {
  SplitMethod method = SplitMethod::stratified;
  std::string column;  // for group and time

  // "random", "stratified", "group:COL" or "time:COL"; throws a bad-input Error otherwise.
  static SplitSpec parse(std::string_view text);
  std::string str() const;
  // The column of a group split, else "".
  std::string group_column() const { return method == SplitMethod::group ? column : std::string(); }
};

// How many rows of DATA go to each split. Splits that come from their own file get 0.
struct SplitSizes {
  std::array<size_t, 4> rows{};  // indexed by SplitName
  size_t operator[](SplitName s) const { return rows[static_cast<int>(s)]; }
};

// Up to 100k rows: 70/10/10/10. Above: 10k rows each for train-dev, dev and test.
// With dev or test from a file, only the other splits are carved out of DATA.
SplitSizes default_sizes(size_t n, bool dev_from_file, bool test_from_file);
// The fewest rows of DATA that still give every carved split 2 rows.
size_t minimum_rows(bool dev_from_file, bool test_from_file);

// Positions (indices into the Dataset) of the rows of each split, ascending.
struct SplitAssignment {
  std::array<std::vector<size_t>, 4> rows;
  const std::vector<size_t>& operator[](SplitName s) const { return rows[static_cast<int>(s)]; }
  std::vector<size_t>& operator[](SplitName s) { return rows[static_cast<int>(s)]; }
};

// Splits the rows of `ds`. `target` is the target column (used by stratified splits).
SplitAssignment make_splits(const Dataset& ds, size_t target, Task task, const SplitSpec& spec,
                            const SplitSizes& sizes, uint64_t seed);

// Splitters, one file each.
SplitAssignment split_random(size_t n, const SplitSizes& sizes, uint64_t seed);
SplitAssignment split_stratified(const std::vector<int32_t>& classes, const SplitSizes& sizes, uint64_t seed);
SplitAssignment split_group(const Dataset& ds, size_t group_col, const SplitSizes& sizes, uint64_t seed);
SplitAssignment split_time(const Dataset& ds, size_t time_col, const SplitSizes& sizes, uint64_t seed);

// Deterministic shuffling shared by the splitters (same seed, same order, on every platform).
void seeded_shuffle(std::vector<size_t>& v, uint64_t seed);

}  // namespace mlloop
