#ifndef OOM_EXPORTER_EXPORTER_HTTP_CONNECTION_GATE_H_
#define OOM_EXPORTER_EXPORTER_HTTP_CONNECTION_GATE_H_

// Debian's civetweb (1.15) gives every accepted connection a worker thread
// until its request has been read, so a handful of clients that connect and
// then send slowly, or nothing, would hold every worker and starve
// Prometheus. The gate keeps a new connection away from civetweb until its
// request has arrived: a slow client then costs a descriptor, not a worker.
//
// How: civetweb's master thread waits in poll() on its listening socket and
// then calls accept(). The program defines both functions (exported from
// the executable, so civetweb's calls land here; CMakeLists.txt), and for a
// listening socket with a gate installed:
//   accept()  takes every waiting connection into the gate, and hands
//             civetweb one whose request has arrived, if any (else EAGAIN);
//   poll()    also waits on the gate, and says "readable" once one is ready.
// Every other poll() and accept() in the process goes straight to libc.
//
// A connection is ready when its header has arrived (a blank line, or
// max_header_bytes of it, which civetweb then refuses), or for TLS when the
// first record (the ClientHello) has. One that is still not ready after
// `timeout`, or that closes first, is closed by the gate; past
// `max_pending` waiting connections the oldest is closed.

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

struct pollfd;

namespace oom {

struct ConnectionGateOptions {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_header_bytes = 16384;
  std::size_t max_pending = 512;
  bool tls = false;
};

// What the gate has done so far; every field only grows.
struct ConnectionGateStats {
  uint64_t accepted = 0;   // taken from the listening socket
  uint64_t admitted = 0;   // handed to civetweb with their request
  uint64_t timed_out = 0;  // closed: no whole request within the timeout
  uint64_t abandoned = 0;  // closed by the client before a whole request
  uint64_t evicted = 0;    // closed: too many waiting connections
};

class ConnectionGate {
 public:
  // Installs a gate on the listening socket `listen_fd` (made non-blocking).
  static absl::StatusOr<std::shared_ptr<ConnectionGate>> Install(
      int listen_fd, const ConnectionGateOptions& options);

  // The listening socket bound to 127.0.0.1/0.0.0.0 `port` in this process,
  // found among the open descriptors; for civetweb's, which it keeps to
  // itself.
  static absl::StatusOr<int> FindListeningSocket(int port);

  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // Takes the gate off its socket: from now on poll() and accept() on it go
  // to libc. Waiting connections are closed once no call is using the gate.
  void Uninstall();

  ConnectionGateStats stats() const;
  std::size_t pending() const { return pending_count_.load(); }

  // The interposed calls (see above); public for them only. Both run on
  // civetweb's master thread, the one thread that polls the listener.
  int Poll(::pollfd* fds, unsigned long nfds, int timeout_ms,
           std::size_t listener_index);
  int Accept(struct sockaddr* addr, socklen_t* addrlen);

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    int fd;
    Clock::time_point deadline;
    sockaddr_storage peer;
    socklen_t peer_len;
  };
  enum class Check { kWaiting, kReady, kGone };

  ConnectionGate(int listen_fd, int epoll_fd, ConnectionGateOptions options);

  void TakeWaitingConnections();
  Check Inspect(int fd);
  void OnEvents();
  void ExpireOld(Clock::time_point now);
  void Close(std::size_t index, std::atomic<uint64_t>* counter);
  int MillisecondsToNextDeadline(Clock::time_point now) const;

  const int listen_fd_;
  const int epoll_fd_;
  const ConnectionGateOptions options_;
  std::vector<char> peek_buffer_;
  std::vector<Pending> pending_;  // oldest first
  std::deque<Pending> ready_;
  std::atomic<std::size_t> pending_count_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> timed_out_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::atomic<uint64_t> evicted_{0};
};

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_CONNECTION_GATE_H_
