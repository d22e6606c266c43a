#include "exporter/http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collectors/base/string_view.h"

namespace oom {
namespace {

// crypt_rn's answer for `password` under `setting` (a hash or a salt), or
// empty when crypt refuses it.
std::string Crypt(std::string_view password, const std::string& setting) {
  std::string phrase(password);
  if (phrase.find('\0') != std::string::npos) return {};
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(),
                             static_cast<int>(sizeof(crypt_data)));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  std::string result = (out == nullptr || out[0] == '*') ? "" : out;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

std::string CacheKey(std::string_view user, std::string_view password,
                     std::string_view hash) {
  std::string input =
      absl::StrCat(ToAbsl(user), std::string(1, '\0'), ToAbsl(password),
                   std::string(1, '\0'), ToAbsl(hash));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : users_(std::move(users)) {
  absl::StatusOr<std::string> dummy = HashPassword("not a password", 10);
  dummy_hash_ = dummy.ok() ? *dummy : "";
}

bool BasicAuth::Allows(std::string_view authorization) {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.size() <= kBasic.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization.substr(0, kBasic.size())),
                              ToAbsl(kBasic))) {
    return false;
  }
  std::string decoded;
  if (!absl::Base64Unescape(ToAbsl(authorization.substr(kBasic.size())),
                            &decoded)) {
    return false;
  }
  std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  bool ok = Check(std::string_view(decoded).substr(0, colon),
                  std::string_view(decoded).substr(colon + 1));
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return ok;
}

bool BasicAuth::Check(std::string_view user, std::string_view password) {
  auto it = users_.find(std::string(user));
  bool known = it != users_.end();
  const std::string& hash = known ? it->second : dummy_hash_;
  std::string key = CacheKey(user, password, hash);
  if (known) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.contains(key)) return true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++bcrypt_runs_;
  }
  std::string computed = Crypt(password, hash);
  bool match = !computed.empty() && computed.size() == hash.size() &&
               CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
  if (!known || !match) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCachedLogins) cache_.clear();
  cache_.insert(std::move(key));
  return true;
}

std::size_t BasicAuth::bcrypt_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bcrypt_runs_;
}

absl::StatusOr<std::string> HashPassword(std::string_view password, int cost) {
  if (cost < 4 || cost > 31) {
    return absl::InvalidArgumentError("the cost must be from 4 to 31");
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0,
                       salt, sizeof(salt)) == nullptr) {
    return absl::InternalError(
        absl::StrCat("crypt_gensalt: ", std::strerror(errno)));
  }
  std::string hash = Crypt(password, salt);
  if (hash.empty()) {
    return absl::InternalError("crypt refused the password");
  }
  return hash;
}

int RunHashPasswordCommand(int argc, char** argv) {
  int cost = 10;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 7) == "--cost=" &&
        absl::SimpleAtoi(ToAbsl(arg.substr(7)), &cost)) {
      continue;
    }
    std::fprintf(stderr,
                 "usage: oom_exporter hash-password [--cost=N] < password\n"
                 "Reads one line from stdin, prints its bcrypt hash for the "
                 "web config's basic_auth_users.\n");
    return 2;
  }
  std::string password;
  if (!std::getline(std::cin, password)) {
    std::fprintf(stderr, "oom_exporter: error: no password on stdin\n");
    return 2;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  absl::StatusOr<std::string> hash = HashPassword(password, cost);
  OPENSSL_cleanse(password.data(), password.size());
  if (!hash.ok()) {
    std::fprintf(stderr, "oom_exporter: error: %s\n",
                 std::string(hash.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", hash->c_str());
  return 0;
}

}  // namespace oom
