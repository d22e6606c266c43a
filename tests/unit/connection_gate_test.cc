// The connection gate: first on its own, with a listening socket, its
// Poll() and Accept() called as civetweb's master thread calls poll() and
// accept(); then in the HTTP server, where slow clients must not starve a
// scrape, with a control server without the gate that they do starve.
// Assertions are on statuses and counts; the only clocks are the gate's own
// timeout and generous client timeouts.

#include "exporter/http/connection_gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "exporter/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace oom {
namespace {

using ::oom::testing::ConnectLoopback;
using ::oom::testing::HttpRequest;
using ::oom::testing::HttpResponse;
using ::testing::HasSubstr;

void SendAll(int fd, const std::string& data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(data.size()));
}

// True when the server has closed `fd` (EOF or reset), waiting up to
// `timeout_ms` for it.
bool ClosedByServer(int fd, int timeout_ms) {
  pollfd p = {fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listen_fd_ = ::oom::testing::ListenLoopback(64, &port_);
    ASSERT_GE(listen_fd_, 0);
  }
  void TearDown() override {
    gate_.reset();
    for (int fd : clients_) ::close(fd);
    for (int fd : admitted_) ::close(fd);
    ::close(listen_fd_);
  }

  void Install(ConnectionGateOptions options) {
    absl::StatusOr<std::shared_ptr<ConnectionGate>> gate =
        ConnectionGate::Create(listen_fd_, options);
    ASSERT_TRUE(gate.ok()) << gate.status();
    gate_ = *gate;
  }

  int NewClient() {
    int fd = ConnectLoopback(port_);
    EXPECT_GE(fd, 0);
    clients_.push_back(fd);
    return fd;
  }

  // One round of civetweb's master thread: poll() the listener, and on
  // POLLIN accept(), both through the gate. Returns the admitted
  // descriptor, or -1.
  int MasterRound(int poll_ms) {
    pollfd p = {listen_fd_, POLLIN | POLLERR, 0};
    if (gate_->Poll(&p, 1, poll_ms, 0) <= 0 || !(p.revents & POLLIN)) {
      return -1;
    }
    sockaddr_in peer = {};
    socklen_t len = sizeof(peer);
    int fd = gate_->Accept(reinterpret_cast<sockaddr*>(&peer), &len);
    if (fd >= 0) {
      admitted_.push_back(fd);
      EXPECT_EQ(peer.sin_family, AF_INET);
      EXPECT_EQ(ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);
    }
    return fd;
  }

  // Master rounds until one admits a connection or `rounds` have passed.
  int AdmitWithin(int rounds) {
    for (int i = 0; i < rounds; ++i) {
      int fd = MasterRound(100);
      if (fd >= 0) return fd;
    }
    return -1;
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::shared_ptr<ConnectionGate> gate_;
  std::vector<int> clients_;
  std::vector<int> admitted_;
};

TEST_F(GateTest, AWholeRequestIsAdmittedUnread) {
  Install({});
  int client = NewClient();
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  SendAll(client, request);
  int fd = AdmitWithin(20);
  ASSERT_GE(fd, 0);
  // The gate only peeked: civetweb reads the request whole, from a
  // blocking socket as accept() gives.
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  std::string got(request.size(), '\0');
  EXPECT_EQ(::recv(fd, got.data(), got.size(), MSG_WAITALL),
            static_cast<ssize_t>(request.size()));
  EXPECT_EQ(got, request);
  ConnectionGateStats stats = gate_->stats();
  EXPECT_EQ(stats.accepted, 1u);
  EXPECT_EQ(stats.admitted, 1u);
}

TEST_F(GateTest, AHalfRequestWaitsInTheGateUntilItIsWhole) {
  Install({});
  int client = NewClient();
  SendAll(client, "GET /metrics HTTP/1.1\r\nHo");
  EXPECT_EQ(AdmitWithin(3), -1);
  EXPECT_EQ(gate_->pending(), 1u);
  EXPECT_EQ(gate_->stats().admitted, 0u);
  SendAll(client, "st: x\n\n");  // bare line feeds end a head too
  EXPECT_GE(AdmitWithin(20), 0);
  EXPECT_EQ(gate_->pending(), 0u);
}

TEST_F(GateTest, ARequestCompletedUnderSteadyLoadIsNotStarved) {
  Install({});
  int late = NewClient();
  SendAll(late, "GET /metrics HTTP/1.1\r\n");
  EXPECT_EQ(AdmitWithin(2), -1);
  // Two whole requests arrive per round and one is admitted, so the queue
  // of ready connections never runs dry; the late one completes meanwhile.
  const std::string whole = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 3; ++i) SendAll(NewClient(), whole);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_GE(MasterRound(100), 0);  // takes all three, admits one
  SendAll(late, "Host: x\r\n\r\n");
  bool admitted = false;
  for (int round = 0; round < 20 && !admitted; ++round) {
    SendAll(NewClient(), whole);
    SendAll(NewClient(), whole);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(MasterRound(100), 0);
    admitted = gate_->pending() == 0;
  }
  EXPECT_TRUE(admitted) << "the completed request still waits unseen";
}

TEST_F(GateTest, SilentAndSlowClientsAreClosedAtTheTimeout) {
  ConnectionGateOptions options;
  options.timeout = std::chrono::milliseconds(300);
  Install(options);
  int silent = NewClient();
  int slow = NewClient();
  SendAll(slow, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < 50 && gate_->stats().timed_out < 2; ++i) {
    EXPECT_EQ(MasterRound(100), -1);
  }
  EXPECT_EQ(gate_->stats().timed_out, 2u);
  EXPECT_EQ(gate_->pending(), 0u);
  EXPECT_TRUE(ClosedByServer(silent, 1000));
  EXPECT_TRUE(ClosedByServer(slow, 1000));
}

TEST_F(GateTest, AClientThatHangsUpEarlyIsDropped) {
  Install({});
  int client = NewClient();
  SendAll(client, "GET / HTTP/1.1\r\n");
  EXPECT_EQ(AdmitWithin(2), -1);
  ::shutdown(client, SHUT_WR);
  for (int i = 0; i < 20 && gate_->stats().abandoned == 0; ++i) {
    EXPECT_EQ(MasterRound(100), -1);
  }
  EXPECT_EQ(gate_->stats().abandoned, 1u);
  EXPECT_EQ(gate_->stats().admitted, 0u);
}

TEST_F(GateTest, PastTheLimitTheOldestWaitingConnectionIsClosed) {
  ConnectionGateOptions options;
  options.max_pending = 3;
  Install(options);
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(NewClient());
  EXPECT_EQ(AdmitWithin(3), -1);
  EXPECT_EQ(gate_->stats().evicted, 2u);
  EXPECT_EQ(gate_->pending(), 3u);
  EXPECT_TRUE(ClosedByServer(clients[0], 1000));
  EXPECT_TRUE(ClosedByServer(clients[1], 1000));
  EXPECT_FALSE(ClosedByServer(clients[4], 100));
  // The newest, once whole, still gets through.
  SendAll(clients[4], "GET / HTTP/1.1\r\n\r\n");
  EXPECT_GE(AdmitWithin(20), 0);
}

TEST_F(GateTest, AnOversizedHeadIsAdmittedForCivetwebToRefuse) {
  ConnectionGateOptions options;
  options.max_header_bytes = 1024;
  Install(options);
  int client = NewClient();
  SendAll(client, "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a'));
  EXPECT_GE(AdmitWithin(20), 0);
}

TEST_F(GateTest, TlsWaitsForTheWholeFirstRecord) {
  ConnectionGateOptions options;
  options.tls = true;
  Install(options);
  // A handshake record header announcing 100 bytes, then 60 of them.
  std::string record = {22, 3, 1, 0, 100};
  int client = NewClient();
  SendAll(client, record + std::string(60, 'x'));
  EXPECT_EQ(AdmitWithin(3), -1);
  SendAll(client, std::string(40, 'x'));
  EXPECT_GE(AdmitWithin(20), 0);
  // Plain HTTP to the TLS port goes on at once, for civetweb to refuse.
  int plain = NewClient();
  SendAll(plain, "G");
  EXPECT_GE(AdmitWithin(20), 0);
}

TEST_F(GateTest, PollReportsTheOtherDescriptorsAsPollDoes) {
  Install({});
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  pollfd p[2] = {{fds[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
  EXPECT_EQ(gate_->Poll(p, 2, 1000, 1), 1);
  EXPECT_TRUE(p[0].revents & POLLIN);
  EXPECT_EQ(p[1].revents, 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(GateTest, AcceptWithNothingReadySaysEagain) {
  Install({});
  errno = 0;
  EXPECT_EQ(gate_->Accept(nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);
}

// ---- In the HTTP server ----------------------------------------------------

class NullCollector : public Collector {
 public:
  absl::Status Collect(MetricSink&) override { return absl::OkStatus(); }
};

constexpr int kWorkers = 2;
constexpr int kSlowClients = 100;

std::unique_ptr<HttpServer> StartServer(bool gate) {
  auto registry = std::make_shared<ScrapeRegistry>();
  registry->Add("null", std::make_unique<NullCollector>());
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.max_connections = kWorkers;
  options.request_timeout = std::chrono::seconds(30);
  options.connection_gate = gate;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, registry);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Opens `kSlowClients` connections to `port`: half send nothing, half send
// the start of a request.
std::vector<int> HoldSlowConnections(int port) {
  std::vector<int> fds;
  for (int i = 0; i < kSlowClients; ++i) {
    int fd = ConnectLoopback(port);
    EXPECT_GE(fd, 0);
    if (fd < 0) continue;
    if (i % 2 == 1) SendAll(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    fds.push_back(fd);
  }
  return fds;
}

TEST(HttpServerGateTest, SlowClientsDoNotStarveAScrape) {
  std::unique_ptr<HttpServer> server = StartServer(true);
  ASSERT_NE(server, nullptr);
  std::vector<int> slow = HoldSlowConnections(server->port());
  for (int round = 0; round < 5; ++round) {
    HttpResponse response = HttpRequest(server->port(), "GET", "/metrics");
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_THAT(response.body, ::testing::HasSubstr("oom_scrape_collector"));
    for (std::size_t i = 1; i < slow.size(); i += 2) SendAll(slow[i], "X");
  }
  // Served while every slow client still held its connection.
  int closed = 0;
  for (int fd : slow) closed += ClosedByServer(fd, 0);
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(server->gate_stats().admitted, 5u);
  EXPECT_GE(server->gate_stats().accepted, 5u + kSlowClients);
  for (int fd : slow) ::close(fd);

  // The hang-ups are counted, and /metrics shows the gate's counts.
  for (int i = 0; i < 500 && server->gate_stats().abandoned < slow.size();
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HttpResponse metrics = HttpRequest(server->port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.error;
  EXPECT_THAT(metrics.body,
              HasSubstr(absl::StrCat(
                  "oom_http_connections_dropped_total{reason=\"hangup\"} ",
                  slow.size(), "\n")));
  EXPECT_THAT(
      metrics.body,
      HasSubstr("oom_http_connections_dropped_total{reason=\"timeout\"} "
                "0\n"));
  // Every connection so far, this scrape's own included.
  EXPECT_THAT(metrics.body,
              HasSubstr(absl::StrCat("oom_http_connections_accepted_total ",
                                     server->gate_stats().accepted, "\n")));
}

TEST(HttpServerGateTest, WithoutTheGateTheSameClientsStarveIt) {
  // The control: civetweb alone gives each slow client a worker, for up to
  // the 30 s request timeout.
  std::unique_ptr<HttpServer> server = StartServer(false);
  ASSERT_NE(server, nullptr);
  std::vector<int> slow = HoldSlowConnections(server->port());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string answer = ::oom::testing::SendRaw(
      server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 3000);
  EXPECT_EQ(answer, "");
  for (int fd : slow) ::close(fd);
}

}  // namespace
}  // namespace oom
