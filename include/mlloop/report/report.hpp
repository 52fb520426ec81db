// `mlloop report`: one self-contained HTML file (the dashboard's page with its data, its
// charting library and its style inline), which opens offline and fetches nothing.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "mlloop/project/project.hpp"

namespace mlloop {
class Context;
class Registry;

// Everything the page shows, as the dashboard's API would serve it: status, diagnosis,
// iterations, every run, each iteration's runs, predictions, and the label, shift and slice
// tables. A view that cannot be computed (no finished run yet, say) is null, with the reason
// in "notes".
nlohmann::json report_data(Project& project, const Registry& registry, Context& ctx);

// The report page for `data` (report_data's output).
std::string render_report(const nlohmann::json& data);

}  // namespace mlloop
