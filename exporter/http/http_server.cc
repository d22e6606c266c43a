#include "exporter/http/http_server.h"

#include <CivetServer.h>
#include <civetweb.h>

#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "collectors/base/log.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/version.h"
#include "exporter/http/civetweb_shims.h"
#include "exporter/http/connection_gate.h"
#include "exporter/http/listen_address.h"
#include "exporter/http/tls.h"
#include "prometheus/client_metric.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace oom {
namespace {

// civetweb hooks are plain functions; they find their HttpServer through the
// civetweb context. A server registers its context from the init_context
// hook, which runs inside the constructor's thread before any request is
// accepted; `t_starting` says which server that constructor belongs to.
//
// Why a map and a thread_local, not civetweb's user data: civetweb hands its
// hooks the user data given to mg_start, but CivetServer gives it its own
// address (civetweb 1.15's CivetServer.cpp: mg_start(&callbacks, this, ..)),
// and prometheus-cpp's Exposer, which makes the CivetServer, passes it no
// UserContext and keeps it to itself. init_ssl, init_context and the log
// messages of a failed start run inside the Exposer's constructor, before
// anything of it is returned: only the constructing thread knows whose
// start it is. civetweb's request handlers do take a pointer, but
// begin_request runs before them and must see every request: the telemetry
// path's too, which prometheus-cpp's own handler would otherwise answer
// without our 401s, 405s and HEAD, and all of them with a 503 until
// before_serving has said yes. Replacing the Exposer would lose its
// exposer_* families, which the golden scrape holds (they come from
// prometheus-cpp's MetricsHandler, a header Debian does not install).
std::mutex g_servers_mu;
std::unordered_map<const mg_context*, HttpServer*>& Servers() {
  static auto* servers = new std::unordered_map<const mg_context*, HttpServer*>;
  return *servers;
}

struct Starting {
  HttpServer* server = nullptr;
  const mg_context* context = nullptr;
  std::string errors;      // what civetweb logged while starting
  std::string tls_errors;  // what setting TLS up said
  const std::function<absl::Status()>* before_serving = nullptr;
  absl::Status before_serving_status;
};
thread_local Starting* t_starting = nullptr;

void OnInitContext(const mg_context* ctx) {
  if (t_starting == nullptr) return;
  t_starting->context = ctx;
  // civetweb has bound the port and set TLS up; its master and worker
  // threads start after this returns. The gate goes up first, so that it
  // sees every connection.
  t_starting->server->PutUpGate(ctx);
  if (*t_starting->before_serving) {
    t_starting->before_serving_status = (*t_starting->before_serving)();
    // Unregistered, the server answers nothing but 503 (OnBeginRequest).
    if (!t_starting->before_serving_status.ok()) return;
  }
  std::lock_guard<std::mutex> lock(g_servers_mu);
  Servers()[ctx] = t_starting->server;
}

int OnLogMessage(const mg_connection*, const char* message) {
  if (t_starting != nullptr) {
    absl::StrAppend(&t_starting->errors, t_starting->errors.empty() ? "" : "; ",
                    message);
  } else {
    // Client errors (a reset connection, a malformed request): worth a look
    // when debugging, never worth a line per request by default.
    Log(LogLevel::kDebug, "civetweb", {{"detail", message}});
  }
  return 1;  // civetweb must not print anything itself.
}

// Runs inside civetweb's start, on the thread of HttpServer::Start.
int OnInitSsl(void* ssl_ctx, void*) {
  if (t_starting == nullptr) return -1;
  absl::Status status = t_starting->server->ConfigureTls(ssl_ctx);
  if (!status.ok()) {
    t_starting->tls_errors = std::string(status.message());
    return -1;
  }
  return 1;  // The certificate is set: civetweb must not load its own.
}

int OnBeginRequest(mg_connection* conn) {
  HttpServer* server = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_servers_mu);
    auto it = Servers().find(mg_get_context(conn));
    if (it != Servers().end()) server = it->second;
  }
  if (server == nullptr) {
    mg_send_http_error(conn, 503, "%s", "starting up");
    return 503;
  }
  return server->HandleRequest(conn);
}

// civetweb's master thread's calls on its listener, handed to the gate.
class GateHooks : public ListenerHooks {
 public:
  explicit GateHooks(std::shared_ptr<ConnectionGate> gate)
      : gate_(std::move(gate)) {}
  int Poll(::pollfd* fds, unsigned long nfds, int timeout_ms,
           std::size_t listener_index) override {
    return gate_->Poll(fds, nfds, timeout_ms, listener_index);
  }
  int Accept(struct sockaddr* addr, socklen_t* addrlen) override {
    return gate_->Accept(addr, addrlen);
  }

 private:
  const std::shared_ptr<ConnectionGate> gate_;
};

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

int Send(mg_connection* conn, int status, std::string_view reason,
         std::string_view content_type, std::string_view body, bool head,
         std::string_view extra_headers = {}) {
  std::string header = absl::StrFormat(
      "HTTP/1.1 %d %s\r\n"
      "Content-Type: %s\r\n"
      "Content-Length: %d\r\n"
      "Cache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Connection: close\r\n"
      "%s\r\n",
      status, reason, content_type, body.size(), extra_headers);
  mg_write(conn, header.data(), header.size());
  if (!head) mg_write(conn, body.data(), body.size());
  return status;
}

// The connection gate's counts, scraped with the collectors' metrics: how
// many connections came, and how many were closed before they sent a whole
// request, and why (slow or silent clients, scanners, a connection flood).
class GateMetrics : public prometheus::Collectable {
 public:
  explicit GateMetrics(const HttpServer* server) : server_(server) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    ConnectionGateStats stats = server_->gate_stats();
    prometheus::MetricFamily accepted;
    accepted.name = "oom_http_connections_accepted_total";
    accepted.help =
        "Connections accepted on the listening socket, before their request "
        "is read (the connection gate; 0 without it)";
    accepted.type = prometheus::MetricType::Counter;
    accepted.metric.emplace_back();
    accepted.metric.back().counter.value = static_cast<double>(stats.accepted);

    prometheus::MetricFamily dropped;
    dropped.name = "oom_http_connections_dropped_total";
    dropped.help =
        "Connections closed before a whole request arrived, by reason: "
        "timeout (none within --web.request-timeout), hangup (the client "
        "closed first), evicted (too many waiting)";
    dropped.type = prometheus::MetricType::Counter;
    for (auto [reason, count] : {std::pair{"timeout", stats.timed_out},
                                 std::pair{"hangup", stats.abandoned},
                                 std::pair{"evicted", stats.evicted}}) {
      prometheus::ClientMetric metric;
      metric.label.push_back({"reason", reason});
      metric.counter.value = static_cast<double>(count);
      dropped.metric.push_back(std::move(metric));
    }
    return {std::move(accepted), std::move(dropped)};
  }

 private:
  const HttpServer* const server_;
};

// civetweb's options for `options`, listening on `ports` (civetweb's
// syntax; with TLS, each port marked as such).
std::vector<std::string> CivetOptions(const HttpServerOptions& options,
                                      const std::string& ports, bool tls) {
  return {
      "listening_ports",    tls ? ports + "s" : ports,
      "num_threads",        absl::StrCat(options.max_connections),
      "request_timeout_ms", absl::StrCat(options.request_timeout.count()),
      "max_request_size",   absl::StrCat(options.max_header_bytes),
      "enable_keep_alive",  "no",
  };
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options,
                       std::shared_ptr<ScrapeRegistry> registry)
    : options_(std::move(options)),
      registry_(std::move(registry)),
      routes_(registry_->Routes()) {}

absl::Status HttpServer::ConfigureTls(void* ssl_ctx) const {
  if (!options_.web_config.tls) {
    return absl::InternalError("TLS asked for without tls_server_config");
  }
  absl::Status status = oom::ConfigureTls(ssl_ctx, *options_.web_config.tls);
  // From then on each handshake takes the TLS settings in force.
  if (status.ok()) FollowTlsSource(ssl_ctx, web_.get());
  return status;
}

HttpServer::~HttpServer() {
  // Off the listening socket before civetweb closes it, lest the gate catch
  // a later descriptor of the same number.
  interception_.reset();
  exposer_.reset();  // Stops civetweb and waits for in-flight requests.
  gate_.reset();
  std::lock_guard<std::mutex> lock(g_servers_mu);
  Servers().erase(context_);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options,
    std::shared_ptr<ScrapeRegistry> registry) {
  OOM_ASSIGN_OR_RETURN(std::string ports,
                       ToCivetListeningPort(options.listen_address));

  bool tls = options.web_config.tls.has_value();
  // Before civetweb loads OpenSSL, which it does while starting.
  absl::Status redirected = tls ? RedirectTlsLibraries() : absl::OkStatus();
  if (!redirected.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot set TLS up: ", redirected.message()));
  }
  std::unique_ptr<HttpServer> server(
      new HttpServer(options, std::move(registry)));
  absl::StatusOr<std::unique_ptr<WebConfigReloader>> web =
      WebConfigReloader::Create(options.web_config_file, options.web_config);
  if (!web.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set TLS up: ", web.status().message()));
  }
  server->web_ = *std::move(web);
  OOM_RETURN_IF_ERROR(
      server->StartCivetweb(CivetOptions(options, ports, tls), tls));
  server->exposer_->RegisterCollectable(server->registry_,
                                        options.telemetry_path);
  server->gate_metrics_ = std::make_shared<GateMetrics>(server.get());
  server->exposer_->RegisterCollectable(server->gate_metrics_,
                                        options.telemetry_path);
  std::vector<int> bound = server->exposer_->GetListeningPorts();
  server->port_ = bound.empty() ? 0 : bound.front();

  return server;
}

absl::Status HttpServer::StartCivetweb(std::vector<std::string> civet_options,
                                       bool tls) {
  CivetCallbacks callbacks;
  callbacks.init_context = OnInitContext;
  callbacks.log_message = OnLogMessage;
  callbacks.begin_request = OnBeginRequest;
  if (tls) callbacks.init_ssl = OnInitSsl;
  Starting starting;
  starting.server = this;
  starting.before_serving = &options_.before_serving;
  t_starting = &starting;
  std::string failure;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(std::move(civet_options),
                                                     &callbacks);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  t_starting = nullptr;
  context_ = starting.context;
  if (!starting.before_serving_status.ok()) {
    return starting.before_serving_status;
  }
  if (!starting.tls_errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot set TLS up: ", starting.tls_errors));
  }
  if (exposer_ == nullptr) {
    // civetweb's own exception text is the same for every cause; what it
    // logged through log_message says which.
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen_address, ": ",
                     starting.errors.empty() ? failure : starting.errors));
  }
  return absl::OkStatus();
}

void HttpServer::PutUpGate(const mg_context* ctx) {
  if (!options_.connection_gate) return;
  ConnectionGateOptions gate_options;
  gate_options.timeout = options_.request_timeout;
  gate_options.max_header_bytes = options_.max_header_bytes;
  gate_options.tls = options_.web_config.tls.has_value();
  mg_server_port port;
  absl::StatusOr<int> listener =
      mg_get_server_ports(ctx, 1, &port) == 1
          ? FindListeningSocket(port.port)
          : absl::NotFoundError("civetweb reports no listening port");
  absl::StatusOr<std::shared_ptr<ConnectionGate>> gate =
      listener.ok() ? ConnectionGate::Create(*listener, gate_options)
                    : listener.status();
  absl::StatusOr<std::unique_ptr<ListenerInterception>> interception =
      gate.ok()
          ? InterceptListener(*listener, std::make_shared<GateHooks>(*gate))
          : gate.status();
  if (interception.ok()) {
    gate_ = *std::move(gate);
    interception_ = *std::move(interception);
  } else {
    Log(LogLevel::kWarn,
        "slow clients can hold civetweb's workers: no connection gate",
        {{"err", std::string(interception.status().message())}});
  }
}

ConnectionGateStats HttpServer::gate_stats() const {
  return gate_ != nullptr ? gate_->stats() : ConnectionGateStats();
}

int HttpServer::HandleRequest(mg_connection* conn) {
  const mg_request_info* request = mg_get_request_info(conn);
  std::string_view method =
      request->request_method != nullptr ? request->request_method : "";
  std::string_view path =
      request->local_uri != nullptr ? request->local_uri : "";
  bool head = method == "HEAD";
  if (method != "GET" && !head) {
    return Send(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8",
                "405 method not allowed: use GET or HEAD\n", false,
                "Allow: GET, HEAD\r\n");
  }
  // The liveness check answers without credentials: its answer is a
  // constant "ok", which tells no more than the 401 would (whose realm names
  // the exporter), and what checks liveness (a container's HEALTHCHECK,
  // `oom_exporter --healthcheck`, a Kubernetes probe) has no password: the
  // web config holds only hashes.
  if (path == "/healthz") {
    return Send(conn, 200, "OK", "text/plain; charset=utf-8", "ok\n", head);
  }
  std::shared_ptr<const ActiveWebConfig> web = web_->Current();
  if (web->auth != nullptr) {
    const char* authorization = mg_get_header(conn, "Authorization");
    if (authorization == nullptr || !web->auth->Allows(authorization)) {
      return Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8",
                  "401 unauthorized\n", head,
                  "WWW-Authenticate: Basic realm=\"oom_exporter\", "
                  "charset=\"UTF-8\"\r\n");
    }
  }
  if (path == options_.telemetry_path) {
    if (!head) {
      // The Exposer collects and answers; scrapes that arrive together
      // share one collection.
      registry_->MarkScrapeArrival();
      return 0;
    }
    // HEAD answers without running the collectors.
    return Send(conn, 200, "OK", "text/plain; version=0.0.4", "", true);
  }
  if (path == "/") {
    return Send(conn, 200, "OK", "text/html; charset=utf-8", LandingPage(),
                head);
  }
  for (const HttpRoute& route : routes_) {
    if (path == route.path) {
      return Send(conn, 200, "OK", route.content_type, route.body(), head);
    }
  }
  return Send(conn, 404, "Not Found", "text/plain; charset=utf-8",
              "404 page not found\n", head);
}

std::string HttpServer::LandingPage() const {
  std::string metrics = HtmlEscape(options_.telemetry_path);
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>oom_exporter</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}"
      "td,th{padding:.2em .8em;text-align:left}"
      ".ok{color:#1a7f37}.failed{color:#cf222e}</style>\n"
      "</head>\n<body>\n<h1>oom_exporter</h1>\n"
      "<p>Linux OOM-killer metrics for Prometheus. Version ",
      HtmlEscape(Version()), " (revision ", HtmlEscape(Revision()),
      ").</p>\n<p><a href=\"", metrics, "\">Metrics</a> at <code>", metrics,
      "</code> &middot; <a href=\"/healthz\">Health</a>");
  for (const HttpRoute& route : routes_) {
    absl::StrAppend(&html, " &middot; <a href=\"", HtmlEscape(route.path),
                    "\">", HtmlEscape(route.path), "</a>");
  }
  absl::StrAppend(&html,
                  "</p>\n"
                  "<h2>Collectors</h2>\n<table>\n"
                  "<tr><th>Collector</th><th>Last scrape</th><th>Status</th>"
                  "<th>Duration</th></tr>\n");
  for (const CollectorStatus& status : registry_->Statuses()) {
    std::string when = "not yet scraped";
    std::string state = "<td>&ndash;</td>";
    std::string duration = "&ndash;";
    if (status.scraped) {
      when = absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", status.last_scrape,
                              absl::UTCTimeZone());
      state = status.success ? "<td class=\"ok\">ok</td>"
                             : absl::StrCat("<td class=\"failed\">failed: ",
                                            HtmlEscape(status.error), "</td>");
      duration = absl::StrFormat("%.4f s", status.duration_seconds);
    }
    absl::StrAppend(&html, "<tr><td>", HtmlEscape(status.name), "</td><td>",
                    when, "</td>", state, "<td>", duration, "</td></tr>\n");
  }
  html += "</table>\n</body>\n</html>\n";
  return html;
}

}  // namespace oom
