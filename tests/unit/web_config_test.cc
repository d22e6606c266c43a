// The web config parser (--web.config.file): the documented subset, paths
// relative to the file, and every unknown or unsupported key an error that
// names it.

#include "exporter/http/web_config.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::testing::HasSubstr;

constexpr char kHash[] =
    "$2b$04$2EGB5rMFeRn/upHTxnsI8u1QPtzLExdque5XxkzKkPrzCMTejn1si";

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(yaml, "/etc/oom");
  if (config.ok()) return "(accepted)";
  return std::string(config.status().message());
}

TEST(WebConfigTest, FullConfig) {
  absl::StatusOr<WebConfig> config = ParseWebConfig(
      std::string("# comment\n"
                  "tls_server_config:\n"
                  "  cert_file: server.crt\n"
                  "  key_file: /abs/server.key\n"
                  "  client_auth_type: RequireAndVerifyClientCert\n"
                  "  client_ca_file: \"ca/clients.crt\"\n"
                  "  min_version: TLS13\n"
                  "basic_auth_users:\n"
                  "  prometheus: ") +
          kHash + "\n  'other user': '" + kHash +
          "'\n"
          "http_server_config:\n"
          "  http2: false\n",
      "/etc/oom");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->tls.has_value());
  EXPECT_EQ(config->tls->cert_file, "/etc/oom/server.crt");
  EXPECT_EQ(config->tls->key_file, "/abs/server.key");
  EXPECT_EQ(config->tls->client_ca_file, "/etc/oom/ca/clients.crt");
  EXPECT_EQ(config->tls->client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config->tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(config->tls->max_version, TlsVersion::kTls13);
  EXPECT_EQ(config->basic_auth_users.size(), 2u);
  EXPECT_EQ(config->basic_auth_users["prometheus"], kHash);
  EXPECT_EQ(config->basic_auth_users["other user"], kHash);
}

TEST(WebConfigTest, EmptyAndNullSectionsAreNoConfig) {
  for (const char* yaml : {"", "\n# nothing\n", "---\n", "~\n",
                           "tls_server_config:\nbasic_auth_users: ~\n"}) {
    absl::StatusOr<WebConfig> config = ParseWebConfig(yaml, ".");
    ASSERT_TRUE(config.ok()) << yaml << ": " << config.status();
    EXPECT_FALSE(config->tls.has_value()) << yaml;
    EXPECT_TRUE(config->basic_auth_users.empty()) << yaml;
  }
}

TEST(WebConfigTest, UnknownKeysAreErrorsNamingThem) {
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_fil: a\n"),
              HasSubstr("line 2: tls_server_config: unknown key \"cert_fil\""));
  EXPECT_THAT(ErrorOf("basic_auth:\n  a: b\n"),
              HasSubstr("line 1: web config: unknown key \"basic_auth\""));
  EXPECT_THAT(ErrorOf("http_server_config:\n  http3: true\n"),
              HasSubstr("unknown key \"http3\""));
}

TEST(WebConfigTest, UnsupportedPartsOfTheFormatAreRejectedAsSuch) {
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cipher_suites: [a]\n"),
              HasSubstr("\"cipher_suites\" is not supported by oom_exporter"));
  EXPECT_THAT(ErrorOf("http_server_config:\n  headers:\n    X-A: b\n"),
              HasSubstr("\"headers\" is not supported"));
  EXPECT_THAT(ErrorOf("http_server_config:\n  http2: true\n"),
              HasSubstr("HTTP/2 is not supported"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  min_version: TLS10\n"),
              HasSubstr("TLS10 is not allowed"));
}

TEST(WebConfigTest, BadValuesAreErrors) {
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n"),
              HasSubstr("cert_file and key_file are both required"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  client_auth_type: RequireAndVerifyClientCert\n"),
              HasSubstr("needs client_ca_file"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  client_auth_type: Maybe\n"),
              HasSubstr("\"Maybe\" is not one of NoClientCert"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                      "  min_version: TLS13\n  max_version: TLS12\n"),
              HasSubstr("max_version is below min_version"));
  EXPECT_THAT(ErrorOf("basic_auth_users:\n  prom: plaintext\n"),
              HasSubstr("the password of \"prom\" is not a bcrypt hash"));
  EXPECT_THAT(ErrorOf(std::string("basic_auth_users:\n  'a:b': ") + kHash),
              HasSubstr("hold no ':'"));
  EXPECT_THAT(ErrorOf("basic_auth_users:\n  - a\n"),
              HasSubstr("want a mapping"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: [a]\n"),
              HasSubstr("tls_server_config.cert_file: want a string"));
  EXPECT_THAT(ErrorOf("tls_server_config: yes\n"), HasSubstr("want a mapping"));
  EXPECT_THAT(ErrorOf("- a\n"), HasSubstr("want a mapping"));
}

TEST(WebConfigTest, DuplicatesAndBrokenYamlAreErrors) {
  EXPECT_THAT(ErrorOf(std::string("basic_auth_users:\n  a: ") + kHash +
                      "\n  a: " + kHash + "\n"),
              HasSubstr("line 3: basic_auth_users: user \"a\" given more than "
                        "once"));
  EXPECT_THAT(ErrorOf("tls_server_config:\n  cert_file: a\n  cert_file: b\n"),
              HasSubstr("\"cert_file\" given more than once"));
  EXPECT_THAT(ErrorOf("tls_server_config: [\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(ErrorOf("a: 1\n---\nb: 2\n"),
              HasSubstr("more than one YAML document"));
}

TEST(WebConfigTest, BcryptHashShape) {
  EXPECT_TRUE(IsBcryptHash(kHash));
  std::string y = kHash;
  y[2] = 'y';
  EXPECT_TRUE(IsBcryptHash(y));
  EXPECT_FALSE(IsBcryptHash(std::string(kHash).substr(1)));
  std::string bad_cost = kHash;
  bad_cost[4] = '3';
  bad_cost[5] = '2';
  EXPECT_FALSE(IsBcryptHash(bad_cost));
  std::string md5 = "$1$abcdefgh$0123456789012345678901";
  EXPECT_FALSE(IsBcryptHash(md5));
}

TEST(WebConfigTest, LoadResolvesPathsAgainstTheFilesDirectory) {
  ::oom::testing::TempTree tree;
  tree.WriteFile("conf/web.yml",
                 "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n");
  absl::StatusOr<WebConfig> config =
      LoadWebConfig(tree.root() + "/conf/web.yml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls->cert_file, tree.root() + "/conf/c.pem");

  absl::StatusOr<WebConfig> missing = LoadWebConfig(tree.root() + "/nope.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("nope.yml: No such file or directory"));

  tree.WriteFile("conf/bad.yml", "tls_server_config:\n  keyfile: k\n");
  absl::StatusOr<WebConfig> bad = LoadWebConfig(tree.root() + "/conf/bad.yml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("conf/bad.yml: line 2: tls_server_config: unknown key "
                        "\"keyfile\""));
}

}  // namespace
}  // namespace oom
