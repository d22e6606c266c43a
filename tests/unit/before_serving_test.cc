// HttpServerOptions::before_serving, which --run-as-user relies on: it runs
// once the port is bound and before civetweb has a thread that could answer
// a request, and its error stops the start.

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collectors/base/fs.h"
#include "exporter/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace oom {
namespace {

using ::testing::HasSubstr;

// The names of this process's threads (/proc/self/task/*/comm).
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  for (const std::string& task : ListSubdirectories("/proc/self/task")) {
    absl::StatusOr<std::string> comm =
        ReadFile("/proc/self/task/" + task + "/comm");
    if (comm.ok()) names.push_back(*comm);
  }
  return names;
}

HttpServerOptions Options() {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  return options;
}

TEST(BeforeServingTest, RunsBeforeCivetwebStartsItsThreads) {
  int calls = 0;
  std::vector<std::string> threads_then;
  HttpServerOptions options = Options();
  options.before_serving = [&] {
    ++calls;
    threads_then = ThreadNames();
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::make_shared<ScrapeRegistry>());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(calls, 1);
  for (const std::string& name : threads_then) {
    EXPECT_THAT(name, ::testing::Not(HasSubstr("civetweb"))) << name;
  }
  // Debian's civetweb names its threads (each one itself, once it runs);
  // without that the check above would prove nothing.
  bool named = false;
  for (int i = 0; i < 200 && !named; ++i) {
    for (const std::string& name : ThreadNames()) {
      named = named || name.find("civetweb-worker") != std::string::npos;
    }
    if (!named) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(named);
  EXPECT_EQ(testing::HttpGet((*server)->port(), "/healthz").status, 200);
}

TEST(BeforeServingTest, AnErrorStopsTheStart) {
  HttpServerOptions options = Options();
  options.before_serving = [] {
    return absl::FailedPreconditionError(
        "setgid(65534): Operation not "
        "permitted");
  };
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::make_shared<ScrapeRegistry>());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().message(),
            "setgid(65534): Operation not permitted");
}

}  // namespace
}  // namespace oom
