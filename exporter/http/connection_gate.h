#ifndef OOM_EXPORTER_EXPORTER_HTTP_CONNECTION_GATE_H_
#define OOM_EXPORTER_EXPORTER_HTTP_CONNECTION_GATE_H_

// Debian's civetweb (1.15) gives every accepted connection a worker thread
// until its request has been read, so a handful of clients that connect and
// then send slowly, or nothing, would hold every worker and starve
// Prometheus. The gate keeps a new connection away from civetweb until its
// request has arrived: a slow client then costs a descriptor, not a worker.
//
// How: the gate stands in for civetweb's master thread's calls on the
// listening socket, which the program routes to it
// (exporter/http/civetweb_shims.h: civetweb offers no seam there):
//   Accept()  takes every waiting connection into the gate, and hands
//             civetweb one whose request has arrived, if any (else EAGAIN);
//   Poll()    also waits on the gate, and says "readable" once one is ready.
// The gate itself is a plain object: its Poll() and Accept() are called,
// and it calls only ppoll(), accept4() and epoll, never poll() or accept().
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
  // A gate taking connections from the listening socket `listen_fd` (made
  // non-blocking), which stays the caller's.
  static absl::StatusOr<std::shared_ptr<ConnectionGate>> Create(
      int listen_fd, const ConnectionGateOptions& options);

  // Closes the connections still waiting or ready.
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  ConnectionGateStats stats() const;
  std::size_t pending() const { return pending_count_.load(); }

  // In place of poll(fds, nfds, timeout_ms), fds[listener_index] being the
  // listening socket: returns what poll() would, the listener readable once
  // a connection is ready for Accept(). Not thread-safe with itself or
  // Accept(): both run on civetweb's master thread.
  int Poll(::pollfd* fds, unsigned long nfds, int timeout_ms,
           std::size_t listener_index);
  // In place of accept(listening socket, addr, addrlen): a connection whose
  // request has arrived (blocking, as accept() gives it), or -1 and EAGAIN.
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
