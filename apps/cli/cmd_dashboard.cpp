#include <fmt/format.h>
#include <fmt/ostream.h>

#include <pthread.h>
#include <csignal>
#include <filesystem>
#include <thread>

#include "commands.hpp"
#include "mlloop/server/api.hpp"
#include "mlloop/server/http_server.hpp"

namespace mlloop::cli {

int run_dashboard(const DashboardArgs& args, Context& ctx) {
  server::Api api(args.dir, ctx);
  server::HttpServer http([&api](const server::Request& r) { return api.handle(r); });
  const int port = http.bind(args.host, args.port);
  // Ctrl-C and SIGTERM stop the server cleanly: the signals are taken by a thread of their own
  // (blocked everywhere else, including the server's worker threads started after this).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig != 0) http.stop();
  });
  // However this function ends (listen() returning, or an exception), the waiter is woken and
  // joined: a std::thread still joinable at its destruction would terminate the process.
  struct WakeAndJoin {
    std::thread& t;
    ~WakeAndJoin() {
      if (!t.joinable()) return;
      pthread_kill(t.native_handle(), SIGTERM);  // blocked here, so taken by its sigwait
      t.join();
    }
  } wake_and_join{waiter};
  const std::string host = args.host.find(':') != std::string::npos ? "[" + args.host + "]" : args.host;
  fmt::print(ctx.out(), "dashboard: http://{}:{}/  (project {}; Ctrl-C stops it)\n", host, port,
             std::filesystem::absolute(args.dir).lexically_normal().string());
  ctx.out().flush();
  http.listen();  // returns when stopped by a signal, or when it fails
  return 0;
}

}  // namespace mlloop::cli
