// The HTTP layer of the dashboard: cpp-httplib behind a pimpl, so only http_server.cpp sees
// the library. It decodes the request, calls the handler, and writes its response.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "mlloop/server/api.hpp"

namespace mlloop::server {

class HttpServer {
 public:
  using Handler = std::function<Response(const Request&)>;
  explicit HttpServer(Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0: a free port) and returns the port; a host or port that cannot be
  // bound throws a bad-input Error naming it.
  int bind(const std::string& host, int port);
  // Serves until stop() is called (from any thread).
  void listen();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlloop::server
