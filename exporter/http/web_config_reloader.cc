#include "exporter/http/web_config_reloader.h"

#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/base/log.h"
#include "collectors/base/status_macros.h"

namespace oom {
namespace {

// Identity and version of one file; "-" when it cannot be stat'ed.
std::string FileSignature(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::StrCat(path, ":-;");
  return absl::StrCat(path, ":", st.st_dev, ",", st.st_ino, ",", st.st_size,
                      ",", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ";");
}

}  // namespace

absl::StatusOr<std::shared_ptr<ActiveWebConfig>> ActivateWebConfig(
    WebConfig config) {
  auto active = std::make_shared<ActiveWebConfig>();
  if (config.tls) {
    OOM_ASSIGN_OR_RETURN(TlsContext tls, NewTlsContext(*config.tls));
    active->tls = std::move(tls);
  }
  if (!config.basic_auth_users.empty()) {
    active->auth = std::make_unique<BasicAuth>(config.basic_auth_users);
  }
  active->config = std::move(config);
  return active;
}

absl::StatusOr<std::unique_ptr<WebConfigReloader>> WebConfigReloader::Create(
    std::string path, WebConfig initial,
    std::chrono::milliseconds check_interval) {
  std::unique_ptr<WebConfigReloader> reloader(
      new WebConfigReloader(std::move(path), check_interval));
  std::string signature = reloader->Signature(initial);
  OOM_ASSIGN_OR_RETURN(std::shared_ptr<ActiveWebConfig> active,
                       ActivateWebConfig(std::move(initial)));
  std::lock_guard<std::mutex> lock(reloader->mu_);
  reloader->current_ = std::move(active);
  reloader->signature_ = std::move(signature);
  reloader->last_check_ = Clock::now();
  return reloader;
}

std::string WebConfigReloader::Signature(const WebConfig& config) const {
  std::string signature = FileSignature(path_);
  if (config.tls) {
    absl::StrAppend(&signature, FileSignature(config.tls->cert_file),
                    FileSignature(config.tls->key_file));
    if (!config.tls->client_ca_file.empty()) {
      absl::StrAppend(&signature, FileSignature(config.tls->client_ca_file));
    }
  }
  return signature;
}

std::shared_ptr<const ActiveWebConfig> WebConfigReloader::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty()) return current_;
  Clock::time_point now = Clock::now();
  if (now - last_check_ < interval_) return current_;
  last_check_ = now;
  std::string signature = Signature(current_->config);
  if (signature != signature_ && signature != failed_signature_) {
    Reload(signature);
  }
  return current_;
}

void WebConfigReloader::Reload(const std::string& signature) {
  auto refuse = [&](const std::string& why) {
    failed_signature_ = signature;
    ++failed_reloads_;
    Log(LogLevel::kError,
        "web config changed but cannot be used; keeping the previous one",
        {{"file", path_}, {"err", why}});
  };
  absl::StatusOr<WebConfig> loaded = LoadWebConfig(path_);
  if (!loaded.ok()) return refuse(std::string(loaded.status().message()));
  if (loaded->tls.has_value() != current_->config.tls.has_value()) {
    return refuse(
        loaded->tls ? "tls_server_config added: turning TLS on needs a restart"
                    : "tls_server_config removed: turning TLS off needs a "
                      "restart");
  }
  // The signature of what was read, taken before activating it: a change in
  // between is seen at the next check.
  std::string new_signature = Signature(*loaded);
  absl::StatusOr<std::shared_ptr<ActiveWebConfig>> active =
      ActivateWebConfig(*std::move(loaded));
  if (!active.ok()) return refuse(std::string(active.status().message()));
  current_ = *std::move(active);
  signature_ = std::move(new_signature);
  failed_signature_.clear();
  ++reloads_;
  Log(LogLevel::kInfo, "web config reloaded",
      {{"file", path_},
       {"tls", current_->tls != nullptr ? "true" : "false"},
       {"basic_auth_users",
        absl::StrCat(current_->config.basic_auth_users.size())}});
}

uint64_t WebConfigReloader::reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reloads_;
}

uint64_t WebConfigReloader::failed_reloads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_reloads_;
}

}  // namespace oom
