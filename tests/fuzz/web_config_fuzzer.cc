// Fuzzes ParseWebConfig, the reader of --web.config.file (YAML an operator
// writes, maybe wrongly). Whatever it accepts must hold what the parser
// promises: TLS with both files and versions in order, and users whose
// hashes have the shape of bcrypt; traps otherwise.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/http/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<oom::WebConfig> config = oom::ParseWebConfig(text, "/etc");
  if (!config.ok()) return 0;
  if (config->tls) {
    if (config->tls->cert_file.empty() || config->tls->key_file.empty()) {
      __builtin_trap();
    }
    if (config->tls->max_version < config->tls->min_version) __builtin_trap();
  }
  for (const auto& [user, hash] : config->basic_auth_users) {
    if (user.empty() || user.find(':') != std::string::npos) __builtin_trap();
    if (!oom::IsBcryptHash(hash)) __builtin_trap();
  }
  return 0;
}
