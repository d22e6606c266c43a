#ifndef OOM_EXPORTER_EXPORTER_HTTP_TLS_H_
#define OOM_EXPORTER_EXPORTER_HTTP_TLS_H_

// TLS for the HTTP server, on Debian 12's civetweb 1.15 and OpenSSL 3.
//
// Why Debian's civetweb crashes on the first TLS connection: it is built to
// load OpenSSL at run time (dlopen of "libssl.so" and "libcrypto.so", names
// only libssl-dev provides) against the OpenSSL 1.1 API. It looks up each
// function with dlsym. OpenSSL 3 (libssl3) no longer exports
// SSL_get_peer_certificate (it is a macro for SSL_get1_peer_certificate
// now): civetweb's lookup leaves that pointer NULL without failing to start,
// and its worker calls it after every successful SSL_accept (to fill the
// request's client certificate), so the first handshake jumps to address 0
// (SIGSEGV, "segfault at 0 ip 0000000000000000" in civetweb-worker).
//
// The fix, here: the exporter links OpenSSL 3 itself and
//   - defines (and exports) SSL_get_peer_certificate, forwarding to
//     SSL_get1_peer_certificate (the same contract: a new reference);
//   - interposes dlopen so that civetweb's dlopen("libssl.so") and
//     dlopen("libcrypto.so") return the program's own handle, whose symbol
//     scope holds libssl.so.3, libcrypto.so.3 and that definition. No
//     libssl-dev is needed at run time, and civetweb and the exporter use the
//     same OpenSSL. Every other dlopen is passed on unchanged;
//   - sets the certificate, key, versions and client verification up itself,
//     through civetweb's init_ssl callback (ConfigureTls below).

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
