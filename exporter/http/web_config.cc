#include "exporter/http/web_config.h"

#include <yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collectors/base/status_macros.h"
#include "collectors/base/string_view.h"

namespace oom {
namespace {

// A yaml_document_t that deletes itself.
struct Document {
  yaml_document_t doc;
  bool loaded = false;
  ~Document() {
    if (loaded) yaml_document_delete(&doc);
  }
};

struct Parser {
  yaml_parser_t parser;
  Parser() { yaml_parser_initialize(&parser); }
  ~Parser() { yaml_parser_delete(&parser); }
};

absl::Status Error(const yaml_node_t* node, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", node->start_mark.line + 1, ": ", ToAbsl(what)));
}

std::string_view ScalarText(const yaml_node_t* node) {
  return std::string_view(
      reinterpret_cast<const char*>(node->data.scalar.value),
      node->data.scalar.length);
}

// A plain scalar spelling YAML's null (also the empty value of "key:").
bool IsNull(const yaml_node_t* node) {
  if (node->type != YAML_SCALAR_NODE ||
      node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
    return false;
  }
  std::string_view text = ScalarText(node);
  return text.empty() || text == "~" || text == "null" || text == "Null" ||
         text == "NULL";
}

// Walks one mapping: checks every key is a known, unique scalar and hands
// each (key, value) to `handle`.
class Mapping {
 public:
  Mapping(yaml_document_t* doc, const yaml_node_t* node, std::string where)
      : doc_(doc), node_(node), where_(std::move(where)) {}

  template <typename Handle>
  absl::Status ForEach(const std::vector<std::string_view>& known,
                       const std::vector<std::string_view>& unsupported,
                       Handle handle) {
    if (node_->type != YAML_MAPPING_NODE) {
      return Error(node_, absl::StrCat(where_, ": want a mapping of keys"));
    }
    std::set<std::string, std::less<>> seen;
    for (yaml_node_pair_t* pair = node_->data.mapping.pairs.start;
         pair < node_->data.mapping.pairs.top; ++pair) {
      yaml_node_t* key = yaml_document_get_node(doc_, pair->key);
      yaml_node_t* value = yaml_document_get_node(doc_, pair->value);
      if (key == nullptr || value == nullptr) {
        return Error(node_, absl::StrCat(where_, ": malformed mapping"));
      }
      if (key->type != YAML_SCALAR_NODE) {
        return Error(key, absl::StrCat(where_, ": keys must be strings"));
      }
      std::string_view name = ScalarText(key);
      if (!seen.insert(std::string(name)).second) {
        return Error(key, absl::StrCat(where_, ": key \"", ToAbsl(name),
                                       "\" given more than once"));
      }
      bool is_known = false;
      for (std::string_view k : known) is_known = is_known || k == name;
      if (!is_known) {
        for (std::string_view u : unsupported) {
          if (u == name) {
            return Error(key, absl::StrCat(where_, ": \"", ToAbsl(name),
                                           "\" is not supported by "
                                           "oom_exporter"));
          }
        }
        std::vector<std::string> names(known.begin(), known.end());
        return Error(
            key, absl::StrCat(where_, ": unknown key \"", ToAbsl(name),
                              "\" (known: ", absl::StrJoin(names, ", "), ")"));
      }
      OOM_RETURN_IF_ERROR(handle(name, key, value));
    }
    return absl::OkStatus();
  }

 private:
  yaml_document_t* doc_;
  const yaml_node_t* node_;
  std::string where_;
};

absl::StatusOr<std::string> String(const yaml_node_t* value,
                                   std::string_view where) {
  if (value->type != YAML_SCALAR_NODE) {
    return Error(value, absl::StrCat(ToAbsl(where), ": want a string"));
  }
  if (IsNull(value)) return std::string();
  std::string text(ScalarText(value));
  if (text.find('\0') != std::string::npos) {
    return Error(value, absl::StrCat(ToAbsl(where), ": holds a NUL byte"));
  }
  return text;
}

std::string Resolve(const std::string& path, std::string_view base_dir) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  std::string out(base_dir);
  if (out.back() != '/') out += '/';
  return out + path;
}

absl::StatusOr<TlsVersion> Version(const yaml_node_t* value,
                                   std::string_view where) {
  OOM_ASSIGN_OR_RETURN(std::string text, String(value, where));
  if (text == "TLS12") return TlsVersion::kTls12;
  if (text == "TLS13") return TlsVersion::kTls13;
  if (text == "TLS10" || text == "TLS11") {
    return Error(value, absl::StrCat(ToAbsl(where), ": ", text,
                                     " is not allowed (TLS 1.0 and 1.1 are "
                                     "obsolete): use TLS12 or TLS13"));
  }
  return Error(value, absl::StrCat(ToAbsl(where), ": \"", text,
                                   "\" is not TLS12 or TLS13"));
}

absl::StatusOr<ClientAuth> ClientAuthType(const yaml_node_t* value) {
  static constexpr std::pair<std::string_view, ClientAuth> kTypes[] = {
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
  };
  OOM_ASSIGN_OR_RETURN(std::string text,
                       String(value, "tls_server_config.client_auth_type"));
  if (text.empty()) return ClientAuth::kNoClientCert;
  std::vector<std::string> names;
  for (const auto& [name, type] : kTypes) {
    if (name == text) return type;
    names.emplace_back(name);
  }
  return Error(value,
               absl::StrCat("tls_server_config.client_auth_type: \"", text,
                            "\" is not one of ", absl::StrJoin(names, ", ")));
}

absl::Status ParseTls(yaml_document_t* doc, const yaml_node_t* node,
                      std::string_view base_dir, WebConfig* config) {
  if (IsNull(node)) return absl::OkStatus();
  TlsServerConfig tls;
  Mapping mapping(doc, node, "tls_server_config");
  OOM_RETURN_IF_ERROR(mapping.ForEach(
      {"cert_file", "key_file", "client_auth_type", "client_ca_file",
       "min_version", "max_version"},
      {"cert", "key", "cipher_suites", "curve_preferences",
       "prefer_server_cipher_suites", "client_allowed_sans"},
      [&](std::string_view name, const yaml_node_t*,
          const yaml_node_t* value) -> absl::Status {
        std::string where = absl::StrCat("tls_server_config.", ToAbsl(name));
        if (name == "client_auth_type") {
          OOM_ASSIGN_OR_RETURN(ClientAuth type, ClientAuthType(value));
          tls.client_auth = type;
          return absl::OkStatus();
        }
        if (name == "min_version" || name == "max_version") {
          OOM_ASSIGN_OR_RETURN(TlsVersion version, Version(value, where));
          (name == "min_version" ? tls.min_version : tls.max_version) = version;
          return absl::OkStatus();
        }
        OOM_ASSIGN_OR_RETURN(std::string path, String(value, where));
        std::string resolved = Resolve(path, base_dir);
        if (name == "cert_file") tls.cert_file = resolved;
        if (name == "key_file") tls.key_file = resolved;
        if (name == "client_ca_file") tls.client_ca_file = resolved;
        return absl::OkStatus();
      }));
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return Error(node,
                 "tls_server_config: cert_file and key_file are both "
                 "required");
  }
  bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                  tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls.client_ca_file.empty()) {
    return Error(
        node,
        "tls_server_config: client_auth_type " +
            std::string(tls.client_auth == ClientAuth::kVerifyClientCertIfGiven
                            ? "VerifyClientCertIfGiven"
                            : "RequireAndVerifyClientCert") +
            " needs client_ca_file");
  }
  if (!tls.client_ca_file.empty() &&
      tls.client_auth == ClientAuth::kNoClientCert) {
    return Error(node,
                 "tls_server_config: client_ca_file is given but "
                 "client_auth_type asks for no client certificate");
  }
  if (tls.max_version < tls.min_version) {
    return Error(node, "tls_server_config: max_version is below min_version");
  }
  config->tls = tls;
  return absl::OkStatus();
}

absl::Status ParseUsers(yaml_document_t* doc, const yaml_node_t* node,
                        WebConfig* config) {
  if (IsNull(node)) return absl::OkStatus();
  if (node->type != YAML_MAPPING_NODE) {
    return Error(node, "basic_auth_users: want a mapping of user: bcrypt hash");
  }
  std::set<std::string, std::less<>> seen;
  for (yaml_node_pair_t* pair = node->data.mapping.pairs.start;
       pair < node->data.mapping.pairs.top; ++pair) {
    yaml_node_t* key = yaml_document_get_node(doc, pair->key);
    yaml_node_t* value = yaml_document_get_node(doc, pair->value);
    if (key == nullptr || value == nullptr) {
      return Error(node, "basic_auth_users: malformed mapping");
    }
    OOM_ASSIGN_OR_RETURN(std::string user, String(key, "basic_auth_users"));
    if (user.empty() || user.find(':') != std::string::npos) {
      return Error(key, absl::StrCat("basic_auth_users: user \"", user,
                                     "\" must be non-empty and hold no ':'"));
    }
    if (!seen.insert(user).second) {
      return Error(key, absl::StrCat("basic_auth_users: user \"", user,
                                     "\" given more than once"));
    }
    OOM_ASSIGN_OR_RETURN(
        std::string hash,
        String(value, absl::StrCat("basic_auth_users.", user)));
    if (!IsBcryptHash(hash)) {
      return Error(value,
                   absl::StrCat("basic_auth_users: the password of \"", user,
                                "\" is not a bcrypt hash ($2y$...); "
                                "make one with `oom_exporter "
                                "hash-password`"));
    }
    config->basic_auth_users[user] = hash;
  }
  return absl::OkStatus();
}

absl::Status ParseHttp(yaml_document_t* doc, const yaml_node_t* node) {
  if (IsNull(node)) return absl::OkStatus();
  Mapping mapping(doc, node, "http_server_config");
  return mapping.ForEach(
      {"http2"}, {"headers"},
      [&](std::string_view, const yaml_node_t*,
          const yaml_node_t* value) -> absl::Status {
        OOM_ASSIGN_OR_RETURN(std::string text,
                             String(value, "http_server_config.http2"));
        if (text == "false" || text.empty()) return absl::OkStatus();
        if (text == "true") {
          return Error(value,
                       "http_server_config.http2: HTTP/2 is not supported "
                       "by oom_exporter; set it to false or leave it out");
        }
        return Error(value, absl::StrCat("http_server_config.http2: \"", text,
                                         "\" is not true or false"));
      });
}

}  // namespace

bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' ||
      hash[6] != '$') {
    return false;
  }
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') {
    return false;
  }
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : hash.substr(7)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

namespace {

// What libyaml said about a document it could not load.
absl::Status NotYaml(const yaml_parser_t& parser) {
  return absl::InvalidArgumentError(
      absl::StrCat("line ", parser.problem_mark.line + 1, ": not valid YAML: ",
                   parser.problem != nullptr ? parser.problem : "error"));
}

}  // namespace

absl::StatusOr<WebConfig> ParseWebConfig(std::string_view yaml,
                                         std::string_view base_dir) {
  Parser parser;
  yaml_parser_set_input_string(
      &parser.parser, reinterpret_cast<const unsigned char*>(yaml.data()),
      yaml.size());
  Document document;
  if (!yaml_parser_load(&parser.parser, &document.doc)) {
    return NotYaml(parser.parser);
  }
  document.loaded = true;
  WebConfig config;
  yaml_node_t* root = yaml_document_get_root_node(&document.doc);
  if (root == nullptr || IsNull(root)) return config;  // an empty file

  Document second;
  if (!yaml_parser_load(&parser.parser, &second.doc)) {
    return NotYaml(parser.parser);
  }
  second.loaded = true;
  if (yaml_document_get_root_node(&second.doc) != nullptr) {
    return absl::InvalidArgumentError(
        "holds more than one YAML document (---)");
  }

  Mapping top(&document.doc, root, "web config");
  OOM_RETURN_IF_ERROR(top.ForEach(
      {"tls_server_config", "basic_auth_users", "http_server_config"},
      {"rate_limit"},
      [&](std::string_view name, const yaml_node_t*,
          const yaml_node_t* value) -> absl::Status {
        if (name == "tls_server_config") {
          return ParseTls(&document.doc, value, base_dir, &config);
        }
        if (name == "basic_auth_users") {
          return ParseUsers(&document.doc, value, &config);
        }
        return ParseHttp(&document.doc, value);
      }));
  return config;
}

absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  }
  std::string base_dir = ".";
  std::size_t slash = path.rfind('/');
  if (slash != std::string::npos) base_dir = path.substr(0, slash + 1);
  absl::StatusOr<WebConfig> config = ParseWebConfig(text.str(), base_dir);
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

}  // namespace oom
