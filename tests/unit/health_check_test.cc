// The /healthz client of --healthcheck against real servers on 127.0.0.1:
// the exporter's HttpServer (plain, TLS with a certificate made here, TLS
// with basic authentication, TLS wanting a client certificate), a port
// that refuses connections, and hand-made peers for what the exporter never
// does (a non-200 answer, silence, a hang-up). Assertions are on the
// outcome and its words, never on how long it took.

#include "exporter/http/health_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "exporter/http/basic_auth.h"
#include "exporter/http/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::ListenLoopback;
using ::oom::testing::TempTree;
using ::testing::HasSubstr;
using ::testing::StartsWith;

HealthCheckOptions On(int port, bool tls = false) {
  HealthCheckOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(port);
  options.tls = tls;
  return options;
}

std::unique_ptr<HttpServer> StartServer(const WebConfig& web_config = {}) {
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.web_config = web_config;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::make_shared<ScrapeRegistry>());
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// A self-signed certificate for 127.0.0.1 (P-256, a day long) and its key,
// written as PEM to `cert_path` and `key_path`.
void WriteSelfSignedCertificate(const std::string& cert_path,
                                const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"),
                                                          EVP_PKEY_free);
  ASSERT_NE(key, nullptr);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  ASSERT_NE(cert, nullptr);
  ASSERT_EQ(X509_set_version(cert.get(), 2), 1);
  ASSERT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1), 1);
  ASSERT_NE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60), nullptr);
  ASSERT_NE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400), nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(
                name, "CN", MBSTRING_ASC,
                reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0),
            1);
  ASSERT_EQ(X509_set_issuer_name(cert.get(), name), 1);
  ASSERT_EQ(X509_set_pubkey(cert.get(), key.get()), 1);
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  FILE* out = std::fopen(cert_path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(PEM_write_X509(out, cert.get()), 1);
  std::fclose(out);
  out = std::fopen(key_path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr,
                                 nullptr),
            1);
  std::fclose(out);
}

// A peer of our own making on 127.0.0.1: accepts one connection, reads the
// request's header and does what it is told with it.
class Peer {
 public:
  enum class Then { kAnswer503, kHangUp };

  explicit Peer(Then then) {
    listener_ = ListenLoopback(4, &port_);
    thread_ = std::thread([this, then] {
      int conn = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) return;
      char buf[1024];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request_.append(buf, static_cast<std::size_t>(n));
      }
      if (then == Then::kAnswer503) {
        constexpr char kAnswer[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n";
        (void)!::send(conn, kAnswer, sizeof(kAnswer) - 1, MSG_NOSIGNAL);
      }
      ::close(conn);
    });
  }
  ~Peer() {
    if (thread_.joinable()) {
      ::shutdown(listener_, SHUT_RDWR);  // ends an accept still waiting
      thread_.join();
    }
    ::close(listener_);
  }
  int port() const { return port_; }
  // What the client sent, once the peer is done with its one connection.
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

class HealthCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // As --healthcheck does: a peer that hangs up mid-request is no signal.
    ::signal(SIGPIPE, SIG_IGN);
  }
};

TEST_F(HealthCheckTest, AsksTheAddressTheExporterListensOn) {
  struct Case {
    const char* listen_address;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{":9968", "127.0.0.1", 9968},
                        Case{"0.0.0.0:9100", "127.0.0.1", 9100},
                        Case{"localhost:9968", "127.0.0.1", 9968},
                        Case{"127.0.0.1:1", "127.0.0.1", 1},
                        Case{"192.0.2.7:65535", "192.0.2.7", 65535}}) {
    absl::StatusOr<HealthCheckTarget> target =
        HealthCheckTargetFor(c.listen_address);
    ASSERT_TRUE(target.ok()) << c.listen_address << ": " << target.status();
    EXPECT_EQ(target->host, c.host) << c.listen_address;
    EXPECT_EQ(target->port, c.port) << c.listen_address;
  }
}

TEST_F(HealthCheckTest, RefusesWhatTheListenFlagRefusesAndPortZero) {
  EXPECT_THAT(std::string(HealthCheckTargetFor(":0").status().message()),
              HasSubstr("port 0 is chosen by the kernel"));
  EXPECT_THAT(std::string(HealthCheckTargetFor("[::]:9968").status().message()),
              HasSubstr("IPv6"));
  EXPECT_THAT(std::string(HealthCheckTargetFor("9968").status().message()),
              HasSubstr("want HOST:PORT"));
  HealthCheckOptions options;
  options.listen_address = "127.0.0.1:0";
  HealthCheckResult result = CheckHealth(options);
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.url, "");
  EXPECT_THAT(result.detail, HasSubstr("port 0"));
}

TEST_F(HealthCheckTest, AServingExporterIsHealthy) {
  std::unique_ptr<HttpServer> server = StartServer();
  ASSERT_NE(server, nullptr);
  HealthCheckResult result = CheckHealth(On(server->port()));
  EXPECT_TRUE(result.healthy) << result.detail;
  EXPECT_EQ(result.detail, "answered 200");
  EXPECT_EQ(result.url,
            "http://127.0.0.1:" + std::to_string(server->port()) + "/healthz");
  // HTTPS to a plain port: no handshake.
  result = CheckHealth(On(server->port(), /*tls=*/true));
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.detail, "TLS handshake failed");
  EXPECT_THAT(result.url, StartsWith("https://"));
  // And the server is none the worse for it.
  EXPECT_TRUE(CheckHealth(On(server->port())).healthy);
}

TEST_F(HealthCheckTest, AClosedPortIsRefused) {
  // A socket bound to a port but not listening: the port is ours (nobody
  // else can take it meanwhile) and refuses connections.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len), 0);
  int port = ntohs(address.sin_port);
  for (bool tls : {false, true}) {
    HealthCheckResult result = CheckHealth(On(port, tls));
    EXPECT_FALSE(result.healthy);
    EXPECT_EQ(result.detail, "connection refused") << "tls " << tls;
  }
  ::close(fd);
}

TEST_F(HealthCheckTest, ANon200AnswerIsUnhealthyAndSaysItsStatus) {
  Peer peer(Peer::Then::kAnswer503);
  HealthCheckResult result = CheckHealth(On(peer.port()));
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.detail, "answered 503 (Service Unavailable)");
  EXPECT_THAT(peer.request(), StartsWith("GET /healthz HTTP/1.1\r\n"));
  EXPECT_THAT(peer.request(), HasSubstr("\r\nConnection: close\r\n"));
}

TEST_F(HealthCheckTest, APeerThatHangsUpIsUnhealthy) {
  Peer peer(Peer::Then::kHangUp);
  HealthCheckResult result = CheckHealth(On(peer.port()));
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.detail, "the connection closed without an answer");
}

TEST_F(HealthCheckTest, ASilentPeerTimesOut) {
  // Listening, so the kernel completes the connection, but never accepting:
  // the request is queued and nothing ever answers.
  int port = 0;
  int listener = ListenLoopback(4, &port);
  ASSERT_GE(listener, 0);
  HealthCheckOptions options = On(port);
  options.timeout = std::chrono::milliseconds(300);
  HealthCheckResult result = CheckHealth(options);
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.detail, "no answer within 300ms");
  ::close(listener);
}

class HealthCheckTlsTest : public HealthCheckTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(WriteSelfSignedCertificate(
        tree_.root() + "/server.crt", tree_.root() + "/server.key"));
    tls_.cert_file = tree_.root() + "/server.crt";
    tls_.key_file = tree_.root() + "/server.key";
  }

  TempTree tree_;
  TlsServerConfig tls_;
};

// The certificate is self-signed: nothing could verify it, so a healthy
// answer shows the check does not try to.
TEST_F(HealthCheckTlsTest, ATlsExporterWithBasicAuthIsHealthyOverHttps) {
  absl::StatusOr<std::string> hash = HashPassword("secret", 4);
  ASSERT_TRUE(hash.ok()) << hash.status();
  WebConfig web_config;
  web_config.tls = tls_;
  web_config.basic_auth_users["prometheus"] = *hash;
  std::unique_ptr<HttpServer> server = StartServer(web_config);
  ASSERT_NE(server, nullptr);

  HealthCheckResult result = CheckHealth(On(server->port(), /*tls=*/true));
  EXPECT_TRUE(result.healthy) << result.detail;
  EXPECT_EQ(result.detail, "answered 200");
  EXPECT_EQ(result.url,
            "https://127.0.0.1:" + std::to_string(server->port()) + "/healthz");

  // Plain HTTP to the TLS port gets no answer. The server would wait
  // --web.request-timeout (10 s) for a ClientHello; the check waits 1 s.
  HealthCheckOptions plain = On(server->port());
  plain.timeout = std::chrono::milliseconds(1000);
  result = CheckHealth(plain);
  EXPECT_FALSE(result.healthy);
  EXPECT_THAT(result.detail,
              ::testing::AnyOf("no answer within 1s",
                               "the connection closed without an answer"));
  EXPECT_TRUE(CheckHealth(On(server->port(), /*tls=*/true)).healthy);
}

// With client certificates required the check, which has none, cannot get
// an answer (docs/configuration.md says so).
TEST_F(HealthCheckTlsTest, AnExporterThatRequiresClientCertificatesRefusesIt) {
  WebConfig web_config;
  web_config.tls = tls_;
  web_config.tls->client_auth = ClientAuth::kRequireAndVerifyClientCert;
  web_config.tls->client_ca_file = tls_.cert_file;
  std::unique_ptr<HttpServer> server = StartServer(web_config);
  ASSERT_NE(server, nullptr);
  HealthCheckResult result = CheckHealth(On(server->port(), /*tls=*/true));
  EXPECT_FALSE(result.healthy);
  // Where it fails depends on the TLS version: in TLS 1.2 the server says
  // so within the handshake, in TLS 1.3 after the client's side of it is
  // done.
  EXPECT_THAT(
      result.detail,
      ::testing::AnyOf("TLS handshake failed",
                       "the connection closed before the request was sent",
                       "the connection closed without an answer"));
}

}  // namespace
}  // namespace oom
