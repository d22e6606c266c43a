#ifndef OOM_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_
#define OOM_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_

// A minimal blocking HTTP/1.1 client for tests: one request per connection,
// to 127.0.0.1 only.

#include <map>
#include <string>
#include <string_view>

namespace oom::testing {

struct HttpResponse {
  int status = 0;  // 0 when no valid response came back
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;  // why status is 0
};

// Sends "METHOD path HTTP/1.1" with Host and Connection: close headers plus
// `extra_headers` (each ending in "\r\n") and reads the answer to EOF, or
// until nothing has arrived for `timeout_ms`.
HttpResponse HttpRequest(int port, std::string_view method,
                         std::string_view path,
                         std::string_view extra_headers = {},
                         int timeout_ms = 5000);

inline HttpResponse HttpGet(int port, std::string_view path) {
  return HttpRequest(port, "GET", path);
}

// A blocking TCP socket connected to 127.0.0.1:`port`, or -1.
int ConnectLoopback(int port);

// A TCP socket listening on 127.0.0.1 on a port the kernel chose (stored in
// `*port`) with `backlog`, or -1.
int ListenLoopback(int backlog, int* port);

// Sends `raw` bytes as they are and returns whatever comes back before the
// server closes the connection (or `timeout_ms` passes).
std::string SendRaw(int port, std::string_view raw, int timeout_ms = 5000);

}  // namespace oom::testing

#endif  // OOM_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_
