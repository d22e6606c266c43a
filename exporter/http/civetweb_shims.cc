// The shims for Debian's civetweb: see civetweb_shims.h for what each one
// replaces, why no supported seam exists, and what it relies on.

#include "exporter/http/civetweb_shims.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/status_macros.h"

// OpenSSL 3's ssl.h makes the name a macro for SSL_get1_peer_certificate:
// undo that, or the definition below would define (and interpose)
// SSL_get1_peer_certificate.
#undef SSL_get_peer_certificate
extern "C" X509* SSL_get_peer_certificate(const SSL* ssl);

namespace oom {
namespace {

using PollFn = int (*)(struct pollfd*, nfds_t, int);
using AcceptFn = int (*)(int, struct sockaddr*, socklen_t*);
using DlopenFn = void* (*)(const char*, int);

// libc's (or a sanitizer's) functions, behind the program's own.
PollFn LibcPoll() {
  static PollFn fn = reinterpret_cast<PollFn>(dlsym(RTLD_NEXT, "poll"));
  return fn;
}
AcceptFn LibcAccept() {
  static AcceptFn fn = reinterpret_cast<AcceptFn>(dlsym(RTLD_NEXT, "accept"));
  return fn;
}
DlopenFn LibcDlopen() {
  static DlopenFn fn = [] {
    void* f = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
    // glibc before 2.34 has dlopen in libdl only, at the architecture's base
    // version (GLIBC_2.2.5 on x86-64, GLIBC_2.17 on arm64): its default.
    if (f == nullptr) f = dlsym(RTLD_NEXT, "dlopen");
    return reinterpret_cast<DlopenFn>(f);
  }();
  return fn;
}

// The intercepted listening sockets. `g_intercepted` lets every other
// poll() and accept() skip the lock while there is none.
std::atomic<int> g_intercepted{0};
std::mutex g_hooks_mu;
std::unordered_map<int, std::shared_ptr<ListenerHooks>>& Hooks() {
  static auto* hooks =
      new std::unordered_map<int, std::shared_ptr<ListenerHooks>>;
  return *hooks;
}

std::shared_ptr<ListenerHooks> HooksFor(int fd) {
  if (g_intercepted.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_hooks_mu);
  auto it = Hooks().find(fd);
  return it == Hooks().end() ? nullptr : it->second;
}

std::atomic<bool> g_tls_redirected{false};

// OK if ld.so resolves `name`, for civetweb, to the program's definition
// `ours`: not so in a build that lost an --export-dynamic-symbol option.
absl::Status CheckExported(const char* name, void* ours) {
  DlopenFn libc_dlopen = LibcDlopen();
  void* program =
      libc_dlopen != nullptr ? libc_dlopen(nullptr, RTLD_NOW) : nullptr;
  if (program == nullptr) return absl::InternalError("cannot find dlopen()");
  void* found = ::dlsym(program, name);
  ::dlclose(program);
  if (found != ours) {
    return absl::InternalError(absl::StrCat(
        "the program does not export its ", name,
        "(): civetweb would call another (see exporter/CMakeLists.txt, "
        "exporter/http/civetweb_shims.h)"));
  }
  return absl::OkStatus();
}

}  // namespace

ListenerInterception::~ListenerInterception() {
  std::lock_guard<std::mutex> lock(g_hooks_mu);
  if (Hooks().erase(listen_fd_) > 0) {
    g_intercepted.fetch_sub(1, std::memory_order_release);
  }
}

absl::StatusOr<std::unique_ptr<ListenerInterception>> InterceptListener(
    int listen_fd, std::shared_ptr<ListenerHooks> hooks) {
  if (hooks == nullptr) return absl::InvalidArgumentError("no hooks");
  if (LibcPoll() == nullptr || LibcAccept() == nullptr) {
    return absl::InternalError("cannot find libc's poll() and accept()");
  }
  OOM_RETURN_IF_ERROR(CheckExported("poll", reinterpret_cast<void*>(&::poll)));
  OOM_RETURN_IF_ERROR(
      CheckExported("accept", reinterpret_cast<void*>(&::accept)));
  std::lock_guard<std::mutex> lock(g_hooks_mu);
  if (!Hooks().emplace(listen_fd, std::move(hooks)).second) {
    return absl::AlreadyExistsError(absl::StrCat("listening socket ", listen_fd,
                                                 " is intercepted already"));
  }
  g_intercepted.fetch_add(1, std::memory_order_release);
  return std::unique_ptr<ListenerInterception>(
      new ListenerInterception(listen_fd));
}

absl::StatusOr<int> FindListeningSocket(int port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return absl::ErrnoToStatus(errno, "/proc/self/fd");
  int found = -1;
  while (dirent* entry = ::readdir(dir)) {
    int fd;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd == ::dirfd(dir)) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening) {
      continue;
    }
    sockaddr_storage address;
    len = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
      continue;
    }
    int bound = -1;
    if (address.ss_family == AF_INET) {
      bound = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    } else if (address.ss_family == AF_INET6) {
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    }
    if (bound == port) {
      found = fd;
      break;
    }
  }
  ::closedir(dir);
  if (found < 0) {
    return absl::NotFoundError(
        absl::StrCat("no listening socket on port ", port));
  }
  return found;
}

absl::Status RedirectTlsLibraries() {
  OOM_RETURN_IF_ERROR(
      CheckExported("dlopen", reinterpret_cast<void*>(&::dlopen)));
  OOM_RETURN_IF_ERROR(
      CheckExported("SSL_get_peer_certificate",
                    reinterpret_cast<void*>(&::SSL_get_peer_certificate)));
  g_tls_redirected.store(true, std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace oom

// ---- The definitions ld.so finds ahead of libc's (civetweb_shims.h) -------

extern "C" __attribute__((visibility("default"))) int poll(struct pollfd* fds,
                                                           nfds_t nfds,
                                                           int timeout) {
  if (oom::g_intercepted.load(std::memory_order_acquire) != 0) {
    for (nfds_t i = 0; i < nfds; ++i) {
      if (std::shared_ptr<oom::ListenerHooks> hooks =
              oom::HooksFor(fds[i].fd)) {
        return hooks->Poll(fds, nfds, timeout, i);
      }
    }
  }
  oom::PollFn libc = oom::LibcPoll();
  if (libc == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return libc(fds, nfds, timeout);
}

extern "C" __attribute__((visibility("default"))) int accept(
    int fd, struct sockaddr* addr, socklen_t* addrlen) {
  if (std::shared_ptr<oom::ListenerHooks> hooks = oom::HooksFor(fd)) {
    return hooks->Accept(addr, addrlen);
  }
  oom::AcceptFn libc = oom::LibcAccept();
  if (libc == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return libc(fd, addr, addrlen);
}

// Only the two development names civetweb asks for, once TLS is redirected,
// are answered with the program's own handle.
extern "C" __attribute__((visibility("default"))) void* dlopen(const char* file,
                                                               int mode) {
  oom::DlopenFn libc = oom::LibcDlopen();
  if (libc == nullptr) return nullptr;
  if (file != nullptr &&
      oom::g_tls_redirected.load(std::memory_order_acquire) &&
      (std::strcmp(file, "libssl.so") == 0 ||
       std::strcmp(file, "libcrypto.so") == 0)) {
    return libc(nullptr, mode);
  }
  return libc(file, mode);
}

// OpenSSL 1.1's function, absent from OpenSSL 3: the same contract as its
// successor's (a new reference).
extern "C" __attribute__((visibility("default"))) X509*
SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
