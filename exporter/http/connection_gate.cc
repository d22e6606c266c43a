#include "exporter/http/connection_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace oom {
namespace {

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

absl::StatusOr<std::shared_ptr<ConnectionGate>> ConnectionGate::Create(
    int listen_fd, const ConnectionGateOptions& options) {
  int flags = ::fcntl(listen_fd, F_GETFL);
  if (flags < 0 || ::fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return absl::ErrnoToStatus(errno,
                               "making the listening socket non-blocking");
  }
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::ErrnoToStatus(errno, "epoll_create1");
  return std::shared_ptr<ConnectionGate>(
      new ConnectionGate(listen_fd, epoll_fd, options));
}

ConnectionGate::~ConnectionGate() {
  for (const Pending& p : pending_) ::close(p.fd);
  for (const Pending& p : ready_) ::close(p.fd);
  ::close(epoll_fd_);
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
  // ppoll, not poll: civetweb's poll() is the one that comes here.
  timespec wait_time = {wait / 1000, (wait % 1000) * 1000000L};
  int n =
      ::ppoll(all.data(), all.size(), wait < 0 ? nullptr : &wait_time, nullptr);
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
