#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/model/model.hpp"
#include "mlloop/report/report.hpp"

namespace mlloop::cli {

int run_report(const ReportArgs& args, Context& ctx) {
  Project project = Project::open(args.dir);
  ctx.seed = project.config.seed;
  Registry registry;
  register_builtins(registry);
  nlohmann::json data = report_data(project, registry, ctx);
  std::string html = render_report(data);
  // Written beside the target, then renamed: a reader never sees half a report.
  // Without -o, the project's own reports folder (where the demo writes its report).
  std::filesystem::path out =
      args.output.empty() ? std::filesystem::path(project.dir) / ".mlloop" / "reports" / "report.html" : std::filesystem::path(args.output);
  std::error_code made;  // a folder that cannot be made is said by the write below (exit 2)
  if (args.output.empty()) std::filesystem::create_directories(out.parent_path(), made);
  std::filesystem::path tmp = out;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f.write(html.data(), static_cast<std::streamsize>(html.size()));
    f.close();
    if (!f)
      throw_bad_input(fmt::format("cannot write '{}'", out.string()), "check that the folder exists and is writable");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec)
    throw_bad_input(fmt::format("cannot write '{}': {}", out.string(), ec.message()),
                    "check that the folder is writable");
  fmt::print(ctx.out(), "report: {} ({:.1f} MB, self-contained: opens offline)\n",
             std::filesystem::absolute(out).string(), static_cast<double>(html.size()) / 1e6);
  for (const auto& n : data["notes"]) fmt::print(ctx.err(), "note: {}\n", n.get<std::string>());
  return 0;
}

}  // namespace mlloop::cli
