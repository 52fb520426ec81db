#include "mlloop/server/api.hpp"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/model.hpp"
#include "mlloop/project/project.hpp"
#include "mlloop/report/views.hpp"

namespace mlloop::server {

using json = nlohmann::json;

Response json_error(int status, std::string_view message) {
  return {status, "application/json", json{{"error", {{"code", status}, {"message", message}}}}.dump()};
}

namespace {

Response ok(const json& j) { return {200, "application/json", j.dump()}; }

// A bad request parameter: the handlers throw it and the dispatcher answers 400.
struct BadParam : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct NotFound : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int64_t parse_int(std::string_view name, std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty())
    throw BadParam(fmt::format("parameter '{}' must be an integer, got '{}'", name, text.substr(0, 40)));
  if (v < lo || v > hi)
    throw BadParam(fmt::format("parameter '{}' must be between {} and {}, got {}", name, lo, hi, v));
  return v;
}

std::optional<std::string> param(const Request& r, const std::string& name) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return std::nullopt;
  return it->second;
}

// Rejects parameters a route does not take: a typo must not be silently ignored.
void only_params(const Request& r, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : r.query)
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
      throw BadParam(fmt::format("unknown parameter '{}' for {}", k.substr(0, 40), r.path));
}

// The id after a route's prefix ("/api/runs/12" -> 12); anything but digits is a bad request.
int64_t path_id(const Request& r, std::string_view prefix) {
  return parse_int("id", std::string_view(r.path).substr(prefix.size()), 0, INT64_MAX);
}

}  // namespace

struct Api::State {
  std::string name;
  ProjectConfig config;
  std::string store_path;
  Context* ctx;
  // The analyses write their caches to the store: they share one read-write project,
  // one at a time.
  std::mutex analysis_mutex;
  std::unique_ptr<Project> project;
  Registry registry;

  // A read-only connection per server thread, kept between requests: each statement runs in
  // its own read transaction, so it always sees the last commit, and never blocks the writer.
  Store* reader() {
    thread_local std::map<std::string, std::unique_ptr<Store>> connections;
    auto& c = connections[store_path];
    if (!c) c = Store::open(store_path, Store::Mode::read_only);
    return c.get();
  }

  // Response bodies by view, each with the state of the store it was computed at: served
  // again while that state holds.
  std::mutex cache_mutex;
  std::map<std::string, std::pair<std::string, std::string>> cache;  // view -> (state, body)
  std::optional<std::string> lookup(const std::string& view, const std::string& state) {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(view); it != cache.end() && it->second.first == state) return it->second.second;
    return std::nullopt;
  }
  std::string remember(const std::string& view, const std::string& state, std::string body) {
    std::lock_guard lock(cache_mutex);
    cache[view] = {state, body};
    return body;
  }
  static Response ok_body(std::string body) { return {200, "application/json", std::move(body)}; }

  // Views of the store alone, keyed by the state they read (`state` gives it): a page polling
  // is served without recomputing while that state holds.
  template <class K, class F>
  Response cached_view(const std::string& view, K state, F compute) {
    Store* st = reader();
    std::string key = state(*st);
    if (auto body = lookup(view, key)) return ok_body(std::move(*body));
    return ok_body(remember(view, key, compute(*st).dump()));
  }

  // The state the analyses depend on: the incumbent and the analyses cached in the store.
  std::string analysis_key() {
    Store* s = reader();
    auto inc = s->incumbent(config.metric, !metrics::higher_is_better(config.metric));
    sql::Stmt st(s->db(), "SELECT count(*) FROM project");
    st.step();
    return fmt::format("{}:{}", inc ? *inc : -1, st.int64(0));
  }

  // The analyses (diagnosis, predictions, inspect views), computed one at a time on the
  // read-write project.
  template <class F>
  Response cached_analysis(const std::string& view, F compute) {
    if (auto body = lookup(view, analysis_key())) return ok_body(std::move(*body));
    std::lock_guard lock(analysis_mutex);
    if (auto body = lookup(view, analysis_key())) return ok_body(std::move(*body));  // computed meanwhile
    std::string body = compute().dump();
    // The analysis may have cached new results in the store: key the body by the state after.
    return ok_body(remember(view, analysis_key(), std::move(body)));
  }

  bool has_incumbent() {
    auto s = reader();
    return s->incumbent(config.metric, !metrics::higher_is_better(config.metric)).has_value();
  }

  // The project's data files, as every CLI command checks them (exit 3 when one changed since
  // init): the API answers 409 with that message instead of serving figures the data no
  // longer backs. A file is hashed again only when its size or modification time moved since
  // it was last found unchanged, so a polling page costs a stat per file.
  using FileStats = std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>>;  // path -> (bytes, mtime)
  std::mutex data_mutex;
  FileStats data_seen;  // as Project::open found the files unchanged, then as each check did
  FileStats data_stats() {
    FileStats now;
    for (const auto& f : reader()->data_files()) {
      std::error_code ec;
      const uintmax_t bytes = std::filesystem::file_size(f.path, ec);
      const auto mtime = ec ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(f.path, ec);
      now[f.path] = {ec ? static_cast<uintmax_t>(-1) : bytes, mtime};
    }
    return now;
  }
  void check_data() {
    std::lock_guard lock(data_mutex);
    FileStats now = data_stats();
    if (now == data_seen) return;
    verify_data_unchanged(*reader(), project_toml(project->dir), config);  // throws data_changed
    data_seen = std::move(now);
  }
};

Api::Api(const std::string& dir, Context& ctx) : s_(std::make_unique<State>()) {
  s_->project = std::make_unique<Project>(Project::open(dir, Store::Mode::read_write));
  s_->name = s_->project->name;
  s_->config = s_->project->config;
  s_->store_path = project_store(s_->project->dir);
  s_->ctx = &ctx;
  s_->data_seen = s_->data_stats();  // Project::open has just hashed them
  register_builtins(s_->registry);
}

Api::~Api() = default;

namespace {

Response asset_response(std::string_view name) {
  auto a = web_asset(name);
  if (!a || name == "index.html") return json_error(404, fmt::format("no such file: /assets/{}", name.substr(0, 80)));
  return {200, std::string(a->content_type), std::string(a->body)};
}

}  // namespace

Response Api::handle(const Request& r) {
  State& s = *s_;
  try {
    if (r.method != "GET" && r.method != "HEAD")
      return json_error(405, fmt::format("{} is not allowed: the API is read-only", r.method.substr(0, 10)));
    const std::string& p = r.path;
    if (p == "/" || p == "/index.html") {
      only_params(r, {});
      return {200, "text/html; charset=utf-8", dashboard_page()};
    }
    if (p.rfind("/assets/", 0) == 0) return asset_response(std::string_view(p).substr(8));
    if (p.rfind("/api/", 0) == 0) s.check_data();
    if (p == "/api/status") {
      only_params(r, {});
      auto st = s.reader();
      return ok(views::status(s.name, s.config, *st));
    }
    if (p == "/api/summary") {
      only_params(r, {});
      auto st = s.reader();
      json j = views::summary(*st, s.config.metric);
      j["loop_running"] = loop_running(s.project->dir);  // the page refreshes its analyses when the loop stops
      return ok(j);
    }
    if (p == "/api/runs") {
      only_params(r, {"offset", "limit", "sort", "order", "iteration", "status"});
      views::RunsQuery q;
      if (auto v = param(r, "offset")) q.offset = parse_int("offset", *v, 0, INT64_MAX / 2);
      if (auto v = param(r, "limit")) q.limit = parse_int("limit", *v, 1, views::kMaxRunsPage);
      if (auto v = param(r, "sort")) {
        const auto& keys = views::run_sort_keys();
        if (std::find(keys.begin(), keys.end(), *v) == keys.end())
          throw BadParam(
              fmt::format("parameter 'sort' must be one of {}, got '{}'", fmt::join(keys, ", "), v->substr(0, 40)));
        q.sort = *v;
      }
      if (auto v = param(r, "order")) {
        if (*v != "asc" && *v != "desc")
          throw BadParam(fmt::format("parameter 'order' must be asc or desc, got '{}'", v->substr(0, 40)));
        q.descending = *v == "desc";
      }
      if (auto v = param(r, "iteration")) q.iteration = parse_int("iteration", *v, 0, INT64_MAX);
      if (auto v = param(r, "status")) {
        static const std::vector<std::string> statuses = {"running", "done", "failed", "diverged", "stopped"};
        if (std::find(statuses.begin(), statuses.end(), *v) == statuses.end())
          throw BadParam(fmt::format("parameter 'status' must be one of {}, got '{}'", fmt::join(statuses, ", "),
                                     v->substr(0, 40)));
        q.status = *v;
      }
      auto st = s.reader();
      return ok(views::runs_page(*st, s.config.metric, q));
    }
    if (p.rfind("/api/runs/", 0) == 0) {
      only_params(r, {});
      int64_t id = path_id(r, "/api/runs/");
      auto st = s.reader();
      auto run = st->run(id);
      if (!run) throw NotFound(fmt::format("no run {} in this project", id));
      json j = views::run(*st, *run, s.config.metric);
      j["curve"] = json::array();
      for (const auto& m : st->run_curve(id))
        j["curve"].push_back({{"split", m.split},
                              {"name", m.name},
                              {"step", m.step ? json(*m.step) : json(nullptr)},
                              {"value", m.value}});
      j["started_at"] = run->started_at;
      j["finished_at"] = run->finished_at;
      return ok(j);
    }
    if (p == "/api/iterations") {
      only_params(r, {});
      return s.cached_view("iterations", views::iterations_state, [&](Store& st) {
        return views::iterations(st, s.config, optimal_bound_json(s.config, st));
      });
    }
    if (p.rfind("/api/iterations/", 0) == 0) {
      only_params(r, {});
      int64_t index = path_id(r, "/api/iterations/");
      auto st = s.reader();
      auto it = views::iteration(*st, s.config.metric, index);
      if (!it) throw NotFound(fmt::format("no iteration {} in this project", index));
      return ok(*it);
    }
    if (p == "/api/diagnosis") {
      only_params(r, {});
      if (!s.has_incumbent()) throw NotFound("the project has no finished run to diagnose yet");
      // While a loop runs here, the diagnosis fits nothing (what the loop has cached): its own
      // fits would take the machine from the loop the page is watching.
      DiagnoseOptions o;
      o.fit = !loop_running(s.project->dir);
      return s.cached_analysis(o.fit ? "diagnosis" : "diagnosis:loop running",
                               [&] { return diagnose(*s.project, std::nullopt, s.registry, *s.ctx, o); });
    }
    if (p == "/api/predictions") {
      only_params(r, {});
      if (!s.has_incumbent()) throw NotFound("the project has no finished run yet");
      return s.cached_analysis("predictions", [&] { return dev_predictions(*s.project, s.registry, *s.ctx); });
    }
    if (p.rfind("/api/inspect/", 0) == 0) {
      only_params(r, {"n"});
      std::string what = p.substr(13);
      if (what != "labels" && what != "shift" && what != "slices")
        throw NotFound(fmt::format("no such view: {}", p.substr(0, 80)));
      size_t n = 20;
      if (auto v = param(r, "n")) n = static_cast<size_t>(parse_int("n", *v, 1, 1000));
      if (what == "slices" && !s.has_incumbent()) throw NotFound("the project has no finished run yet");
      // While a loop runs, the label and shift views fit nothing either: 404 until it has computed them.
      return s.cached_analysis(fmt::format("inspect:{}:{}", what, n),
                               [&] { return inspect(*s.project, what, n, s.registry, *s.ctx, !loop_running(s.project->dir)); });
    }
    return json_error(404, fmt::format("no such route: {}", p.substr(0, 80)));
  } catch (const BadParam& e) {
    return json_error(400, e.what());
  } catch (const NotFound& e) {
    return json_error(404, e.what());
  } catch (const NotComputed& e) {
    return json_error(404, e.what());
  } catch (const Error& e) {
    // The data changed since init (the CLI's exit 3): a conflict between the project and its
    // data, not a fault of the server.
    return json_error(e.code() == ExitCode::data_changed ? 409 : 500,
                      e.fix().empty() ? e.message() : fmt::format("{}; {}", e.message(), e.fix()));
  } catch (const std::exception& e) {
    return json_error(500, e.what());
  }
}

}  // namespace mlloop::server
