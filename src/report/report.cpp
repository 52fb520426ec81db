#include "mlloop/report/report.hpp"

#include <fmt/format.h>

#include "../store/time_utc.hpp"
#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/report/views.hpp"
#include "mlloop/server/api.hpp"

namespace mlloop {

using json = nlohmann::json;

json report_data(Project& project, const Registry& registry, Context& ctx) {
  Store& store = *project.store;
  const std::string& metric = project.config.metric;
  json d;
  json notes = json::array();
  // A view that fails leaves a note and a null, not a broken report.
  auto attempt = [&](const char* name, auto compute) -> json {
    try {
      return compute();
    } catch (const Error& e) {
      notes.push_back(fmt::format("{}: {}", name, e.message()));
    } catch (const std::exception& e) {
      notes.push_back(fmt::format("{}: {}", name, e.what()));
    }
    return nullptr;
  };
  // While a loop runs on the project, the report fits nothing of its own, as the dashboard: it
  // shows what the loop has cached, and says so.
  DiagnoseOptions options;
  options.fit = !loop_running(project.dir);
  if (!options.fit)
    notes.push_back("a loop was running on the project: the analyses are what it had cached (this report fitted no model)");
  d["diagnosis"] = attempt("diagnosis", [&] { return diagnose(project, std::nullopt, registry, ctx, options); });
  d["status"] = views::status(project.name, project.config, store);
  d["iterations"] = views::iterations(store, project.config, optimal_bound_json(project.config, store));
  json runs = json::array();
  for (const auto& r : store.runs()) runs.push_back(views::run(store, r, metric));
  d["runs"] = std::move(runs);
  json by_iteration = json::object();
  for (const auto& it : d["iterations"]["iterations"]) {
    int64_t index = it["index"];
    if (auto v = views::iteration(store, metric, index)) by_iteration[std::to_string(index)] = *v;
  }
  d["iteration_runs"] = std::move(by_iteration);
  d["predictions"] = attempt("predictions", [&] { return dev_predictions(project, registry, ctx); });
  json insp = json::object();
  for (const char* what : {"labels", "shift", "slices"})
    insp[what] = attempt(what, [&] { return inspect(project, what, 20, registry, ctx, options.fit); });
  d["inspect"] = std::move(insp);
  d["summary"] = views::summary(store, metric);
  d["generated_at"] = store_detail::now_utc();
  d["notes"] = std::move(notes);
  return d;
}

std::string render_report(const json& data) { return server::report_page(data.dump()); }

}  // namespace mlloop
