#ifndef OOM_EXPORTER_EXPORTER_HTTP_TLS_H_
#define OOM_EXPORTER_EXPORTER_HTTP_TLS_H_

// TLS for the HTTP server, on Debian 12's civetweb 1.15 and OpenSSL 3: the
// OpenSSL configuration only. civetweb makes the SSL_CTX and hands it to
// the init_ssl callback, where ConfigureTls sets the certificate, key,
// versions and client verification up and FollowTlsSource makes each
// handshake take the settings of the moment (reloads). That civetweb finds
// OpenSSL 3 at all, and does not crash after the first handshake, is
// exporter/http/civetweb_shims.h's business (RedirectTlsLibraries).

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "exporter/http/web_config.h"

namespace oom {

// Sets up `ssl_ctx` (an OpenSSL SSL_CTX* civetweb made) from `config`:
// certificate chain and key (checked to match), minimum and maximum
// versions, client certificate verification. Errors name the file and give
// OpenSSL's reason.
absl::Status ConfigureTls(void* ssl_ctx, const TlsServerConfig& config);

// An SSL_CTX (as void, to keep OpenSSL's headers out) set up from `config`
// by ConfigureTls: one version of the TLS settings, for reloads.
using TlsContext = std::shared_ptr<void>;
absl::StatusOr<TlsContext> NewTlsContext(const TlsServerConfig& config);

// Where each handshake finds the TLS settings of the moment.
class TlsSource {
 public:
  virtual ~TlsSource() = default;
  // Never null while TLS is on.
  virtual TlsContext CurrentTls() = 0;
};

// Hooks `ssl_ctx` (civetweb's) so that each handshake takes its versions,
// certificate chain and key, client CA list, verification mode and store
// from `source->CurrentTls()` at that moment: a renewed certificate is
// served from the next connection on. `source` must outlive the context.
void FollowTlsSource(void* ssl_ctx, TlsSource* source);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_TLS_H_
