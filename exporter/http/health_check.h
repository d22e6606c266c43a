#ifndef OOM_EXPORTER_EXPORTER_HTTP_HEALTH_CHECK_H_
#define OOM_EXPORTER_EXPORTER_HTTP_HEALTH_CHECK_H_

// A client that asks a running exporter whether it serves: GET /healthz on
// the address the exporter listens on. It is what `oom_exporter
// --healthcheck` runs as a container's HEALTHCHECK, in an image that has no
// shell and no curl (exporter/cli/health_check_command.h).
//
// It uses civetweb's client (mg_connect_client, mg_connect_client_secure,
// mg_get_response), the library the server already links, and touches
// nothing else: no collector, no kernel file, no state, no listening port.
//
// How long it can take, at most: the connection, civetweb's fixed 10 s (on
// loopback it is made or refused at once; only a listener whose accept
// queue is full makes it wait); the TLS handshake, civetweb's fixed limit of
// about 1 s; the answer, `timeout`.

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

struct HealthCheckOptions {
  // The exporter's --web.listen-address, in that flag's form.
  std::string listen_address = ":9968";
  // The exporter speaks TLS (its web config has tls_server_config): ask
  // over HTTPS. The server's certificate is not verified: this checks that
  // the exporter on this host is alive, not who it is, and a certificate
  // for a DNS name or another address would not match 127.0.0.1 anyway.
  bool tls = false;
  // How long the answer may take once connected.
  std::chrono::milliseconds timeout{10000};
};

struct HealthCheckResult {
  bool healthy = false;  // the answer was 200
  // What was asked, e.g. http://127.0.0.1:9968/healthz; empty when the
  // address was refused.
  std::string url;
  // What happened, in plain words: "answered 200", "connection refused",
  // "no answer within 10s", "the connection closed without an answer",
  // "answered 503 (Service Unavailable)", "TLS handshake failed" ...
  std::string detail;
};

// Where to ask an exporter that listens on `listen_address` (the
// --web.listen-address form): its host, with no host and 0.0.0.0 (every
// interface) meaning 127.0.0.1, and its port. IPv6 is never given here: the
// flag refuses it, as Debian's civetweb has none. InvalidArgument for what
// the flag would refuse, and for port 0 (the kernel's choice at start: the
// check needs the port it chose).
struct HealthCheckTarget {
  std::string host;  // an IPv4 address
  int port = 0;      // 1..65535
};
absl::StatusOr<HealthCheckTarget> HealthCheckTargetFor(
    std::string_view listen_address);

// Connects to the exporter `options` name, sends GET /healthz and waits for
// its answer: healthy when it is 200. An address HealthCheckTargetFor
// refuses is reported as a result that is not healthy, saying why. Loads
// OpenSSL (through civetweb, exporter/http/civetweb_shims.h) only with
// `options.tls`. The caller ignores SIGPIPE: a server that hangs up while
// the request is written must not end the process.
HealthCheckResult CheckHealth(const HealthCheckOptions& options);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_HEALTH_CHECK_H_
