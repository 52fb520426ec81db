#include "mlloop/server/http_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include "mlloop/core/error.hpp"

namespace mlloop::server {

struct HttpServer::Impl {
  httplib::Server server;
  Handler handler;

  void serve(const httplib::Request& req, httplib::Response& res) {
    Request r;
    r.method = req.method;
    r.path = req.path;                                            // decoded by httplib: "%2e%2e" arrives as ".."
    for (const auto& [k, v] : req.params) r.query.emplace(k, v);  // the first of repeated keys wins
    Response out;
    try {
      out = handler(r);
    } catch (const std::exception& e) {
      out = json_error(500, e.what());
    }
    res.status = out.status;
    if (out.content_type.rfind("application/json", 0) == 0) res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    if (out.status == 405) res.set_header("Allow", "GET, HEAD");  // RFC 9110: a 405 names the methods allowed
    // cpp-httplib compresses the bare "application/json" type with Brotli at its highest
    // quality when the client accepts it: ~50 ms for a 350 KB body, slower than sending it on
    // loopback. With the charset spelled out it leaves the body alone.
    if (out.content_type == "application/json") out.content_type = "application/json; charset=utf-8";
    res.set_content(std::move(out.body), out.content_type.c_str());
  }
};

HttpServer::HttpServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  // Headers and body go out in separate writes: with Nagle's algorithm on, the body of a
  // keep-alive response waits ~40 ms for the client's delayed ACK.
  impl_->server.set_tcp_nodelay(true);
  // Each keep-alive connection holds a worker while it is open: with httplib's default of 8
  // workers, a browser and a script or two exhaust them, and a new connection then waits
  // for an idle one to time out. Workers mostly wait on sockets; 32 cost little. A client
  // may send 100 requests on one connection before it is closed.
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  impl_->server.set_keep_alive_max_count(100);
  // httplib sets SO_REUSEPORT on Linux: a second dashboard on a port in use then binds too,
  // and the kernel shares the connections between the two processes (possibly two projects).
  // SO_REUSEADDR alone lets a restart rebind past TIME_WAIT, and a port in use is an error.
  impl_->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto h = [this](const httplib::Request& req, httplib::Response& res) { impl_->serve(req, res); };
  impl_->server.Get(".*", h);
  impl_->server.Post(".*", h);
  impl_->server.Put(".*", h);
  impl_->server.Patch(".*", h);
  impl_->server.Delete(".*", h);
  impl_->server.Options(".*", h);
  // What httplib answers by itself (a malformed request line, say) also gets the envelope.
  impl_->server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // A POST without a body (no Content-Length) is refused by httplib with 400 before any
    // handler runs; whatever else is wrong with it, the API takes no such method: 405.
    if (res.status == 400 && !req.method.empty() && req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      Response e = json_error(405, fmt::format("{} is not allowed: the API is read-only", req.method.substr(0, 10)));
      res.set_content(e.body, e.content_type.c_str());
      return;
    }
    if (res.body.empty()) {
      Response e = json_error(res.status, res.status == 404 ? "no such route" : "bad request");
      res.set_content(e.body, e.content_type.c_str());
    }
  });
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind(const std::string& host, int port) {
  if (port < 0 || port > 65535)
    throw_bad_input(fmt::format("port {} is out of range", port), "use --port 0..65535 (0: a free port)");
  int bound = port;
  if (port == 0)
    bound = impl_->server.bind_to_any_port(host);
  else if (!impl_->server.bind_to_port(host, port))
    bound = -1;
  if (bound <= 0)
    throw_bad_input(fmt::format("cannot listen on {}:{}", host, port),
                    "the port may be in use or the host not an address of this machine: pick another --port (0: a free "
                    "one) or --host");
  return bound;
}

void HttpServer::listen() { impl_->server.listen_after_bind(); }

void HttpServer::stop() { impl_->server.stop(); }

}  // namespace mlloop::server
