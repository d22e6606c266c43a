#ifndef OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_H_
#define OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_H_

// The --web.config.file: the YAML file every Prometheus exporter reads to
// secure its endpoint (the exporter-toolkit web configuration). A sample:
//
//   tls_server_config:
//     cert_file: server.crt          # relative to the file's directory
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert
//     client_ca_file: clients.crt
//     min_version: TLS12
//   basic_auth_users:
//     prometheus: HASH   # oom_exporter hash-password prints one
//   http_server_config:
//     http2: false
//
// Supported: tls_server_config.{cert_file, key_file, client_auth_type,
// client_ca_file, min_version, max_version}; basic_auth_users (user ->
// bcrypt hash); http_server_config.http2 when false. Keys the format
// defines but oom_exporter does not implement (cipher_suites,
// curve_preferences, prefer_server_cipher_suites, client_allowed_sans, cert,
// key, headers, http2: true, rate_limit) are rejected as such, and any
// other key as unknown: a misspelt key must not silently weaken security.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// TLS versions as the format spells them; only TLS12 and TLS13 are allowed.
enum class TlsVersion { kTls12, kTls13 };

enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,           // asked for, neither required nor verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // verified when given
  kRequireAndVerifyClientCert,  // required and verified
};

struct TlsServerConfig {
  std::string cert_file;  // absolute, or as given when already absolute
  std::string key_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_ca_file;  // empty when not given
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;  // nullopt: plain HTTP
  // user -> bcrypt hash ($2a$, $2b$ or $2y$). Empty: no authentication.
  std::map<std::string, std::string> basic_auth_users;
};

// Parses the YAML text of a web config. Relative paths are taken relative to
// `base_dir` (the config file's directory). An empty document is an empty
// config. Errors (InvalidArgument) name the key and its line, e.g.
// `line 3: tls_server_config: unknown key "cert_fil" (known: ...)`.
// Never reads a file.
absl::StatusOr<WebConfig> ParseWebConfig(std::string_view yaml,
                                         std::string_view base_dir);

// Reads and parses the file at `path`; errors start with the path.
absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path);

// Whether `hash` has the shape of a bcrypt hash: "$2a$", "$2b$" or "$2y$",
// a two-digit cost from 04 to 31, "$" and 53 characters of bcrypt's base64.
bool IsBcryptHash(std::string_view hash);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_H_
