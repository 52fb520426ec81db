#include "mlloop/project/project_data.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/data/csv.hpp"

namespace mlloop {

const SplitPart& ProjectData::data_part(SplitName s) const {
  static const SplitPart empty;
  auto it = splits.find(s);
  if (it == splits.end()) return empty;
  for (const auto& p : it->second)
    if (p.source == "data") return p;
  return empty;
}

CsvOptions project_csv_options(const Project& project, Context& ctx) {
  CsvOptions opt = project.config.csv_options();
  opt.threads = ctx.threads;
  if (auto orders = project.store->meta("date_orders"))
    opt.date_orders = nlohmann::json::parse(*orders).get<std::map<std::string, std::string>>();
  if (auto formats = project.store->meta("number_formats"))
    opt.number_formats = nlohmann::json::parse(*formats).get<std::map<std::string, std::string>>();
  return opt;
}

ProjectData load_project_data(const Project& project, Context& ctx, bool with_test) {
  ProjectData out;
  CsvOptions opt = project_csv_options(project, ctx);
  const std::map<std::string, std::string> paths = {
      {"data", project.config.data}, {"dev", project.config.dev_data}, {"test", project.config.test_data}};
  for (SplitName s : kAllSplits) {
    if (s == SplitName::test && !with_test) continue;
    for (SplitRows& rows : project.store->split_rows(s)) {
      auto& file = out.files[rows.source];
      if (!file) file = std::make_unique<Dataset>(read_csv(paths.at(rows.source), opt));
      std::unordered_map<int64_t, size_t> position;
      position.reserve(file->rows());
      for (size_t i = 0; i < file->rows(); ++i) position.emplace(file->row_id(i), i);
      SplitPart part;
      part.data = file.get();
      part.source = rows.source;
      for (int64_t id : rows.row_ids) {
        auto it = position.find(id);
        if (it == position.end())
          throw_data_changed(fmt::format("row {} of the {} file is in the manifest but not in the file", id, rows.source),
                             "re-split with mlloop init --force");
        part.positions.push_back(it->second);
      }
      part.row_ids = std::move(rows.row_ids);
      out.splits[s].push_back(std::move(part));
    }
  }
  return out;
}

}  // namespace mlloop
