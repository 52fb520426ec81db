#include "mlloop/core/child.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mlloop {
namespace {

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The child's message: one status byte ('o' ok, 'e' error), then the payload.
[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  std::string out;
  char status = 'o';
  try {
    out = work();
  } catch (const std::exception& e) {
    status = 'e';
    out = e.what();
  } catch (...) {
    status = 'e';
    out = "unknown error";
  }
  bool ok = write_all(fd, &status, 1) && write_all(fd, out.data(), out.size());
  ::close(fd);
  ::_exit(ok ? 0 : 1);  // no atexit handlers, no flushing of the parent's stdio buffers
}

}  // namespace

ChildResult run_with_deadline(const std::function<std::string()>& work,
                              std::optional<std::chrono::steady_clock::time_point> deadline) {
  using Clock = std::chrono::steady_clock;
  ChildResult res;
  if (!deadline) {
    res.bytes = work();
    return res;
  }
  if (Clock::now() >= *deadline) {
    res.stopped = true;
    return res;
  }
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(fmt::format("cannot start a child process: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // The parent's handlers (the run's message on Ctrl-C) are not the child's: it just ends.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::close(fds[0]);
    child_main(fds[1], work);
  }
  ::close(fds[1]);
  std::string got;
  char buf[1 << 16];
  bool killed = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed its end: done
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) {
    res.stopped = true;
    return res;
  }
  if (got.empty() || !WIFEXITED(status))
    throw std::runtime_error(WIFSIGNALED(status) ? fmt::format("the child process died of signal {}", WTERMSIG(status))
                                                 : std::string("the child process ended without an answer"));
  if (got[0] == 'e') throw std::runtime_error(got.substr(1));
  res.bytes = got.substr(1);
  return res;
}

}  // namespace mlloop
