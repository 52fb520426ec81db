// The dashboard API: in-process on the handlers, and over loopback through the HTTP layer, on
// a project whose store holds 10k synthetic runs beside two real ones. Correctness only; the
// latency figures come from bench/dashboard.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/report/report.hpp"
#include "mlloop/report/views.hpp"
#include "mlloop/server/api.hpp"
#include "mlloop/server/http_server.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;
using json = nlohmann::json;

namespace {

// Runs a CLI command in-process; returns (exit code, stdout).
std::pair<int, std::string> cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  Context ctx(out, err);
  ctx.quiet = true;
  args.insert(args.begin(), "mlloop");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  int rc = cli::run_cli(static_cast<int>(argv.size()), argv.data(), ctx);
  return {rc, out.str() + (rc ? err.str() : "")};
}

constexpr int64_t kSynthetic = 10000;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    auto truth = make_scenario("at_optimum", tmp_->path() / "data", 3, 1200);
    dir_ = tmp_->str("p");
    ASSERT_EQ(cli({"init", tmp_->str("data/train.csv"), "--target", truth["target"], "--dir", dir_}).first, 0);
    ASSERT_EQ(cli({"train", "--dir", dir_, "--model", "baseline"}).first, 0);
    ASSERT_EQ(cli({"train", "--dir", dir_, "--model", "linear"}).first, 0);
    {
      auto store = Store::open(project_store(dir_), Store::Mode::read_write);
      add_synthetic_runs(*store, kSynthetic, 11, "error");
    }
    ctx_ = new Context();
    ctx_->quiet = true;
    api_ = new server::Api(dir_, *ctx_);
  }
  static void TearDownTestSuite() {
    delete api_;
    delete ctx_;
    delete tmp_;
  }
  static server::Response get(const std::string& path, std::map<std::string, std::string> query = {}) {
    return api_->handle(server::Request{"GET", path, std::move(query)});
  }
  static json get_json(const std::string& path, std::map<std::string, std::string> query = {}) {
    auto r = get(path, std::move(query));
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }
  static void expect_error(const server::Response& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body);
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"]["code"], status);
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
    EXPECT_EQ(j.size(), 1u) << "one envelope, nothing else: " << r.body;
  }

  static TempDir* tmp_;
  static std::string dir_;
  static Context* ctx_;
  static server::Api* api_;
};
TempDir* ApiTest::tmp_ = nullptr;
std::string ApiTest::dir_;
Context* ApiTest::ctx_ = nullptr;
server::Api* ApiTest::api_ = nullptr;

TEST_F(ApiTest, StatusIsTheCliStatus) {
  auto [rc, out] = cli({"status", "--dir", dir_, "--json"});
  ASSERT_EQ(rc, 0);
  json s = get_json("/api/status");
  EXPECT_EQ(s, json::parse(out));
  EXPECT_EQ(s["best"]["model"], "linear") << "the synthetic runs are all worse than the real ones";
}

TEST_F(ApiTest, RunsArePagedAndSortedOnTheServer) {
  // The expected order, computed here from the store directly: dev loss ascending, runs
  // without one last, ties by id.
  auto store = Store::open(project_store(dir_), Store::Mode::read_only);
  std::vector<std::pair<std::optional<double>, int64_t>> all;
  for (const auto& r : store->runs()) all.emplace_back(run_loss(store->run_metrics(r.id), "dev", "error"), r.id);
  ASSERT_EQ(static_cast<int64_t>(all.size()), kSynthetic + 2);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    if (a.first && *a.first != *b.first) return *a.first < *b.first;
    return a.second < b.second;
  });
  json page = get_json("/api/runs", {{"sort", "dev"}, {"order", "asc"}, {"offset", "100"}, {"limit", "50"}});
  EXPECT_EQ(page["total"], kSynthetic + 2);
  ASSERT_EQ(page["runs"].size(), 50u);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(page["runs"][i]["run"], all[100 + i].second) << i;
  // Descending is the exact reverse for the runs with a value (ties by id, descending too),
  // and the runs without one still come last.
  size_t valued = 0;
  while (valued < all.size() && all[valued].first) ++valued;
  json down = get_json("/api/runs", {{"sort", "dev"}, {"order", "desc"}, {"limit", "60"}});
  for (size_t i = 0; i < 60; ++i) EXPECT_EQ(down["runs"][i]["run"], all[valued - 1 - i].second) << i;
  json down_tail = get_json(
      "/api/runs", {{"sort", "dev"}, {"order", "desc"}, {"offset", std::to_string(valued - 1)}, {"limit", "2"}});
  EXPECT_EQ(down_tail["runs"][0]["run"], all[0].second);
  EXPECT_TRUE(down_tail["runs"][1]["errors"]["dev"].is_null());
  // Filtered and sorted: the done runs by dev, from the same expected order.
  json done = get_json("/api/runs", {{"sort", "dev"}, {"status", "done"}, {"offset", "10"}, {"limit", "20"}});
  std::vector<int64_t> done_ids;
  for (const auto& [v, id] : all)
    if (store->run(id)->status == "done") done_ids.push_back(id);
  EXPECT_EQ(done["total"], static_cast<int64_t>(done_ids.size()));
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(done["runs"][i]["run"], done_ids[10 + i]) << i;
  // The first page starts with the real linear run; the last holds runs without a dev error.
  json first = get_json("/api/runs", {{"sort", "dev"}, {"limit", "1"}});
  EXPECT_EQ(first["runs"][0]["model"], "linear");
  json last = get_json("/api/runs", {{"sort", "dev"}, {"offset", std::to_string(kSynthetic + 1)}});
  ASSERT_EQ(last["runs"].size(), 1u);
  EXPECT_TRUE(last["runs"][0]["errors"]["dev"].is_null());
  // Newest first, and each run object is the CLI's.
  json newest = get_json("/api/runs", {{"sort", "run"}, {"order", "desc"}, {"limit", "3"}});
  EXPECT_EQ(newest["runs"][0]["run"], kSynthetic + 2);
  EXPECT_EQ(newest["runs"][2]["run"], kSynthetic);
  auto rec = store->run(kSynthetic + 2);
  EXPECT_EQ(newest["runs"][0], views::run(*store, *rec, "error"));
}

TEST_F(ApiTest, RunsFilterByIterationAndStatus) {
  json failed = get_json("/api/runs", {{"status", "failed"}, {"limit", "1000"}});
  ASSERT_GT(failed["total"].get<int64_t>(), 0);
  for (const auto& r : failed["runs"]) EXPECT_EQ(r["status"], "failed");
  json it = get_json("/api/runs", {{"iteration", "3"}});
  EXPECT_EQ(it["total"], 20) << "the synthetic store puts 20 runs in each iteration";
  for (const auto& r : it["runs"]) EXPECT_EQ(r["iteration"], 3);
  json one = get_json("/api/runs/2");
  EXPECT_EQ(one["model"], "linear");
  EXPECT_TRUE(one.contains("curve"));
}

TEST_F(ApiTest, IterationsCarryTheDecompositionOfTheirIncumbent) {
  json its = get_json("/api/iterations");
  const auto& list = its["iterations"];
  ASSERT_EQ(static_cast<int64_t>(list.size()), kSynthetic / 20 + 1) << "the setup, then every iteration";
  EXPECT_EQ(list[0]["remedy"], "setup");
  auto store = Store::open(project_store(dir_), Store::Mode::read_only);
  auto m = store->run_metrics(2);
  for (size_t i : {size_t{0}, size_t{1}, list.size() - 1}) {
    const auto& e = list[i];
    EXPECT_EQ(e["incumbent"], 2) << i;
    EXPECT_DOUBLE_EQ(e["errors"]["dev"].get<double>(), *run_loss(m, "dev", "error"));
    EXPECT_DOUBLE_EQ(e["gaps"]["variance"].get<double>(),
                     *run_loss(m, "train_dev", "error") - *run_loss(m, "train", "error"));
    // The stacked parts: the bound, then each gap clipped at zero.
    for (const char* k : {"avoidable_bias", "variance", "data_mismatch"}) {
      if (e["gaps"][k].is_null()) continue;
      EXPECT_DOUBLE_EQ(e["bars"][k].get<double>(), std::max(0.0, e["gaps"][k].get<double>())) << k;
    }
  }
  json one = get_json("/api/iterations/7");
  EXPECT_EQ(one["index"], 7);
  EXPECT_EQ(one["run_objects"].size(), 20u);
  json setup = get_json("/api/iterations/0");
  EXPECT_EQ(setup["run_objects"].size(), 0u) << "runs made by mlloop train belong to no iteration";
  // The setup entry says what it stands for: here runs of mlloop train, not "baseline, then linear".
  EXPECT_EQ(list[0]["reason"], "runs of mlloop train (no loop yet)");
  EXPECT_EQ(setup["reason"], "runs of mlloop train (no loop yet)");
}

// A project with no run: its setup entry was "baseline, then linear", accepted, though nothing had run.
TEST(ApiNoRuns, TheSetupEntrySaysNothingWasTrained) {
  TempDir tmp;
  auto truth = make_scenario("at_optimum", tmp.path() / "data", 3, 300);
  ASSERT_EQ(cli({"init", tmp.str("data/train.csv"), "--target", truth["target"], "--dir", tmp.str("p")}).first, 0);
  Context ctx;
  ctx.quiet = true;
  server::Api api(tmp.str("p"), ctx);
  auto r = api.handle(server::Request{"GET", "/api/iterations", {}});
  ASSERT_EQ(r.status, 200) << r.body;
  json list = json::parse(r.body)["iterations"];
  ASSERT_EQ(list.size(), 1u) << r.body;
  EXPECT_EQ(list[0]["reason"], "nothing trained yet");
  EXPECT_EQ(list[0]["accepted"], false);
  EXPECT_TRUE(list[0]["runs"].empty());
}

TEST_F(ApiTest, DiagnosisIsTheCliDiagnosisAndSetsTheBound) {
  json d = get_json("/api/diagnosis");
  auto [rc, out] = cli({"diagnose", "--dir", dir_, "--json"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(d, json::parse(out));
  EXPECT_EQ(d["run"], 2);
  // The iterations' bars now stand on the same bound.
  json its = get_json("/api/iterations");
  ASSERT_FALSE(d["errors"]["optimal"].is_null());
  EXPECT_EQ(its["optimal"], d["errors"]["optimal"]);
  EXPECT_DOUBLE_EQ(its["iterations"][0]["bars"]["optimal"].get<double>(),
                   d["errors"]["optimal"]["value"].get<double>());
  const auto& first = its["iterations"][0];
  EXPECT_DOUBLE_EQ(first["gaps"]["avoidable_bias"].get<double>(),
                   d["errors"]["train"]["value"].get<double>() - d["errors"]["optimal"]["value"].get<double>());
  EXPECT_DOUBLE_EQ(first["bars"]["avoidable_bias"].get<double>(),
                   std::max(0.0, first["gaps"]["avoidable_bias"].get<double>()));
  // Asked again, it is served from the cache: the same object.
  EXPECT_EQ(get_json("/api/diagnosis"), d);
}

TEST_F(ApiTest, BadParametersGet400) {
  for (auto q : std::vector<std::map<std::string, std::string>>{{{"limit", "abc"}},
                                                                {{"limit", "0"}},
                                                                {{"limit", "1001"}},
                                                                {{"limit", "1.5"}},
                                                                {{"offset", "-1"}},
                                                                {{"offset", "99999999999999999999"}},
                                                                {{"sort", "bogus"}},
                                                                {{"order", "up"}},
                                                                {{"status", "weird"}},
                                                                {{"iteration", "x"}},
                                                                {{"unknown", "1"}}})
    expect_error(get("/api/runs", q), 400);
  for (const char* p : {"/api/runs/abc", "/api/runs/-1", "/api/runs/1.0", "/api/runs/", "/api/iterations/x"})
    expect_error(get(p), 400);
  expect_error(get("/api/status", {{"x", "1"}}), 400);
}

TEST_F(ApiTest, UnknownRoutesAndTraversalGet404) {
  for (const char* p :
       {"/api/nope", "/api", "/api/", "/api/status/extra", "/api/runs/999999", "/api/iterations/99999",
        "/assets/../mlloop.toml", "/assets/../../etc/passwd", "/../mlloop.toml", "/assets/", "/assets/index.html",
        "/.mlloop/store.db", "/api/inspect/../status", "/api/inspect/wrong", "/mlloop.toml"})
    expect_error(get(p), 404);
  auto post = api_->handle(server::Request{"POST", "/api/status", {}});
  expect_error(post, 405);
}

TEST_F(ApiTest, AssetsAndPageAreCompiledIn) {
  auto page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("/assets/echarts.min.js"), std::string::npos);
  auto js = get("/assets/echarts.min.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_GT(js.body.size(), 500000u) << "ECharts itself, from npm";
  EXPECT_EQ(js.content_type.rfind("application/javascript", 0), 0u);
}

// ---- over loopback: the HTTP layer decodes, routes and answers with the same envelope ----

struct Raw {
  int status = 0;
  std::string headers, body;
};

// A request written by hand on a socket, so the target reaches the server exactly as given
// (an HTTP client library might normalize "%2e%2e" or "..").
Raw raw_request(int port, const std::string& method, const std::string& target, bool content_length = true) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {};
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                    (content_length ? "Content-Length: 0\r\n" : "") + "\r\n";
  ::send(fd, req.data(), req.size(), 0);
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  Raw r;
  auto sp = resp.find(' ');
  if (sp == std::string::npos) return r;
  r.status = std::atoi(resp.c_str() + sp + 1);
  auto end = resp.find("\r\n\r\n");
  r.headers = resp.substr(0, end);
  if (end != std::string::npos) r.body = resp.substr(end + 4);
  return r;
}

class Loopback : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    ApiTest::SetUpTestSuite();
    http_ = new server::HttpServer([](const server::Request& r) { return api_->handle(r); });
    port_ = http_->bind("127.0.0.1", 0);
    thread_ = new std::thread([] { http_->listen(); });
    for (int i = 0; i < 200 && raw_request(port_, "GET", "/api/summary").status != 200; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  static void TearDownTestSuite() {
    http_->stop();
    thread_->join();
    delete thread_;
    delete http_;
    ApiTest::TearDownTestSuite();
  }
  static server::HttpServer* http_;
  static std::thread* thread_;
  static int port_;
};
server::HttpServer* Loopback::http_ = nullptr;
std::thread* Loopback::thread_ = nullptr;
int Loopback::port_ = 0;

void expect_envelope(const Raw& r, int status, const std::string& target) {
  EXPECT_EQ(r.status, status) << target << "\n" << r.headers << "\n" << r.body;
  json j = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << target << ": " << r.body;
  EXPECT_EQ(j["error"]["code"], status) << target;
}

TEST_F(Loopback, AnswersLikeTheHandlers) {
  Raw r = raw_request(port_, "GET", "/api/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("application/json"), std::string::npos);
  EXPECT_EQ(json::parse(r.body), json::parse(get("/api/status").body));
  // Percent-encoding is decoded before routing: %31 is "1".
  Raw one = raw_request(port_, "GET", "/api/runs/%31");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(json::parse(one.body)["run"], 1);
  Raw page = raw_request(port_, "GET", "/api/runs?limit=5&sort=dev&order=desc");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(json::parse(page.body)["runs"].size(), 5u);
}

// A second server on a port in use is refused, with a message naming it, instead of sharing
// the port (httplib's default SO_REUSEPORT would let it bind and take half the connections).
TEST_F(Loopback, APortInUseIsRefused) {
  server::HttpServer second([](const server::Request&) { return server::Response{}; });
  try {
    second.bind("127.0.0.1", port_);
    FAIL() << "a second server bound port " << port_;
  } catch (const mlloop::Error& e) {
    EXPECT_EQ(e.code(), mlloop::ExitCode::bad_input);
    EXPECT_NE(e.describe().find(std::to_string(port_)), std::string::npos) << e.describe();
  }
  EXPECT_EQ(raw_request(port_, "GET", "/api/status").status, 200);  // the first still serves
}

TEST_F(Loopback, TraversalPlainAndPercentEncodedGets404) {
  for (const char* t : {"/assets/../mlloop.toml", "/assets/%2e%2e/mlloop.toml", "/assets/%2E%2E%2Fmlloop.toml",
                        "/assets/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
                        "/assets/%252e%252e/mlloop.toml", "/.mlloop/store.db", "/%2emlloop/store.db",
                        "/api/%2e%2e/mlloop.toml", "/nope"}) {
    Raw r = raw_request(port_, "GET", t);
    expect_envelope(r, 404, t);
    EXPECT_EQ(r.body.find("[task]"), std::string::npos) << "mlloop.toml leaked through " << t;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << "/etc/passwd leaked through " << t;
  }
  for (const char* t :
       {"/api/runs?limit=abc", "/api/runs?limit=%2D1", "/api/runs/abc", "/api/runs?sort=%27%3B%20DROP%20TABLE%20runs"})
    expect_envelope(raw_request(port_, "GET", t), 400, t);
  expect_envelope(raw_request(port_, "POST", "/api/status"), 405, "POST /api/status");
  const Raw del = raw_request(port_, "DELETE", "/api/runs/1");
  expect_envelope(del, 405, "DELETE /api/runs/1");
  EXPECT_NE(del.headers.find("Allow: GET, HEAD"), std::string::npos) << del.headers;  // RFC 9110 asks a 405 for it
  // A POST with no Content-Length (curl -X POST) got cpp-httplib's own 400: a 405 too now.
  const Raw bare = raw_request(port_, "POST", "/api/status", false);
  expect_envelope(bare, 405, "POST /api/status without Content-Length");
  EXPECT_NE(bare.headers.find("Allow: GET, HEAD"), std::string::npos) << bare.headers;
  // The store survived the injection attempt.
  EXPECT_EQ(json::parse(raw_request(port_, "GET", "/api/runs?limit=1").body)["total"], kSynthetic + 2);
}

TEST_F(Loopback, ReadersAreNotBlockedByAWriter) {
  // A writer appends runs (as a loop would, through its own connection) while 4 clients read.
  std::atomic<bool> done{false};
  std::atomic<int> errors{0}, answered{0};
  std::thread writer([&] {
    auto store = Store::open(project_store(dir_), Store::Mode::read_write);
    add_synthetic_runs(*store, 200, 5, "error");
    done = true;
  });
  std::vector<std::thread> readers;
  for (int k = 0; k < 4; ++k)
    readers.emplace_back([&, k] {
      const char* targets[] = {"/api/summary", "/api/runs?limit=50&sort=dev", "/api/status", "/api/iterations/3"};
      for (int i = 0; i < 50 || !done; ++i) {
        Raw r = raw_request(port_, "GET", targets[(i + k) % 4]);
        if (r.status != 200) ++errors;
        ++answered;
        if (i > 2000) break;
      }
    });
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GE(answered.load(), 200);
  json s = json::parse(raw_request(port_, "GET", "/api/summary").body);
  EXPECT_EQ(s["runs"], kSynthetic + 2 + 200) << "the new runs are visible to the next request";
  // The iterations view is cached by the state it reads: the writer's 10 new iterations show.
  json its = json::parse(raw_request(port_, "GET", "/api/iterations").body);
  EXPECT_EQ(its["iterations"].size(), static_cast<size_t>(kSynthetic / 20 + 1 + 10));
}


// While a loop runs on the project (it holds .mlloop/loop.lock), the dashboard fits nothing of
// its own: the diagnosis is what is cached (here nothing: the split errors, no bound, no
// learning curve, no data analyses) and the store gains no entry; the inspect views of the data
// analyses are 404 until the loop computes them. Once the lock is free, the full diagnosis.
TEST(ApiWhileALoopRuns, TheDashboardFitsNothingOfItsOwn) {
  TempDir tmp;
  auto truth = make_scenario("at_optimum", tmp.path() / "data", 5, 1200);
  const std::string dir = tmp.str("p");
  ASSERT_EQ(cli({"init", tmp.str("data/train.csv"), "--target", truth["target"], "--dir", dir}).first, 0);
  ASSERT_EQ(cli({"train", "--dir", dir, "--model", "linear"}).first, 0);
  auto cached = [&] {
    auto store = Store::open(project_store(dir), Store::Mode::read_only);
    sql::Stmt st(store->db(), "SELECT count(*) FROM project");
    st.step();
    return st.int64(0);
  };
  const int64_t before = cached();
  Context ctx;
  ctx.quiet = true;
  server::Api api(dir, ctx);
  auto get = [&](const std::string& path) { return api.handle(server::Request{"GET", path, {}}); };
  {
    const int fd = ::open((std::filesystem::path(dir) / ".mlloop" / "loop.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as mlloop run holds it
    EXPECT_TRUE(loop_running(dir));
    EXPECT_TRUE(json::parse(get("/api/summary").body)["loop_running"].get<bool>());
    auto r = get("/api/diagnosis");
    ASSERT_EQ(r.status, 200) << r.body;
    json d = json::parse(r.body);
    EXPECT_EQ(d["estimated_by"], "split");
    EXPECT_TRUE(d["learning_curve"].is_null());
    EXPECT_TRUE(d["label_issues"].is_null());
    EXPECT_TRUE(d["errors"]["optimal"].is_null());
    EXPECT_NE(r.body.find("MLL-I03"), std::string::npos) << r.body;
    auto labels = get("/api/inspect/labels");
    EXPECT_EQ(labels.status, 404) << labels.body;
    EXPECT_NE(labels.body.find("a loop is running"), std::string::npos) << labels.body;
    EXPECT_EQ(get("/api/inspect/slices").status, 200);  // the incumbent's dev predictions: no fit
    {
      // `mlloop report` meanwhile: the same, and its notes say so.
      Project project = Project::open(dir);
      Registry registry;
      register_builtins(registry);
      json rd = report_data(project, registry, ctx);
      EXPECT_TRUE(rd["diagnosis"]["learning_curve"].is_null());
      EXPECT_TRUE(rd["inspect"]["labels"].is_null());
      EXPECT_FALSE(rd["inspect"]["slices"].is_null());
      EXPECT_NE(rd["notes"].dump().find("a loop was running on the project"), std::string::npos) << rd["notes"];
    }
    EXPECT_EQ(cached(), before);  // nothing was computed and cached
    ::close(fd);                                         // the loop stops
  }
  EXPECT_FALSE(loop_running(dir));
  EXPECT_FALSE(json::parse(get("/api/summary").body)["loop_running"].get<bool>());
  auto r = get("/api/diagnosis");
  ASSERT_EQ(r.status, 200) << r.body;
  json d = json::parse(r.body);
  EXPECT_EQ(d["estimated_by"], "cv");
  EXPECT_TRUE(d["learning_curve"].is_object());
  EXPECT_TRUE(d["label_issues"].is_object());
  EXPECT_FALSE(d["errors"]["optimal"].is_null());
  EXPECT_EQ(r.body.find("MLL-I03"), std::string::npos);
  EXPECT_GT(cached(), before);
  EXPECT_EQ(get("/api/inspect/labels").status, 200);
}

// The data file changed since init: every CLI command exits 3; the API answers 409 with the
// same message (it served the old figures with 200), and serves again once the file is back.
TEST(ApiDataFile, AChangedDataFileGets409LikeTheCliExit3) {
  TempDir tmp;
  auto truth = make_scenario("at_optimum", tmp.path() / "data", 5, 400);
  const std::string dir = tmp.str("p"), data = tmp.str("data/train.csv");
  ASSERT_EQ(cli({"init", data, "--target", truth["target"], "--dir", dir}).first, 0);
  ASSERT_EQ(cli({"train", "--dir", dir, "--model", "linear"}).first, 0);
  Context ctx;
  ctx.quiet = true;
  server::Api api(dir, ctx);
  auto get = [&](const std::string& path) { return api.handle(server::Request{"GET", path, {}}); };
  ASSERT_EQ(get("/api/status").status, 200);
  std::string original;
  {
    std::ifstream in(data, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string changed = original;
  changed += changed.substr(changed.rfind('\n', changed.size() - 2) + 1);  // the last row again
  write_file(data, changed);
  EXPECT_EQ(cli({"status", "--dir", dir}).first, 3);
  for (const char* path : {"/api/status", "/api/runs", "/api/diagnosis"}) {
    auto r = get(path);
    EXPECT_EQ(r.status, 409) << path << ": " << r.body;
    const json e = json::parse(r.body);
    EXPECT_EQ(e["error"]["code"], 409);
    EXPECT_NE(e["error"]["message"].get<std::string>().find("changed since init"), std::string::npos) << r.body;
  }
  EXPECT_EQ(get("/").status, 200);  // the page itself still loads, and shows the API's error
  write_file(data, original);
  EXPECT_EQ(get("/api/status").status, 200);
  EXPECT_EQ(cli({"status", "--dir", dir}).first, 0);
}

}  // namespace
