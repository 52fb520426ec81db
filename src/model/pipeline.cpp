#include "mlloop/model/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "mlloop/core/error.hpp"

namespace mlloop {

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Text -> index in `levels`, for the categories of another dataset's dictionary.
std::vector<int32_t> map_dictionary(const Column& col, const std::vector<std::string>& levels) {
  std::unordered_map<std::string, int32_t> index;
  for (size_t i = 0; i < levels.size(); ++i) index.emplace(levels[i], static_cast<int32_t>(i));
  std::vector<int32_t> map(col.dictionary.size(), -1);
  for (size_t k = 0; k < col.dictionary.size(); ++k) {
    auto it = index.find(col.dictionary[k]);
    if (it != index.end()) map[k] = it->second;
  }
  return map;
}

// Why a text column with a different value in every training row is dropped: an identifier,
// or free text (most values several words long), which the features here cannot use.
std::string unique_text_note(const Column& col) {
  if (size_t words = col.free_text_words())
    return fmt::format(
        "dropped column '{}': free text, a different value in every row (about {} words each); the features read numbers and "
        "categories only: derive columns from it (a length, keywords, a category) to use it",
        col.name, words);
  return fmt::format("dropped column '{}': unique per row, looks like an identifier", col.name);
}
}  // namespace

void Pipeline::fit(const Dataset& ds, const std::vector<size_t>& rows, const std::string& target, bool classification,
                   const Options& options, std::vector<std::string>* notes) {
  MLLOOP_ASSERT(!rows.empty());
  target_ = target;
  classification_ = classification;
  standardize_ = options.standardize;
  plans_.clear();
  classes_.clear();
  const double n = static_cast<double>(rows.size());
  // Each dropped column's reason, for the notes and for the error when none is left.
  std::vector<std::string> dropped;
  auto drop = [&](std::string why) {
    if (notes) notes->push_back(why);
    dropped.push_back(std::move(why));
  };
  for (const Column& col : ds.columns) {
    if (col.name == target) {
      if (classification) {
        std::vector<std::string> seen;
        std::unordered_map<std::string, bool> have;
        for (size_t r : rows) {
          std::string t = col.text(r);
          if (!t.empty() && have.emplace(t, true).second) classes_.push_back(t);
        }
      }
      continue;
    }
    if (std::find(options.drop_columns.begin(), options.drop_columns.end(), col.name) != options.drop_columns.end()) {
      drop(fmt::format("dropped column '{}': the recipe leaves it out", col.name));
      continue;
    }
    if (!options.group_column.empty() && col.name == options.group_column && ds.columns.size() > 2) {
      drop(fmt::format("dropped column '{}': the group split's column (dev and test hold other groups: its values never carry over)", col.name));
      continue;
    }
    ColumnPlan plan;
    plan.name = col.name;
    if (col.is_numeric()) {
      std::vector<float> v;
      v.reserve(rows.size());
      for (size_t r : rows)
        if (!std::isnan(col.values[r])) v.push_back(col.values[r]);
      if (v.empty() || *std::min_element(v.begin(), v.end()) == *std::max_element(v.begin(), v.end())) {
        drop(fmt::format("dropped column '{}': {} in the training rows", col.name, v.empty() ? "always missing" : "constant"));
        continue;
      }
      if (col.type == ColumnType::integer && v.size() == rows.size() && rows.size() > 20) {
        std::vector<float> s = v;
        std::sort(s.begin(), s.end());
        // Unique per training row, and named or laid out like a numbering: an identifier. A
        // measurement that merely does not repeat (an income on a small table) is kept.
        if (std::adjacent_find(s.begin(), s.end()) == s.end() && col.integer_identifier_like()) {
          drop(fmt::format("dropped column '{}': unique per row, looks like an identifier", col.name));
          continue;
        }
      }
      plan.kind = Kind::numeric;
      plan.indicator = v.size() < rows.size();
      auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      plan.median = *mid;
      double sum = 0, sq = 0;
      for (size_t r : rows) {
        double x = std::isnan(col.values[r]) ? plan.median : col.values[r];
        sum += x;
        sq += x * x;
      }
      plan.mean = static_cast<float>(sum / n);
      double var = sq / n - (sum / n) * (sum / n);
      plan.scale = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.f;
    } else {
      std::vector<size_t> counts(col.dictionary.size(), 0);
      size_t present = 0;
      for (size_t r : rows)
        if (col.codes[r] >= 0) {
          ++counts[static_cast<size_t>(col.codes[r])];
          ++present;
        }
      std::vector<size_t> used;
      for (size_t k = 0; k < counts.size(); ++k)
        if (counts[k]) used.push_back(k);
      if (used.size() <= 1) {
        drop(fmt::format("dropped column '{}': {} in the training rows", col.name, used.empty() ? "always missing" : "constant"));
        continue;
      }
      if (used.size() == rows.size() && rows.size() > 20 && col.type != ColumnType::datetime) {
        drop(unique_text_note(col));
        continue;
      }
      plan.indicator = present < rows.size();
      if (col.type == ColumnType::datetime) {
        plan.kind = Kind::ordinal;
        plan.sorted_levels = true;
        for (size_t k : used) plan.levels.push_back(col.dictionary[k]);
        std::sort(plan.levels.begin(), plan.levels.end());
      } else {
        std::stable_sort(used.begin(), used.end(), [&](size_t a, size_t b) { return counts[a] > counts[b]; });
        for (size_t k : used) plan.levels.push_back(col.dictionary[k]);
        plan.kind = (options.standardize && used.size() <= options.max_onehot_levels) ? Kind::onehot : Kind::ordinal;
        if (options.standardize && plan.kind == Kind::ordinal) {
          // Many levels: codes in frequency order mean nothing to a linear model or a distance.
          // One-hot the levels with rows enough to estimate an effect; the rest share a column.
          size_t frequent = 0;
          while (frequent < used.size() && frequent < options.max_frequent_levels &&
                 counts[used[frequent]] >= options.min_level_rows)
            ++frequent;
          if (frequent >= 2) {
            plan.kind = Kind::onehot;
            plan.other_levels.assign(plan.levels.begin() + static_cast<std::ptrdiff_t>(frequent), plan.levels.end());
            plan.levels.resize(frequent);
          }
        }
      }
      if (plan.kind == Kind::ordinal) {
        // Mean and scale of the codes, for the families that standardize.
        double sum = 0, sq = 0, m = 0;
        auto map = map_dictionary(col, plan.levels);
        for (size_t r : rows) {
          if (col.codes[r] < 0) continue;
          double x = map[static_cast<size_t>(col.codes[r])];
          sum += x;
          sq += x * x;
          m += 1;
        }
        plan.mean = static_cast<float>(sum / m);
        double var = sq / m - (sum / m) * (sum / m);
        plan.scale = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.f;
        plan.median = plan.mean;
      }
    }
    plans_.push_back(std::move(plan));
  }
  // Many many-level categories: their frequent levels share out max_frequent_total columns,
  // so that the one-hot matrix stays a bounded multiple of the table.
  std::vector<ColumnPlan*> many;
  size_t frequent_total = 0;
  for (auto& p : plans_)
    if (p.kind == Kind::onehot && (p.levels.size() + p.other_levels.size()) > options.max_onehot_levels) {
      many.push_back(&p);
      frequent_total += p.levels.size();
    }
  if (frequent_total > options.max_frequent_total) {
    const size_t share = std::max<size_t>(4, options.max_frequent_total / many.size());
    for (ColumnPlan* p : many)
      if (p->levels.size() > share) {
        p->other_levels.insert(p->other_levels.begin(), p->levels.begin() + static_cast<std::ptrdiff_t>(share), p->levels.end());
        p->levels.resize(share);
      }
  }
  if (notes && options.standardize)
    for (const auto& p : plans_) {
      const size_t levels = p.levels.size() + p.other_levels.size();
      if (p.kind == Kind::onehot && levels > options.max_onehot_levels && p.other_levels.empty())
        notes->push_back(fmt::format("column '{}': {} levels, each one-hot (a column each)", p.name, levels));
      else if (p.kind == Kind::onehot && levels > options.max_onehot_levels)
        notes->push_back(fmt::format("column '{}': {} levels; its {} most frequent are one-hot, the other {} share the column '{}:other'",
                                     p.name, levels, p.levels.size(), p.other_levels.size(), p.name));
      else if (p.kind == Kind::ordinal && !p.sorted_levels)
        notes->push_back(fmt::format("column '{}': {} levels, fewer than two of them in {} training rows or more: read as one column of "
                                     "codes in frequency order, which linear, mlp and knn make little of (gbdt can group them)",
                                     p.name, levels, options.min_level_rows));
    }
  width_ = feature_names().size();
  if (width_ == 0) {
    std::string why;
    for (size_t i = 0; i < dropped.size() && i < 5; ++i) why += (i ? "; " : "") + dropped[i];
    if (dropped.size() > 5) why += fmt::format("; and {} more", dropped.size() - 5);
    throw_bad_input(dropped.empty() ? std::string("no usable feature columns: the table has no column but the target")
                                    : fmt::format("no usable feature columns: every column other than the target was dropped ({})", why),
                    "add a column that varies and repeats (numbers or categories), then mlloop init --force", Where{ds.source, 0, 0, {}});
  }
}

std::vector<std::string> Pipeline::feature_names() const {
  std::vector<std::string> out;
  for (const auto& p : plans_) {
    if (p.kind == Kind::onehot) {
      for (const auto& l : p.levels) out.push_back(p.name + "=" + l);
      if (!p.other_levels.empty()) out.push_back(p.name + ":other");
    } else {
      out.push_back(p.name);
    }
    if (p.indicator && p.kind != Kind::onehot) out.push_back(p.name + ":missing");
  }
  return out;
}

std::vector<std::pair<std::string, bool>> Pipeline::feature_sources() const {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& p : plans_) {
    if (p.kind == Kind::onehot) {
      for (size_t k = 0; k < p.levels.size() + (p.other_levels.empty() ? 0 : 1); ++k) out.emplace_back(p.name, true);
    } else {
      out.emplace_back(p.name, p.kind == Kind::ordinal && !p.sorted_levels);
    }
    if (p.indicator && p.kind != Kind::onehot) out.emplace_back(p.name, true);
  }
  return out;
}

namespace {
// YYYY-MM-DD at the start: how the reader writes the dates it reads (a time may follow).
bool looks_iso_date(const std::string& t) {
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (t[i] < '0' || t[i] > '9') return false;
  return true;
}
}  // namespace

void Pipeline::check_dates(const Dataset& ds, const std::vector<size_t>& rows) const {
  for (const auto& p : plans_) {
    if (!p.sorted_levels) continue;
    auto c = ds.find(p.name);
    if (!c || ds.columns[*c].type == ColumnType::datetime) continue;
    const Column& col = ds.columns[*c];
    const std::unordered_set<std::string> known(p.levels.begin(), p.levels.end());
    for (size_t r : rows) {
      if (col.is_missing(r)) continue;
      const std::string t = col.text(r);
      if (known.count(t) || looks_iso_date(t)) continue;
      throw_bad_input(fmt::format("column '{}' holds {} here, which is no date as the training data writes them", p.name,
                                  shorten_for_message(t, 40)),
                      fmt::format("write its dates as the training data does (for example {}), or leave the value empty if it is missing",
                                  p.levels.empty() ? std::string("2024-01-31") : p.levels.front()),
                      Where{ds.source, ds.line(r), static_cast<int64_t>(*c) + 1, t});
    }
  }
}

Matrix Pipeline::transform(const Dataset& ds, const std::vector<size_t>& rows) const {
  Matrix m;
  m.rows = rows.size();
  m.cols = width_;
  m.data.assign(m.rows * m.cols, 0.f);
  if (!standardize_) m.categorical.assign(m.cols, 0);
  size_t off = 0;
  for (const auto& p : plans_) {
    auto c = ds.find(p.name);
    if (!c) throw_bad_input(fmt::format("column '{}' is missing", p.name), "give a file with the training data's columns",
                            Where{ds.source, 1, 0, {}});
    const Column& col = ds.columns[*c];
    if (p.kind == Kind::numeric) {
      if (!col.is_numeric()) {
        // Name the first value that is no number, where it is.
        for (size_t i = 0; i < rows.size(); ++i) {
          const std::string t = col.text(rows[i]);
          char* end = nullptr;
          std::strtod(t.c_str(), &end);
          if (t.empty() || (end != t.c_str() && *end == '\0')) continue;
          throw_bad_input(fmt::format("column '{}' holds text here but numbers in the training data", p.name),
                          "give the column numeric values (a missing value may be left empty)",
                          Where{ds.source, ds.line(rows[i]), static_cast<int64_t>(*c) + 1, t});
        }
        throw_bad_input(fmt::format("column '{}' holds text here but numbers in the training data", p.name),
                        "give the column numeric values", Where{ds.source, 0, static_cast<int64_t>(*c) + 1, {}});
      }
      for (size_t i = 0; i < rows.size(); ++i) {
        float x = col.values[rows[i]];
        bool miss = std::isnan(x);
        float v = miss ? (standardize_ ? p.median : kNaN) : x;
        if (standardize_) v = (v - p.mean) / p.scale;
        m.at(i, off) = v;
        if (p.indicator) m.at(i, off + 1) = miss ? 1.f : 0.f;
      }
      off += 1 + (p.indicator ? 1 : 0);
      continue;
    }
    // Categorical: match by text. A numeric column here (e.g. codes) is matched by its text too.
    const std::vector<std::string> all_levels = p.seen_levels();
    std::vector<int32_t> map;
    std::unordered_map<std::string, int32_t> by_text;
    auto code_of = [&](size_t r) -> int32_t {
      if (col.is_numeric()) {
        if (std::isnan(col.values[r])) return -1;
        auto it = by_text.find(col.text(r));
        return it == by_text.end() ? -1 : it->second;
      }
      int32_t k = col.codes[r];
      return k < 0 ? -1 : map[static_cast<size_t>(k)];
    };
    if (col.is_numeric()) {
      for (size_t k = 0; k < all_levels.size(); ++k) by_text.emplace(all_levels[k], static_cast<int32_t>(k));
    } else {
      map = map_dictionary(col, all_levels);
    }
    if (p.kind == Kind::onehot) {
      const size_t frequent = p.levels.size();
      for (size_t i = 0; i < rows.size(); ++i) {
        int32_t k = code_of(rows[i]);
        if (k >= 0) m.at(i, off + std::min(static_cast<size_t>(k), frequent)) = 1.f;
      }
      off += frequent + (p.other_levels.empty() ? 0 : 1);
      continue;
    }
    // Ordinal.
    if (!standardize_ && !p.sorted_levels) m.categorical[off] = 1;
    for (size_t i = 0; i < rows.size(); ++i) {
      size_t r = rows[i];
      int32_t k = code_of(r);
      bool miss = col.is_missing(r);
      float v;
      if (k >= 0) {
        v = static_cast<float>(k);
      } else if (!miss && p.sorted_levels && looks_iso_date(col.text(r))) {  // an unseen date: its place in time order
        std::string t = col.text(r);
        v = static_cast<float>(std::lower_bound(p.levels.begin(), p.levels.end(), t) - p.levels.begin()) - 0.5f;
      } else {
        // A value of a date column that is no date in the form the reader writes (a column it
        // did not read as dates holds raw text: "09/11/2020" would sort before every date of
        // 2020) is missing here; predict refuses it first (check_dates).
        miss = miss || p.sorted_levels;
        v = standardize_ ? p.mean : kNaN;  // missing or unseen category
      }
      if (standardize_) v = (v - p.mean) / p.scale;
      m.at(i, off) = v;
      if (p.indicator) m.at(i, off + 1) = miss ? 1.f : 0.f;
    }
    off += 1 + (p.indicator ? 1 : 0);
  }
  return m;
}

std::vector<Pipeline::Unseen> Pipeline::unseen_categories(const Dataset& ds, const std::vector<size_t>& rows) const {
  std::vector<Unseen> out;
  for (const auto& p : plans_) {
    if (p.kind == Kind::numeric || p.sorted_levels) continue;
    auto c = ds.find(p.name);
    if (!c) continue;  // transform says so
    const std::vector<std::string> seen = p.seen_levels();
    Column::Unknown u = ds.columns[*c].unknown_values(rows, std::unordered_set<std::string>(seen.begin(), seen.end()));
    if (u.rows) out.push_back(Unseen{p.name, u.rows, std::move(u.first)});
  }
  return out;
}

std::vector<float> Pipeline::target(const Dataset& ds, const std::vector<size_t>& rows) const {
  auto c = ds.find(target_);
  if (!c) throw_bad_input(fmt::format("target column '{}' is missing", target_), "", Where{ds.source, 1, 0, {}});
  const Column& col = ds.columns[*c];
  std::vector<float> y(rows.size(), kNaN);
  if (!classification_) {
    if (!col.is_numeric()) throw_bad_input(fmt::format("target '{}' is not numeric here", target_), "", Where{ds.source, 0, 0, {}});
    for (size_t i = 0; i < rows.size(); ++i) y[i] = col.values[rows[i]];
    return y;
  }
  std::unordered_map<std::string, float> index;
  for (size_t k = 0; k < classes_.size(); ++k) index.emplace(classes_[k], static_cast<float>(k));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = index.find(col.text(rows[i]));
    if (it != index.end()) y[i] = it->second;
  }
  return y;
}

nlohmann::json Pipeline::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& p : plans_) {
    cols.push_back({{"name", p.name}, {"kind", p.kind == Kind::numeric ? "numeric" : p.kind == Kind::onehot ? "onehot" : "ordinal"},
                    {"median", p.median}, {"mean", p.mean}, {"scale", p.scale}, {"indicator", p.indicator},
                    {"sorted_levels", p.sorted_levels}, {"levels", p.levels}, {"other_levels", p.other_levels}});
  }
  return {{"version", 1}, {"target", target_}, {"classification", classification_}, {"standardize", standardize_},
          {"classes", classes_}, {"columns", cols}};
}

Pipeline Pipeline::from_json(const nlohmann::json& j) {
  Pipeline p;
  p.target_ = j.at("target");
  p.classification_ = j.at("classification");
  p.standardize_ = j.at("standardize");
  p.classes_ = j.at("classes").get<std::vector<std::string>>();
  for (const auto& c : j.at("columns")) {
    ColumnPlan plan;
    plan.name = c.at("name");
    std::string kind = c.at("kind");
    plan.kind = kind == "numeric" ? Kind::numeric : kind == "onehot" ? Kind::onehot : Kind::ordinal;
    plan.median = c.at("median");
    plan.mean = c.at("mean");
    plan.scale = c.at("scale");
    plan.indicator = c.at("indicator");
    plan.sorted_levels = c.at("sorted_levels");
    plan.levels = c.at("levels").get<std::vector<std::string>>();
    plan.other_levels = c.value("other_levels", std::vector<std::string>{});  // absent before the rare-level column
    p.plans_.push_back(std::move(plan));
  }
  p.width_ = p.feature_names().size();
  return p;
}

}  // namespace mlloop
