#include "exporter/http/connection_gate.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace oom {
namespace {

using PollFn = int (*)(struct pollfd*, nfds_t, int);
using AcceptFn = int (*)(int, struct sockaddr*, socklen_t*);

// libc's (or a sanitizer's) functions, behind the program's own.
PollFn RealPoll() {
  static PollFn fn = reinterpret_cast<PollFn>(dlsym(RTLD_NEXT, "poll"));
  return fn;
}
AcceptFn RealAccept() {
  static AcceptFn fn = reinterpret_cast<AcceptFn>(dlsym(RTLD_NEXT, "accept"));
  return fn;
}

// The installed gates by listening socket. `g_installed` lets every other
// poll() skip the lock while no gate is installed.
std::atomic<int> g_installed{0};
std::mutex g_gates_mu;
std::unordered_map<int, std::shared_ptr<ConnectionGate>>& Gates() {
  static auto* gates =
      new std::unordered_map<int, std::shared_ptr<ConnectionGate>>;
  return *gates;
}

std::shared_ptr<ConnectionGate> GateFor(int fd) {
  if (g_installed.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_gates_mu);
  auto it = Gates().find(fd);
  return it == Gates().end() ? nullptr : it->second;
}

// A request head ends with an empty line; RFC 9112 allows a bare LF.
bool HasWholeHead(std::string_view data) {
  return data.find("\r\n\r\n") != std::string_view::npos ||
         data.find("\n\n") != std::string_view::npos;
}

// A TLS connection begins with a handshake record (type 22) of the length
// in bytes 3..4; anything else is for civetweb to refuse.
bool HasWholeFirstRecord(std::string_view data) {
  if (data.empty()) return false;
  if (static_cast<unsigned char>(data[0]) != 22) return true;
  if (data.size() < 5) return false;
  std::size_t length = (static_cast<unsigned char>(data[3]) << 8) |
                       static_cast<unsigned char>(data[4]);
  return data.size() >= 5 + length;
}

}  // namespace

ConnectionGate::ConnectionGate(int listen_fd, int epoll_fd,
                               ConnectionGateOptions options)
    : listen_fd_(listen_fd), epoll_fd_(epoll_fd), options_(options) {
  // One byte beyond the limit tells "full" from "exactly the limit"; a TLS
  // record is at most 5 + 16 KiB + some.
  peek_buffer_.resize(std::max<std::size_t>(options_.max_header_bytes + 1,
                                            options_.tls ? 18437 : 0));
}

absl::StatusOr<std::shared_ptr<ConnectionGate>> ConnectionGate::Install(
    int listen_fd, const ConnectionGateOptions& options) {
  if (RealPoll() == nullptr || RealAccept() == nullptr) {
    return absl::InternalError("cannot find libc's poll() and accept()");
  }
  int flags = ::fcntl(listen_fd, F_GETFL);
  if (flags < 0 || ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return absl::ErrnoToStatus(errno,
                               "making the listening socket non-blocking");
  }
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::ErrnoToStatus(errno, "epoll_create1");
  std::shared_ptr<ConnectionGate> gate(
      new ConnectionGate(listen_fd, epoll_fd, options));
  std::lock_guard<std::mutex> lock(g_gates_mu);
  if (!Gates().emplace(listen_fd, gate).second) {
    return absl::AlreadyExistsError("the socket has a gate already");
  }
  g_installed.fetch_add(1, std::memory_order_release);
  return gate;
}

absl::StatusOr<int> ConnectionGate::FindListeningSocket(int port) {
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

ConnectionGate::~ConnectionGate() {
  for (const Pending& p : pending_) ::close(p.fd);
  for (const Pending& p : ready_) ::close(p.fd);
  ::close(epoll_fd_);
}

void ConnectionGate::Uninstall() {
  std::lock_guard<std::mutex> lock(g_gates_mu);
  auto it = Gates().find(listen_fd_);
  if (it != Gates().end() && it->second.get() == this) {
    Gates().erase(it);
    g_installed.fetch_sub(1, std::memory_order_release);
  }
}

ConnectionGateStats ConnectionGate::stats() const {
  ConnectionGateStats s;
  s.accepted = accepted_.load();
  s.admitted = admitted_.load();
  s.timed_out = timed_out_.load();
  s.abandoned = abandoned_.load();
  s.evicted = evicted_.load();
  return s;
}

ConnectionGate::Check ConnectionGate::Inspect(int fd) {
  ssize_t n = ::recv(fd, peek_buffer_.data(), peek_buffer_.size(),
                     MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return Check::kGone;
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
               ? Check::kWaiting
               : Check::kGone;
  }
  std::string_view data(peek_buffer_.data(), static_cast<std::size_t>(n));
  if (options_.tls) {
    return HasWholeFirstRecord(data) ? Check::kReady : Check::kWaiting;
  }
  if (data.size() > options_.max_header_bytes || HasWholeHead(data)) {
    return Check::kReady;
  }
  return Check::kWaiting;
}

void ConnectionGate::Close(std::size_t index, std::atomic<uint64_t>* counter) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, pending_[index].fd, nullptr);
  ::close(pending_[index].fd);
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
  pending_count_.store(pending_.size());
  counter->fetch_add(1);
}

void ConnectionGate::TakeWaitingConnections() {
  while (true) {
    Pending p;
    p.peer_len = sizeof(p.peer);
    p.fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&p.peer),
                     &p.peer_len, SOCK_CLOEXEC);
    if (p.fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors: the oldest waiting client gives its up, or the
      // listener would stay readable and the master thread spin.
      if ((errno == EMFILE || errno == ENFILE) && !pending_.empty()) {
        Close(0, &evicted_);
        continue;
      }
      return;  // EAGAIN: none left; anything else: try again later
    }
    accepted_.fetch_add(1);
    Check check = Inspect(p.fd);
    if (check == Check::kReady) {
      ready_.push_back(p);
      continue;
    }
    if (check == Check::kGone) {
      ::close(p.fd);
      abandoned_.fetch_add(1);
      continue;
    }
    // Edge-triggered: told once per arrival of data, not while it waits.
    epoll_event event = {};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.fd = p.fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, p.fd, &event) != 0) {
      ready_.push_back(p);  // cannot watch it: let civetweb read it
      continue;
    }
    p.deadline = Clock::now() + options_.timeout;
    pending_.push_back(p);
    if (pending_.size() > options_.max_pending) Close(0, &evicted_);
    pending_count_.store(pending_.size());
  }
}

void ConnectionGate::OnEvents() {
  epoll_event events[64];
  int n;
  while ((n = ::epoll_wait(epoll_fd_, events, 64, 0)) > 0) {
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      auto it = std::find_if(pending_.begin(), pending_.end(),
                             [fd](const Pending& p) { return p.fd == fd; });
      if (it == pending_.end()) continue;
      std::size_t index = static_cast<std::size_t>(it - pending_.begin());
      switch (Inspect(fd)) {
        case Check::kReady:
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
          ready_.push_back(*it);
          pending_.erase(it);
          pending_count_.store(pending_.size());
          break;
        case Check::kGone:
          Close(index, &abandoned_);
          break;
        case Check::kWaiting:
          // Half a request and then the client's FIN: it will never be
          // whole.
          if (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            Close(index, &abandoned_);
          }
          break;
      }
    }
    if (n < 64) break;
  }
}

void ConnectionGate::ExpireOld(Clock::time_point now) {
  // Deadlines grow with the position: the expired ones are in front.
  while (!pending_.empty() && pending_.front().deadline <= now) {
    Close(0, &timed_out_);
  }
}

int ConnectionGate::MillisecondsToNextDeadline(Clock::time_point now) const {
  if (pending_.empty()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  pending_.front().deadline - now)
                  .count();
  return static_cast<int>(std::max<int64_t>(left, 0) + 1);
}

int ConnectionGate::Poll(::pollfd* fds, unsigned long nfds, int timeout_ms,
                         std::size_t listener_index) {
  // Requests completed since the last look join the queue now, even while
  // it is busy: waiting for it to run dry first would starve them under
  // steady load.
  OnEvents();
  ExpireOld(Clock::now());
  if (!ready_.empty()) {
    for (unsigned long i = 0; i < nfds; ++i) fds[i].revents = 0;
    fds[listener_index].revents = POLLIN;
    return 1;
  }
  std::vector<::pollfd> all(fds, fds + nfds);
  all.push_back({epoll_fd_, POLLIN, 0});
  int wait = MillisecondsToNextDeadline(Clock::now());
  if (wait < 0 || (timeout_ms >= 0 && timeout_ms < wait)) wait = timeout_ms;
  int n = RealPoll()(all.data(), all.size(), wait);
  if (n < 0) return n;
  if (all.back().revents & POLLIN) OnEvents();
  ExpireOld(Clock::now());
  int count = 0;
  for (unsigned long i = 0; i < nfds; ++i) {
    fds[i].revents = all[i].revents;
    if (i == listener_index && !ready_.empty()) fds[i].revents |= POLLIN;
    if (fds[i].revents != 0) ++count;
  }
  return count;
}

int ConnectionGate::Accept(struct sockaddr* addr, socklen_t* addrlen) {
  TakeWaitingConnections();
  if (ready_.empty()) {
    errno = EAGAIN;
    return -1;
  }
  Pending p = ready_.front();
  ready_.pop_front();
  if (addr != nullptr && addrlen != nullptr) {
    std::memcpy(addr, &p.peer, std::min(*addrlen, p.peer_len));
    *addrlen = p.peer_len;
  }
  admitted_.fetch_add(1);
  return p.fd;
}

}  // namespace oom

// The program's poll() and accept(), ahead of libc's for civetweb (exported
// from the executable: CMakeLists.txt). See connection_gate.h.
extern "C" __attribute__((visibility("default"))) int poll(struct pollfd* fds,
                                                           nfds_t nfds,
                                                           int timeout) {
  if (oom::g_installed.load(std::memory_order_acquire) != 0) {
    for (nfds_t i = 0; i < nfds; ++i) {
      if (std::shared_ptr<oom::ConnectionGate> gate = oom::GateFor(fds[i].fd)) {
        return gate->Poll(fds, nfds, timeout, i);
      }
    }
  }
  oom::PollFn real = oom::RealPoll();
  if (real == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return real(fds, nfds, timeout);
}

extern "C" __attribute__((visibility("default"))) int accept(
    int fd, struct sockaddr* addr, socklen_t* addrlen) {
  if (std::shared_ptr<oom::ConnectionGate> gate = oom::GateFor(fd)) {
    return gate->Accept(addr, addrlen);
  }
  oom::AcceptFn real = oom::RealAccept();
  if (real == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd, addr, addrlen);
}
