#include "exporter/http/health_check.h"

#include <civetweb.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collectors/base/string_view.h"
#include "exporter/http/civetweb_shims.h"
#include "exporter/http/listen_address.h"

namespace oom {
namespace {

// civetweb asks mg_init_library to run before any other of its functions
// (its client's mutex attributes come from it), and with MG_FEATURES_TLS
// before a secure connection: that is when it loads OpenSSL, which the
// program's own must answer (RedirectTlsLibraries). Once per process each;
// the server, when one runs in this process, has done the same.
absl::Status InitCivetweb(bool tls) {
  static std::once_flag plain_once;
  std::call_once(plain_once, [] { mg_init_library(MG_FEATURES_DEFAULT); });
  if (!tls) return absl::OkStatus();
  static std::once_flag tls_once;
  static absl::Status* tls_status = nullptr;
  std::call_once(tls_once, [] {
    absl::Status status = RedirectTlsLibraries();
    if (status.ok() &&
        (mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) == 0) {
      status = absl::InternalError("civetweb could not load OpenSSL");
    }
    tls_status = new absl::Status(std::move(status));
  });
  return *tls_status;
}

// civetweb's reason for a failed connection, in plain words:
//   "connect(127.0.0.1:9968): error Connection refused" -> "connection
//   refused"; "connect(...): timeout" -> "no connection within 10s";
//   "SSL connection error" -> "TLS handshake failed".
std::string ConnectError(absl::string_view civetweb) {
  constexpr absl::string_view kError = "): error ";
  if (std::size_t at = civetweb.find(kError); at != absl::string_view::npos) {
    return absl::AsciiStrToLower(civetweb.substr(at + kError.size()));
  }
  if (absl::EndsWith(civetweb, "): timeout")) {
    return "no connection within 10s";  // connect_socket's fixed limit
  }
  if (civetweb == "SSL connection error") {
    // A peer that does not speak TLS, one that wants a client certificate,
    // or no handshake within civetweb's limit of about 1 s.
    return "TLS handshake failed";
  }
  return absl::StrCat("cannot connect: ", civetweb);
}

struct ConnectionCloser {
  void operator()(mg_connection* conn) const { mg_close_connection(conn); }
};
using Connection = std::unique_ptr<mg_connection, ConnectionCloser>;

}  // namespace

absl::StatusOr<HealthCheckTarget> HealthCheckTargetFor(
    std::string_view listen_address) {
  // "9968" (every interface) or "IP:PORT", checked as the server checks it.
  absl::StatusOr<std::string> civet = ToCivetListeningPort(listen_address);
  if (!civet.ok()) return civet.status();
  absl::string_view ports = *civet;
  std::size_t colon = ports.rfind(':');
  HealthCheckTarget target;
  target.host = colon == absl::string_view::npos
                    ? "0.0.0.0"
                    : std::string(ports.substr(0, colon));
  if (target.host == "0.0.0.0") target.host = "127.0.0.1";
  absl::string_view port =
      colon == absl::string_view::npos ? ports : ports.substr(colon + 1);
  if (!absl::SimpleAtoi(port, &target.port) || target.port == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(listen_address),
                     "\": port 0 is chosen by the kernel when the exporter "
                     "starts; give the port it listens on"));
  }
  return target;
}

HealthCheckResult CheckHealth(const HealthCheckOptions& options) {
  HealthCheckResult result;
  absl::StatusOr<HealthCheckTarget> target =
      HealthCheckTargetFor(options.listen_address);
  if (!target.ok()) {
    result.detail = std::string(target.status().message());
    return result;
  }
  result.url = absl::StrCat(options.tls ? "https" : "http", "://", target->host,
                            ":", target->port, "/healthz");
  if (absl::Status init = InitCivetweb(options.tls); !init.ok()) {
    result.detail = absl::StrCat("cannot set TLS up: ", init.message());
    return result;
  }

  char error[256] = "";
  mg_client_options client;
  std::memset(&client, 0, sizeof(client));
  client.host = target->host.c_str();
  client.port = target->port;
  // No server_cert: civetweb then sets SSL_VERIFY_NONE.
  Connection conn(options.tls
                      ? mg_connect_client_secure(&client, error, sizeof(error))
                      : mg_connect_client(client.host, client.port, 0, error,
                                          sizeof(error)));
  if (conn == nullptr) {
    result.detail = ConnectError(error);
    return result;
  }
  if (mg_printf(conn.get(),
                "GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n"
                "Connection: close\r\n\r\n",
                target->host.c_str(), target->port) <= 0) {
    result.detail = "the connection closed before the request was sent";
    return result;
  }
  auto asked = std::chrono::steady_clock::now();
  int timeout_ms = static_cast<int>(options.timeout.count());
  if (mg_get_response(conn.get(), error, sizeof(error), timeout_ms) < 0) {
    // civetweb says "No data received" both when the time is up and when
    // the peer closed first; the clock tells which.
    if (std::strcmp(error, "No data received") != 0) {
      result.detail =
          absl::StrCat("a malformed answer (civetweb: ", error, ")");
    } else if (std::chrono::steady_clock::now() - asked >= options.timeout) {
      result.detail = absl::StrCat(
          "no answer within ",
          absl::FormatDuration(absl::Milliseconds(options.timeout.count())));
    } else {
      result.detail = "the connection closed without an answer";
    }
    return result;
  }
  const mg_response_info* response = mg_get_response_info(conn.get());
  result.healthy = response->status_code == 200;
  result.detail = absl::StrCat("answered ", response->status_code);
  if (!result.healthy && response->status_text != nullptr &&
      response->status_text[0] != '\0') {
    absl::StrAppend(&result.detail, " (", response->status_text, ")");
  }
  return result;
}

}  // namespace oom
