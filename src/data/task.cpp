#include "mlloop/data/task.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "csv_internal.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop {

const char* to_string(Task t) {
  switch (t) {
    case Task::binary: return "binary";
    case Task::multiclass: return "multiclass";
    case Task::regression: return "regression";
  }
  return "?";
}

std::optional<Task> parse_task(std::string_view s) {
  if (s == "binary") return Task::binary;
  if (s == "multiclass") return Task::multiclass;
  if (s == "regression") return Task::regression;
  return std::nullopt;
}

std::vector<ClassCount> class_counts(const Column& target) {
  std::vector<ClassCount> out;
  if (!target.is_numeric()) {
    std::vector<long> index(target.dictionary.size(), -1);
    for (size_t i = 0; i < target.codes.size(); ++i) {
      int32_t c = target.codes[i];
      if (c < 0) continue;
      auto& slot = index[static_cast<size_t>(c)];
      if (slot < 0) {
        slot = static_cast<long>(out.size());
        out.push_back(ClassCount{target.dictionary[static_cast<size_t>(c)], 0, i});
      }
      ++out[static_cast<size_t>(slot)].count;
    }
    return out;
  }
  std::map<float, size_t> index;
  for (size_t i = 0; i < target.values.size(); ++i) {
    float v = target.values[i];
    if (std::isnan(v)) continue;
    auto [it, inserted] = index.emplace(v, out.size());
    if (inserted) out.push_back(ClassCount{target.text(i), 0, i});
    ++out[it->second].count;
  }
  return out;
}

namespace {
// The rows of a text column whose values are plain numbers, and the first row that is not one.
struct NumberRows {
  size_t numbers = 0, others = 0;
  size_t first_other = 0;
};
NumberRows number_rows(const Column& col) {
  NumberRows r;
  std::vector<char> number(col.dictionary.size());
  for (size_t k = 0; k < number.size(); ++k) {
    float f = 0;
    number[k] = csv::parse_number(col.dictionary[k], f) ? 1 : 0;
  }
  for (size_t i = 0; i < col.codes.size(); ++i) {
    if (col.codes[i] < 0) continue;
    if (number[static_cast<size_t>(col.codes[i])]) {
      ++r.numbers;
    } else if (r.others++ == 0) {
      r.first_other = i;
    }
  }
  return r;
}
}  // namespace

TaskDecision detect_task(const Column& target) {
  TaskDecision d;
  if (target.type == ColumnType::categorical || target.type == ColumnType::boolean ||
      target.type == ColumnType::datetime) {
    size_t k = target.distinct_count();
    d.task = k <= 2 ? Task::binary : Task::multiclass;
    d.reason = fmt::format("target '{}' holds {} with {} distinct values", target.name,
                           target.type == ColumnType::boolean ? "booleans" : "text", k);
    return d;
  }
  size_t k = target.distinct_count();
  if (target.type == ColumnType::integer && k <= 20) {
    d.task = k <= 2 ? Task::binary : Task::multiclass;
    d.reason = fmt::format("target '{}' holds integers with {} distinct values (at most 20 means classes)", target.name, k);
    if (k > 2) d.hint = "if they are amounts or ordered scores, give mlloop init --task regression (with --force to redo a project)";
    return d;
  }
  d.task = Task::regression;
  d.reason = target.type == ColumnType::integer
                 ? fmt::format("target '{}' holds integers with {} distinct values (more than 20 means a quantity)",
                               target.name, k)
                 : fmt::format("target '{}' holds real numbers", target.name);
  return d;
}

void validate_target(const Dataset& ds, size_t t, Task task) {
  const Column& col = ds.columns[t];
  const size_t n = col.size();
  size_t first = n;
  for (size_t i = 0; i < n; ++i)
    if (!col.is_missing(i)) {
      first = i;
      break;
    }
  if (first == n)
    throw_bad_input(fmt::format("target column '{}' has no values: every row is missing", col.name),
                    "choose another --target column", Where{ds.source, 0, 0, {}});
  // A text target that is mostly numbers: named by its first value that is not one.
  const NumberRows nr = col.is_numeric() ? NumberRows{} : number_rows(col);
  const bool mostly_numbers = nr.others > 0 && nr.numbers >= 20 && nr.others * 10 <= nr.numbers + nr.others;
  auto not_numbers = [&] {
    const std::string value = shorten_for_message(col.text(nr.first_other));
    if (nr.others == 1) return fmt::format("{} is not a number", value);
    return fmt::format("{} (this line) and {} other rows are not numbers", value, with_commas(static_cast<int64_t>(nr.others - 1)));
  };
  const std::string as_missing =
      "if such values mark a missing target, give them to mlloop init --missing (the defaults ',NA,N/A,NaN,null,?' and "
      "those values; rows without a target are dropped)";
  if (task == Task::regression && !col.is_numeric()) {
    if (nr.numbers > 0 && nr.others > 0)
      throw_bad_input(fmt::format("target '{}' is not numeric: {}, so it cannot be a regression target", col.name, not_numbers()),
                      fmt::format("{}; else fix them, or use --task binary or --task multiclass", as_missing),
                      Where{ds.source, ds.line(nr.first_other), static_cast<int64_t>(t + 1), col.text(nr.first_other)});
    throw_bad_input(fmt::format("target '{}' is not numeric ({} at this line), so it cannot be a regression target",
                                col.name, shorten_for_message(col.text(first))),
                    "use --task binary or --task multiclass, or choose a numeric target",
                    Where{ds.source, ds.line(first), static_cast<int64_t>(t + 1), col.text(first)});
  }
  auto classes = class_counts(col);
  if (col.distinct_count() == 1) {
    throw_bad_input(fmt::format("target '{}' is constant: every row holds {}, so there is nothing to learn", col.name,
                                shorten_for_message(col.text(first))),
                    "choose a --target column whose value varies",
                    Where{ds.source, ds.line(first), static_cast<int64_t>(t + 1), col.text(first)});
  }
  if (!is_classification(task)) return;
  // Before the rare classes: a numeric column of many values given --task binary has many
  // classes of one row, and the first of them is not the problem.
  if (task == Task::binary && classes.size() != 2) {
    throw_bad_input(fmt::format("--task binary needs exactly 2 classes, but target '{}' has {}", col.name,
                                with_commas(static_cast<int64_t>(classes.size()))),
                    col.is_numeric() && classes.size() > 2 ? "use --task regression for a quantity, or --task multiclass for classes"
                                                           : "use --task multiclass",
                    Where{ds.source, 0, 0, {}});
  }
  for (const auto& c : classes) {
    if (c.count < 2 && mostly_numbers) {
      // Numbers with a few other values ("inf", "-") among them: read as text, every number
      // its own class.
      throw_bad_input(fmt::format("target '{}' was read as text, not as numbers: {}; as text it has {} classes, and "
                                  "class {} has only 1 row",
                                  col.name, not_numbers(), with_commas(static_cast<int64_t>(classes.size())),
                                  shorten_for_message(c.label)),
                      fmt::format("{}; else fix them", as_missing),
                      Where{ds.source, ds.line(nr.first_other), static_cast<int64_t>(t + 1), col.text(nr.first_other)});
    }
    if (c.count < 2) {
      throw_bad_input(fmt::format("class {} of target '{}' has only {} row; every class needs at least 2 rows to be "
                                  "split and learned",
                                  shorten_for_message(c.label), col.name, c.count),
                      "remove or merge this rare class, fix it if it is a typo, or use --task regression for a "
                      "numeric target",
                      Where{ds.source, ds.line(c.first_row), static_cast<int64_t>(t + 1), c.label});
    }
  }
  if (task == Task::multiclass && classes.size() < 2) {
    throw_bad_input(fmt::format("target '{}' has fewer than 2 classes", col.name), "choose another target",
                    Where{ds.source, 0, 0, {}});
  }
}

}  // namespace mlloop
