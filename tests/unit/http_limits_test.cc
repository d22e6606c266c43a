// The secured, limited HTTP server: basic authentication on every path but
// /healthz, a slow client that cannot hold the server past the request timeout,
// an oversized header refused, and simultaneous scrapes sharing one collection.
// One server for the suite (an Exposer takes about two seconds to stop).
// Assertions are on counts and statuses, never on timings.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace oom {
namespace {

using ::oom::testing::HttpRequest;
using ::oom::testing::HttpResponse;
using ::oom::testing::SendRaw;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Counts its runs and takes a while, so that scrapes overlap.
class SlowCountingCollector : public Collector {
 public:
  explicit SlowCountingCollector(std::atomic<int>* runs) : runs_(runs) {}
  absl::Status Collect(MetricSink&) override {
    runs_->fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return absl::OkStatus();
  }

 private:
  std::atomic<int>* runs_;
};

constexpr int kMaxConnections = 4;

std::string Credentials(const std::string& user_and_password) {
  std::string encoded;
  absl::Base64Escape(user_and_password, &encoded);
  return "Authorization: Basic " + encoded + "\r\n";
}

class HttpLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = std::make_shared<ScrapeRegistry>();
    registry_->Add("slow", std::make_unique<SlowCountingCollector>(&runs_));
    absl::StatusOr<std::string> hash = HashPassword("pass word", 4);
    ASSERT_TRUE(hash.ok()) << hash.status();
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.web_config.basic_auth_users["prom"] = *hash;
    options.max_connections = kMaxConnections;
    options.request_timeout = std::chrono::milliseconds(1000);
    options.max_header_bytes = 2048;
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(options, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    registry_.reset();
  }
  static int port() { return server_->port(); }
  static HttpResponse Get(const std::string& path) {
    return HttpRequest(port(), "GET", path, Credentials("prom:pass word"));
  }

  static HttpServer* server_;
  static std::shared_ptr<ScrapeRegistry> registry_;
  static std::atomic<int> runs_;
};

HttpServer* HttpLimitsTest::server_ = nullptr;
std::shared_ptr<ScrapeRegistry> HttpLimitsTest::registry_;
std::atomic<int> HttpLimitsTest::runs_{0};

const std::string kBadCredentials[] = {
    std::string(), Credentials("prom:wrong"), Credentials("nobody:x"),
    std::string("Authorization: Bearer x\r\n")};

TEST_F(HttpLimitsTest, EveryPathButHealthzNeedsCredentials) {
  for (const char* path : {"/", "/metrics", "/nope", "/healthz/x"}) {
    for (const std::string& headers : kBadCredentials) {
      HttpResponse response = HttpRequest(port(), "GET", path, headers);
      EXPECT_EQ(response.status, 401) << path << " " << headers;
      EXPECT_EQ(response.headers["www-authenticate"],
                "Basic realm=\"oom_exporter\", charset=\"UTF-8\"");
      EXPECT_THAT(response.body, Not(HasSubstr("oom_")));
    }
  }
  EXPECT_EQ(Get("/nope").status, 404);
  HttpResponse metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body,
              HasSubstr("oom_scrape_collector_success{collector=\"slow\"} 1"));
  EXPECT_EQ(
      HttpRequest(port(), "POST", "/metrics", Credentials("prom:pass word"))
          .status,
      405);
}

// What checks liveness (a container's HEALTHCHECK, a Kubernetes probe) has
// no password: /healthz answers "ok" whatever the credentials, and nothing
// else.
TEST_F(HttpLimitsTest, HealthzAnswersWithoutCredentials) {
  for (const std::string& headers : kBadCredentials) {
    HttpResponse response = HttpRequest(port(), "GET", "/healthz", headers);
    EXPECT_EQ(response.status, 200) << headers;
    EXPECT_EQ(response.body, "ok\n") << headers;
    EXPECT_EQ(response.headers.count("www-authenticate"), 0u);
    EXPECT_EQ(HttpRequest(port(), "HEAD", "/healthz", headers).status, 200);
    EXPECT_EQ(HttpRequest(port(), "POST", "/healthz", headers).status, 405);
  }
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpLimitsTest, SlowClientsDoNotHoldTheServerPastTheTimeout) {
  // Every worker gets a client that sends half a request and then nothing;
  // without the request timeout the scrape below would never be served.
  std::vector<std::thread> slow;
  for (int i = 0; i < kMaxConnections; ++i) {
    slow.emplace_back(
        [] { SendRaw(port(), "GET /healthz HTTP/1.1\r\nHo", 4000); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpResponse response = Get("/healthz");
  EXPECT_EQ(response.status, 200) << response.error;
  for (std::thread& t : slow) t.join();
}

TEST_F(HttpLimitsTest, OversizedHeadersAreRefused) {
  std::string big = "X-Big: " + std::string(4096, 'a') + "\r\n";
  std::string raw = SendRaw(port(),
                            "GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                                Credentials("prom:pass word") + big + "\r\n",
                            3000);
  // Either an error status or a closed connection, never the page.
  if (!raw.empty()) {
    EXPECT_THAT(raw.substr(0, 12),
                AnyOf(HasSubstr(" 413"), HasSubstr(" 431"), HasSubstr(" 400")))
        << raw.substr(0, 200);
  }
  EXPECT_THAT(raw, Not(HasSubstr("\r\n\r\nok\n")));
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpLimitsTest, SimultaneousScrapesShareOneCollection) {
  int before = runs_.load();
  std::vector<HttpResponse> responses(kMaxConnections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMaxConnections; ++i) {
    threads.emplace_back([&responses, i] { responses[i] = Get("/metrics"); });
  }
  for (std::thread& t : threads) t.join();
  for (const HttpResponse& response : responses) {
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_THAT(response.body, HasSubstr("oom_scrape_collector_success"));
  }
  // One run serves them all; a second at most, for a scrape whose thread
  // started after the first run had ended. Never one each.
  EXPECT_LE(runs_.load() - before, 2);
}

}  // namespace
}  // namespace oom
