// The HTTP side on a real civetweb server bound to 127.0.0.1:0. One server is
// shared by the suite: tearing an Exposer down takes about two seconds.

#include "exporter/http/http_server.h"

#include <memory>
#include <string>

#include "collectors/base/version.h"
#include "collectors/memory/memory_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace oom {
namespace {

using ::oom::testing::HttpGet;
using ::oom::testing::HttpRequest;
using ::oom::testing::HttpResponse;
using ::oom::testing::SendRaw;
using ::testing::HasSubstr;
using ::testing::Not;

// A collector that always fails, to show the others are still served.
class BrokenCollector : public Collector {
 public:
  absl::Status Collect(MetricSink&) override {
    return absl::UnavailableError("/proc/broken: <no such thing>");
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto registry = std::make_shared<ScrapeRegistry>();
    FsRoots roots;
    roots.procfs = std::string(OOM_SOURCE_DIR) + "/tests/fixtures/proc";
    registry->Add("memory", std::make_unique<MemoryCollector>(roots));
    registry->Add("broken", std::make_unique<BrokenCollector>());
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(options, registry);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }

  static HttpServer* server_;
};

HttpServer* HttpServerTest::server_ = nullptr;

TEST_F(HttpServerTest, BindsAnEphemeralPort) { EXPECT_GT(port(), 0); }

TEST_F(HttpServerTest, MetricsServeTheCollectorsEvenWhenOneFails) {
  HttpResponse response = HttpGet(port(), "/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_THAT(response.headers["content-type"], HasSubstr("text/plain"));
  EXPECT_THAT(response.body, HasSubstr("\noom_kernel_kills_total 1\n"));
  EXPECT_THAT(
      response.body,
      HasSubstr("oom_scrape_collector_success{collector=\"memory\"} 1\n"));
  EXPECT_THAT(
      response.body,
      HasSubstr("oom_scrape_collector_success{collector=\"broken\"} 0\n"));
  EXPECT_THAT(response.body,
              HasSubstr("# TYPE oom_kernel_kills_total counter"));
}

TEST_F(HttpServerTest, MetricsAreGzippedWhenAsked) {
  HttpResponse response =
      HttpRequest(port(), "GET", "/metrics", "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.headers["content-encoding"], "gzip");
  ASSERT_GE(response.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(response.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(response.body[1]), 0x8b);
}

TEST_F(HttpServerTest, HealthzAnswersOk) {
  HttpResponse response = HttpGet(port(), "/healthz");
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, "ok\n");
}

TEST_F(HttpServerTest, LandingPageShowsVersionLinkAndCollectorStatus) {
  HttpGet(port(), "/metrics");  // So every collector has a last status.
  HttpResponse response = HttpGet(port(), "/");
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_THAT(response.headers["content-type"], HasSubstr("text/html"));
  EXPECT_THAT(response.body, HasSubstr(std::string("Version ") + Version()));
  EXPECT_THAT(response.body, HasSubstr("<a href=\"/metrics\">"));
  EXPECT_THAT(response.body, HasSubstr("<td>memory</td>"));
  EXPECT_THAT(response.body, HasSubstr("<td class=\"ok\">ok</td>"));
  // The failing collector's error is shown, HTML-escaped.
  EXPECT_THAT(response.body,
              HasSubstr("failed: /proc/broken: &lt;no such thing&gt;"));
  EXPECT_THAT(response.body, Not(HasSubstr("<no such thing>")));
}

TEST_F(HttpServerTest, EveryOtherPathIsNotFoundAndNothingComesFromDisk) {
  for (const char* path :
       {"/nope", "/metrics/", "/metrics.txt", "/healthz/x", "/index.html",
        "/../../etc/passwd", "/etc/passwd", "/CMakeLists.txt",
        "/tests/fixtures/proc/meminfo", "/%2e%2e/%2e%2e/etc/passwd"}) {
    HttpResponse response = HttpGet(port(), path);
    EXPECT_EQ(response.status, 404) << path << " " << response.error;
    EXPECT_THAT(response.body, Not(HasSubstr("root:")));
    EXPECT_THAT(response.body, Not(HasSubstr("MemTotal")));
  }
}

TEST_F(HttpServerTest, OnlyGetAndHead) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    for (const char* path : {"/", "/metrics", "/healthz", "/nope"}) {
      HttpResponse response = HttpRequest(port(), method, path);
      EXPECT_EQ(response.status, 405) << method << " " << path;
      EXPECT_EQ(response.headers["allow"], "GET, HEAD");
    }
  }
  HttpResponse head = HttpRequest(port(), "HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  head = HttpRequest(port(), "HEAD", "/metrics");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST_F(HttpServerTest, MalformedRequestsDoNotStopTheServer) {
  for (const char* raw :
       {"\r\n\r\n", "GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"}) {
    SendRaw(port(), raw, 2000);
  }
  EXPECT_EQ(HttpGet(port(), "/healthz").status, 200);
  EXPECT_EQ(HttpGet(port(), "/metrics").status, 200);
}

TEST_F(HttpServerTest, APortInUseIsReportedPlainly) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(port());
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start(options, std::make_shared<ScrapeRegistry>());
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(
      std::string(second.status().message()),
      HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port())));
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("Address already in use"));
  // The first server still answers.
  EXPECT_EQ(HttpGet(port(), "/healthz").status, 200);
}

}  // namespace
}  // namespace oom
