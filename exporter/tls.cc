#include "exporter/tls.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"

// The OpenSSL 1.1 function Debian's civetweb looks up (see tls.h). Exported
// from the executable (CMakeLists.txt: --export-dynamic-symbol). OpenSSL 3's
// ssl.h makes the name a macro for SSL_get1_peer_certificate: undo that, or
// this would define (and interpose) SSL_get1_peer_certificate itself.
#undef SSL_get_peer_certificate
extern "C" __attribute__((visibility("default"))) X509*
SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}

// Every dlopen in the process comes here; only the two development names
// civetweb asks for are answered with the program's own handle.
extern "C" __attribute__((visibility("default"))) void* dlopen(const char* file,
                                                               int mode) {
  using DlopenFn = void* (*)(const char*, int);
  static DlopenFn real = [] {
    void* fn = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
    if (fn == nullptr) fn = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.2.5");
    return reinterpret_cast<DlopenFn>(fn);
  }();
  if (real == nullptr) return nullptr;
  if (file != nullptr && (std::strcmp(file, "libssl.so") == 0 ||
                          std::strcmp(file, "libcrypto.so") == 0)) {
    return real(nullptr, mode);
  }
  return real(file, mode);
}

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

}  // namespace oom
