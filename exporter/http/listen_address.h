#ifndef OOM_EXPORTER_EXPORTER_HTTP_LISTEN_ADDRESS_H_
#define OOM_EXPORTER_EXPORTER_HTTP_LISTEN_ADDRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace oom {

// Turns a --web.listen-address value into civetweb's "listening_ports" form:
//   ":9968"            -> "9968"            (every IPv4 interface)
//   "0.0.0.0:9968"     -> "0.0.0.0:9968"
//   "127.0.0.1:0"      -> "127.0.0.1:0"     (the kernel picks a free port)
//   "localhost:9968"   -> "127.0.0.1:9968"
// Rejects, with a message saying why: no port, a port outside 0..65535,
// IPv6 ("[::]:9968": Debian's civetweb is built without IPv6), host names
// other than localhost.
absl::StatusOr<std::string> ToCivetListeningPort(std::string_view address);

}  // namespace oom

#endif  // OOM_EXPORTER_EXPORTER_HTTP_LISTEN_ADDRESS_H_
