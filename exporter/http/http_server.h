#ifndef OOM_EXPORTER_EXPORTER_HTTP_HTTP_SERVER_H_
#define OOM_EXPORTER_EXPORTER_HTTP_HTTP_SERVER_H_

// The exporter's HTTP side: prometheus-cpp's pull Exposer (civetweb) serves
// the telemetry path; a civetweb begin_request hook answers everything else:
//   /              a small HTML landing page (version, collectors' status)
//   /healthz       200 "ok"
//   the collectors' own endpoints (ScrapeRegistry::Routes, e.g. /api/v1/kills)
//   anything else  404; methods other than GET and HEAD get 405.
// No file is ever served from disk: no document_root is configured and every
// path but the telemetry path is answered by the hook.
//
// With a web config (--web.config.file): every path but /healthz asks for
// HTTP basic authentication when basic_auth_users is set (401 and
// WWW-Authenticate otherwise; /healthz answers "ok" to anyone, since what
// checks liveness has no password), and the port speaks TLS only when
// tls_server_config is (see exporter/http/tls.h for how TLS works on Debian's
// civetweb). Limits: at most `max_connections` requests are served at once
// (more wait in civetweb's queue), a request must arrive whole within
// `request_timeout`, and its header may take at most `max_header_bytes`. Until
// a connection's request has arrived it waits in a ConnectionGate, not in a
// worker: slow clients cannot starve the scrapes
// (exporter/http/connection_gate.h).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collectors/scrape/scrape_registry.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/connection_gate.h"
#include "exporter/http/web_config.h"
#include "exporter/http/web_config_reloader.h"

struct mg_connection;
struct mg_context;

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace oom {

class ListenerInterception;

struct HttpServerOptions {
  std::string listen_address = ":9968";  // --web.listen-address form
  std::string telemetry_path = "/metrics";
  WebConfig web_config;
  // The file web_config was read from: re-read when it (or a TLS file it
  // names) changes (exporter/http/web_config_reloader.h). Empty: never.
  std::string web_config_file;
  int max_connections = 8;  // civetweb worker threads
  std::chrono::milliseconds request_timeout{10000};
  std::size_t max_header_bytes = 16384;  // civetweb's max_request_size
  // Hold connections in a ConnectionGate until their request has arrived
  // (exporter/http/connection_gate.h); off only to show in tests what it
  // prevents.
  bool connection_gate = true;
  // Runs on Start's thread once the port is bound and TLS is set up, before
  // civetweb starts the threads that accept and answer requests (from its
  // init_context callback). An error makes Start fail with it; until Start
  // has stopped civetweb again, a request that slips in gets only a 503.
  std::function<absl::Status()> before_serving;
};

class HttpServer {
 public:
  // Binds and starts serving `registry`. A failure says why in plain words,
  // e.g. "cannot listen on 127.0.0.1:9968: Address already in use".
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options,
      std::shared_ptr<ScrapeRegistry> registry);

  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port bound (the kernel's choice when the address asked for port 0).
  int port() const { return port_; }

  // What the connection gate has done; all zero without a gate.
  ConnectionGateStats gate_stats() const;

  // Answers one request unless it is a GET for the telemetry path; returns
  // the HTTP status sent, or 0 to let the Exposer answer. Public for the
  // civetweb hook only.
  int HandleRequest(mg_connection* conn);

  // Puts the ConnectionGate on civetweb's listening socket (through
  // exporter/http/civetweb_shims.h). Public for the civetweb hook only.
  void PutUpGate(const mg_context* ctx);

  // Sets up civetweb's SSL_CTX from the web config. Public for the civetweb
  // hook only.
  absl::Status ConfigureTls(void* ssl_ctx) const;

 private:
  HttpServer(HttpServerOptions options,
             std::shared_ptr<ScrapeRegistry> registry);

  // Starts civetweb (through prometheus-cpp's Exposer) with `civet_options`
  // and this server's hooks: the gate goes up and before_serving runs
  // inside, before civetweb's threads start. Sets exposer_ and context_, or
  // says why civetweb did not start (before_serving's error, a TLS file,
  // the port).
  absl::Status StartCivetweb(std::vector<std::string> civet_options, bool tls);

  std::string LandingPage() const;

  HttpServerOptions options_;
  std::shared_ptr<ScrapeRegistry> registry_;
  std::vector<HttpRoute> routes_;
  std::unique_ptr<WebConfigReloader> web_;  // basic auth and TLS in force
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<ConnectionGate> gate_;  // null if it could not be put up
  // civetweb's poll() and accept() on its listener, routed to gate_.
  std::unique_ptr<ListenerInterception> interception_;
  // The gate's counts on /metrics (oom_http_connections_*).
  std::shared_ptr<prometheus::Collectable> gate_metrics_;
  const mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_HTTP_SERVER_H_
