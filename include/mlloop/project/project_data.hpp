// The project's data, read back and cut along the frozen manifest.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mlloop/data/dataset.hpp"
#include "mlloop/project/project.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

class Context;

// The rows of one split that live in one file.
struct SplitPart {
  const Dataset* data = nullptr;
  std::string source;              // data | dev | test
  std::vector<size_t> positions;   // rows of `data`, ascending by row id
  std::vector<int64_t> row_ids;
};

struct ProjectData {
  std::map<std::string, std::unique_ptr<Dataset>> files;  // by source
  std::map<SplitName, std::vector<SplitPart>> splits;

  // The single part of a split that comes from DATA (train and train-dev always do).
  const SplitPart& data_part(SplitName s) const;
};

// Reads the data files with the project's CSV options and maps the manifest's row ids to
// rows. The test split is left out unless `with_test`: the loop never reads it.
ProjectData load_project_data(const Project& project, Context& ctx, bool with_test = false);
// The CSV options of the project's files: mlloop.toml's, and how init read the data file's
// dates and decimal marks (so that a dev, test or predict file whose values read both ways,
// such as 01/05/2020 or 1.234, reads them the same way).
CsvOptions project_csv_options(const Project& project, Context& ctx);

}  // namespace mlloop
