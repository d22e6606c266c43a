#include "exporter/http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string_view>

#include "absl/strings/str_cat.h"
#include "collectors/base/status_macros.h"

namespace oom {
namespace {

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status Failed(const std::string& what, const std::string& file) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", file, "\": ", OpenSslErrors()));
}

int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

absl::Status ConfigureTls(void* ssl_ctx, const TlsServerConfig& config) {
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    return Failed("tls_server_config.cert_file", config.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    return Failed("tls_server_config.key_file", config.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Failed("tls_server_config.key_file does not match cert_file",
                  config.key_file);
  }
  auto version = [](TlsVersion v) {
    return v == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  };
  // civetweb sets SSL_OP_NO_* options from ssl_protocol_version; clear them
  // so that the versions below alone decide.
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
  if (SSL_CTX_set_min_proto_version(ctx, version(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, version(config.max_version)) != 1) {
    return absl::InternalError(
        absl::StrCat("cannot set the TLS versions: ", OpenSslErrors()));
  }
  if (!config.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.client_ca_file.c_str(),
                                      nullptr) != 1) {
      return Failed("tls_server_config.client_ca_file", config.client_ca_file);
    }
    STACK_OF(X509_NAME)* names =
        SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
  }
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         nullptr);
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<TlsContext> NewTlsContext(const TlsServerConfig& config) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot make a TLS context: ", OpenSslErrors()));
  }
  TlsContext owned(ctx,
                   [](void* p) { SSL_CTX_free(static_cast<SSL_CTX*>(p)); });
  OOM_RETURN_IF_ERROR(ConfigureTls(ctx, config));
  return owned;
}

namespace {

// Before the version is chosen: the versions of the moment. (civetweb's
// server-name callback, which runs later, swaps the SSL's certificate
// settings back to its own context's; the versions stay.)
int OnClientHello(SSL* ssl, int* alert, void* arg) {
  TlsContext current = static_cast<TlsSource*>(arg)->CurrentTls();
  auto* ctx = static_cast<SSL_CTX*>(current.get());
  if (ctx == nullptr ||
      SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx)) != 1 ||
      SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx)) != 1) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

// After the server-name callback, before the certificate is sent: the
// certificate, key, chain and client verification of the moment.
int OnCertificate(SSL* ssl, void* arg) {
  TlsContext current = static_cast<TlsSource*>(arg)->CurrentTls();
  auto* ctx = static_cast<SSL_CTX*>(current.get());
  if (ctx == nullptr) return 0;
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx, &chain);
  if (SSL_use_cert_and_key(ssl, SSL_CTX_get0_certificate(ctx),
                           SSL_CTX_get0_privatekey(ctx), chain, 1) != 1) {
    return 0;
  }
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx),
                 SSL_CTX_get_verify_callback(ctx));
  if (SSL_set1_verify_cert_store(ssl, SSL_CTX_get_cert_store(ctx)) != 1) {
    return 0;
  }
  STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(ctx);
  SSL_set_client_CA_list(
      ssl, names != nullptr ? SSL_dup_CA_list(names) : sk_X509_NAME_new_null());
  return 1;
}

}  // namespace

void FollowTlsSource(void* ssl_ctx, TlsSource* source) {
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_client_hello_cb(ctx, OnClientHello, source);
  SSL_CTX_set_cert_cb(ctx, OnCertificate, source);
}

}  // namespace oom
