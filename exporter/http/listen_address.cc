#include "exporter/http/listen_address.h"

#include <arpa/inet.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/text.h"

namespace oom {

absl::StatusOr<std::string> ToCivetListeningPort(std::string_view address_in) {
  absl::string_view address(address_in.data(), address_in.size());
  if (!address.empty() && address[0] == '[') {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", address,
        "\": IPv6 addresses are not supported (Debian's civetweb is built "
        "without IPv6); use an IPv4 address such as 0.0.0.0:9968"));
  }
  std::size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\": want HOST:PORT or :PORT, e.g. :9968"));
  }
  absl::string_view host = address.substr(0, colon);
  absl::string_view port_text = address.substr(colon + 1);
  std::optional<uint64_t> port =
      ParseU64(std::string_view(port_text.data(), port_text.size()));
  if (!port || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", address, "\": port must be a number from 0 to 65535"));
  }
  if (host.empty()) return absl::StrCat(*port);
  std::string ip(host);
  if (ip == "localhost") ip = "127.0.0.1";
  in_addr parsed;
  if (::inet_pton(AF_INET, ip.c_str(), &parsed) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", address,
        "\": host must be an IPv4 address or localhost (host names are not "
        "resolved)"));
  }
  return absl::StrCat(ip, ":", *port);
}

}  // namespace oom
