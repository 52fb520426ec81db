// The dashboard's read-only JSON API. Handlers are plain functions from a Request to a
// Response: no HTTP library appears here, so tests call them in-process, and the HTTP layer
// (http_server.hpp) only moves bytes. Every error has one envelope (CONTRACT.md):
//   {"error": {"code": 404, "message": "..."}} with the matching HTTP status.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mlloop {
class Context;
}

namespace mlloop::server {

struct Request {
  std::string method = "GET";
  std::string path;                          // decoded, without the query string
  std::map<std::string, std::string> query;  // decoded
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

Response json_error(int status, std::string_view message);

// A file of the page, compiled into the binary: app.js, app.css, echarts.min.js, index.html.
struct Asset {
  std::string_view content_type;
  std::string_view body;
};
std::optional<Asset> web_asset(std::string_view name);

// The page: the dashboard (assets by URL, data from /api) or the self-contained report
// (assets inline, data in `data_json`).
std::string dashboard_page();
std::string report_page(const std::string& data_json);

class Api {
 public:
  // Opens the project in `dir` once (verifying its data is unchanged); each request then reads
  // the store through a read-only connection of its own, so a loop writing from another
  // process is never blocked (WAL). Heavier views (diagnosis, predictions, inspect) are
  // computed once per state of the store and cached. Thread-safe.
  Api(const std::string& dir, Context& ctx);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  Response handle(const Request& request);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace mlloop::server
