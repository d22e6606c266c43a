#ifndef OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_RELOADER_H_
#define OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_RELOADER_H_

// The web config in force, re-read when its file changes, as exporter-toolkit
// exporters do: new basic-auth users and passwords, and a renewed
// certificate, key or client CA, take effect without a restart.
//
// Each request (Current()) looks, at most once per `check_interval`, at the
// config file and the TLS files it names (device, inode, size and
// modification time, following symlinks, so a Kubernetes secret's swapped
// ..data link counts). When one changed, the file is read, parsed and
// checked whole (the certificate loaded and matched with its key) before it
// replaces the config in force. A config that fails keeps the previous one:
// one error line per change, and the exporter goes on serving. Turning TLS
// on or off needs a restart (the port speaks one or the other) and is
// refused the same way.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/tls.h"
#include "exporter/http/web_config.h"

namespace oom {

// One version of the web config, ready to use.
struct ActiveWebConfig {
  WebConfig config;
  std::unique_ptr<BasicAuth> auth;  // null: no authentication
  TlsContext tls;                   // null: plain HTTP
};

class WebConfigReloader : public TlsSource {
 public:
  // Puts `initial` in force, as read from `path` (empty: no file, never
  // reloads). Fails when its TLS settings cannot be loaded.
  static absl::StatusOr<std::unique_ptr<WebConfigReloader>> Create(
      std::string path, WebConfig initial,
      std::chrono::milliseconds check_interval = std::chrono::seconds(1));

  // The config in force, re-read first if the files changed. Thread-safe.
  std::shared_ptr<const ActiveWebConfig> Current();

  TlsContext CurrentTls() override { return Current()->tls; }

  uint64_t reloads() const;         // configs put in force after the first
  uint64_t failed_reloads() const;  // changed files that were refused

 private:
  using Clock = std::chrono::steady_clock;

  WebConfigReloader(std::string path, std::chrono::milliseconds interval)
      : path_(std::move(path)), interval_(interval) {}

  // What the files look like now: the config and the TLS files of `config`.
  std::string Signature(const WebConfig& config) const;
  void Reload(const std::string& signature) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::shared_ptr<const ActiveWebConfig> current_ ABSL_GUARDED_BY(mu_);
  std::string signature_ ABSL_GUARDED_BY(mu_);         // of current_
  std::string failed_signature_ ABSL_GUARDED_BY(mu_);  // last refused
  Clock::time_point last_check_ ABSL_GUARDED_BY(mu_);
  uint64_t reloads_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t failed_reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

// Builds the usable form of `config`: its BasicAuth and TLS context.
absl::StatusOr<std::shared_ptr<ActiveWebConfig>> ActivateWebConfig(
    WebConfig config);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_WEB_CONFIG_RELOADER_H_
