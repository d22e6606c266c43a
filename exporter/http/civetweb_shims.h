#ifndef OOM_EXPORTER_EXPORTER_HTTP_CIVETWEB_SHIMS_H_
#define OOM_EXPORTER_EXPORTER_HTTP_CIVETWEB_SHIMS_H_

// The only place where the program replaces functions of libc, ld.so or
// OpenSSL for the whole process: what Debian 12's civetweb (1.15+dfsg-4,
// libcivetweb1) offers no seam for. Its own CMake target
// (oom_civetweb_shims, an OBJECT library: every definition below is linked
// whether or not anything calls it) is linked by the oom_exporter executable
// and the HTTP server's tests only, and exports the symbols below from the
// executable (--export-dynamic-symbol: exporter/CMakeLists.txt), where ld.so
// finds them ahead of libc's for civetweb's calls. If Debian's civetweb
// changes, tests/unit/civetweb_shims_test.cc says what and where.
//
// 1. poll() and accept(): civetweb's listening socket, for the connection
//    gate (exporter/http/connection_gate.h).
//    Why: civetweb 1.15 gives every accepted connection a worker thread
//    until its request has been read; nothing in its API runs between
//    accept() and the worker (init_connection, begin_request and the
//    handlers all run on the worker; access_control_list only filters by
//    address), nor lets the program accept for it: it keeps its listening
//    sockets to itself. So civetweb's master thread's own calls are caught:
//    it waits in poll() on its listening sockets (master_thread_run, through
//    mg_poll) and then calls accept() on the readable one
//    (accept_new_connection). The program's poll() and accept() hand a call
//    on a socket registered with InterceptListener to its ListenerHooks;
//    every other call (other descriptors, other threads' sockets) goes on to
//    libc's unchanged.
//    Relies on: libcivetweb importing poll and accept from libc (not ppoll,
//    accept4 or epoll), polling its listener with POLLIN and accepting only
//    after POLLIN, on one master thread; the listening socket being the one
//    bound to the port mg_get_server_ports reports (FindListeningSocket).
//    Our own code must not call poll() or accept() (the kernel-log reader
//    and the gate use ppoll() and accept4(), which civetweb does not use).
//
// 2. dlopen() and SSL_get_peer_certificate(): TLS on OpenSSL 3.
//    Why: Debian builds civetweb to load OpenSSL at run time (no NO_SSL_DL):
//    it calls dlopen("libssl.so") and dlopen("libcrypto.so"), names only
//    libssl-dev installs, and dlsym()s each function of the OpenSSL 1.1 API.
//    That happens whichever way the SSL_CTX is made (init_ssl,
//    external_ssl_ctx: both go through initialize_openssl), and no option
//    names the libraries. OpenSSL 3 no longer exports
//    SSL_get_peer_certificate (a macro for SSL_get1_peer_certificate now),
//    so civetweb's pointer stays NULL without failing to start, and its
//    worker calls it after every successful handshake
//    (ssl_get_client_cert_info): the first TLS connection would jump to
//    address 0. Once RedirectTlsLibraries() has run, the program's dlopen()
//    answers those two names with the program's own handle (whose scope
//    holds the libssl.so.3 and libcrypto.so.3 the program links, and the
//    program's exported SSL_get_peer_certificate, which forwards to
//    SSL_get1_peer_certificate: the same contract, a new reference). Every
//    other dlopen() goes on to ld.so's unchanged.
//    Relies on: libcivetweb not linking libssl itself, asking dlopen() for
//    exactly "libssl.so" and "libcrypto.so", and looking functions up with
//    dlsym() in the handle returned.

#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace oom {

// What civetweb's poll() and accept() on one listening socket are handed to.
class ListenerHooks {
 public:
  virtual ~ListenerHooks() = default;
  // civetweb's poll(fds, nfds, timeout_ms), fds[listener_index] being the
  // listening socket; returns what poll() returns.
  virtual int Poll(::pollfd* fds, unsigned long nfds, int timeout_ms,
                   std::size_t listener_index) = 0;
  // civetweb's accept(listening socket, addr, addrlen); returns what
  // accept() returns (with errno set on -1).
  virtual int Accept(struct sockaddr* addr, socklen_t* addrlen) = 0;
};

// While alive, civetweb's poll() and accept() on one listening socket go to
// its hooks. Destroying it sends them to libc again; a call already in the
// hooks finishes there (the hooks live until it has).
class ListenerInterception {
 public:
  ~ListenerInterception();
  ListenerInterception(const ListenerInterception&) = delete;
  ListenerInterception& operator=(const ListenerInterception&) = delete;

  int listen_fd() const { return listen_fd_; }

 private:
  friend absl::StatusOr<std::unique_ptr<ListenerInterception>>
  InterceptListener(int listen_fd, std::shared_ptr<ListenerHooks> hooks);
  explicit ListenerInterception(int listen_fd) : listen_fd_(listen_fd) {}
  const int listen_fd_;
};

// The listening socket bound to port `port` (IPv4 or IPv6) among this
// process's open descriptors: civetweb keeps its own to itself. NotFound if
// there is none.
absl::StatusOr<int> FindListeningSocket(int port);

// Routes poll() and accept() on `listen_fd` to `hooks` (not null).
// AlreadyExists if the socket is routed already; Internal if ld.so would not
// give civetweb the program's poll() and accept().
absl::StatusOr<std::unique_ptr<ListenerInterception>> InterceptListener(
    int listen_fd, std::shared_ptr<ListenerHooks> hooks);

// From now on civetweb's dlopen("libssl.so") and dlopen("libcrypto.so")
// give the program's own OpenSSL, SSL_get_peer_certificate included. Fails,
// saying which, if a shim is not what ld.so finds (a build that lost the
// --export-dynamic-symbol options): civetweb would then crash on the first
// handshake.
absl::Status RedirectTlsLibraries();

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_CIVETWEB_SHIMS_H_
