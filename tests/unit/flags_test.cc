#include "exporter/cli/flags.h"

#include <chrono>
#include <string>
#include <vector>

#include "collectors/all_collectors.h"
#include "collectors/cgroup/cgroup_options.h"
#include "collectors/kmsg/kmsg_options.h"
#include "collectors/scrape/collector_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CollectorRegistration Fake(std::string name, bool enabled_by_default,
                           std::string help) {
  CollectorRegistration fake;
  fake.name = std::move(name);
  fake.enabled_by_default = enabled_by_default;
  fake.help = std::move(help);
  return fake;
}

// Two collectors, one on and one off by default, independent of the real list.
const CollectorRegistry& Known() {
  static const CollectorRegistry* const kKnown =
      new CollectorRegistry({Fake("memory", true, "node memory"),
                             Fake("extra", false, "off by default")});
  return *kKnown;
}

absl::StatusOr<Flags> Parse(std::vector<std::string> args) {
  return ParseFlags(args, Known());
}

std::string ErrorOf(std::vector<std::string> args) {
  absl::StatusOr<Flags> flags = Parse(std::move(args));
  EXPECT_FALSE(flags.ok());
  return flags.ok() ? "" : std::string(flags.status().message());
}

// The same against the binary's collectors, whose flags they bring.
absl::StatusOr<Flags> ParseReal(std::vector<std::string> args) {
  return ParseFlags(args, AllCollectors());
}

std::string ErrorOfReal(std::vector<std::string> args) {
  absl::StatusOr<Flags> flags = ParseReal(std::move(args));
  EXPECT_FALSE(flags.ok());
  return flags.ok() ? "" : std::string(flags.status().message());
}

const KmsgOptions& Kmsg(const Flags& flags) {
  return OptionsOf<KmsgOptions>(flags.collector_options, "kmsg");
}

const CgroupOptions& Cgroup(const Flags& flags) {
  return OptionsOf<CgroupOptions>(flags.collector_options, "cgroup");
}

TEST(FlagsTest, DefaultsMatchTheDocumentedValues) {
  absl::StatusOr<Flags> flags = Parse({});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->listen_address, ":9968");
  EXPECT_EQ(flags->telemetry_path, "/metrics");
  EXPECT_EQ(flags->procfs, "/proc");
  EXPECT_EQ(flags->sysfs, "/sys");
  EXPECT_EQ(flags->log_level, LogLevel::kInfo);
  EXPECT_THAT(flags->collectors, ElementsAre("memory"));
  EXPECT_FALSE(flags->help);
  EXPECT_FALSE(flags->version);
  EXPECT_FALSE(flags->healthcheck);
}

TEST(FlagsTest, ValuesAfterEqualsOrAsNextArgument) {
  absl::StatusOr<Flags> flags =
      Parse({"--web.listen-address=127.0.0.1:9100", "--web.telemetry-path",
             "/m", "--path.procfs=/host/proc", "--path.sysfs", "/host/sys",
             "--log.level=debug"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->listen_address, "127.0.0.1:9100");
  EXPECT_EQ(flags->telemetry_path, "/m");
  EXPECT_EQ(flags->procfs, "/host/proc");
  EXPECT_EQ(flags->sysfs, "/host/sys");
  EXPECT_EQ(flags->log_level, LogLevel::kDebug);
}

TEST(FlagsTest, CollectorsSwitchOnAndOff) {
  absl::StatusOr<Flags> flags =
      Parse({"--collector.extra", "--no-collector.memory"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->collectors, ElementsAre("extra"));

  flags = Parse({"--collector.memory=false", "--collector.extra=true"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->collectors, ElementsAre("extra"));

  flags = Parse({"--no-collector.memory"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_THAT(flags->collectors, IsEmpty());
}

TEST(FlagsTest, HelpAndVersion) {
  absl::StatusOr<Flags> flags = Parse({"-h"});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->help);
  flags = Parse({"--help"});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->help);
  flags = Parse({"--version"});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->version);
}

// --healthcheck takes the server's flags, checked as for serving: the
// address and timeout are what it uses.
TEST(FlagsTest, HealthcheckTakesTheServersFlags) {
  absl::StatusOr<Flags> flags =
      Parse({"--healthcheck", "--web.listen-address=127.0.0.1:9100",
             "--web.config.file=/etc/oom/web.yml", "--web.request-timeout=2s"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->healthcheck);
  EXPECT_FALSE(flags->help);
  EXPECT_EQ(flags->listen_address, "127.0.0.1:9100");
  EXPECT_EQ(flags->web_config_file, "/etc/oom/web.yml");
  EXPECT_EQ(flags->request_timeout, std::chrono::seconds(2));
  EXPECT_THAT(ErrorOf({"--healthcheck=yes"}),
              HasSubstr("--healthcheck: takes no value"));
  EXPECT_THAT(ErrorOf({"--healthcheck", "--web.listen-address=[::]:9968"}),
              HasSubstr("IPv6 addresses are not supported"));
  EXPECT_THAT(ErrorOf({"--healthcheck", "--web.request-timeout=0"}),
              HasSubstr("--web.request-timeout"));
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  EXPECT_THAT(ErrorOf({"--web.listen"}),
              HasSubstr("unknown flag --web.listen"));
  EXPECT_THAT(ErrorOf({"--collector.nope"}),
              HasSubstr("--collector.nope: no collector named \"nope\""));
  EXPECT_THAT(ErrorOf({"--collector.nope"}), HasSubstr("known: memory, extra"));
  EXPECT_THAT(ErrorOf({"--no-collector.nope"}),
              HasSubstr("no collector named"));
  EXPECT_THAT(ErrorOf({"--collector.memory=maybe"}),
              HasSubstr("--collector.memory: \"maybe\" is not true or false"));
  EXPECT_THAT(ErrorOf({"--no-collector.memory=true"}),
              HasSubstr("--no-collector.memory: takes no value"));
  EXPECT_THAT(ErrorOf({"--log.level=loud"}),
              HasSubstr("--log.level: \"loud\" is not one of"));
  EXPECT_THAT(ErrorOf({"--path.procfs"}),
              HasSubstr("--path.procfs: needs a value"));
  EXPECT_THAT(ErrorOf({"--path.procfs", "--path.sysfs=/s"}),
              HasSubstr("--path.procfs: needs a value"));
  EXPECT_THAT(ErrorOf({"--path.procfs="}),
              HasSubstr("--path.procfs: must not be empty"));
  EXPECT_THAT(ErrorOf({"--path.procfs=/a", "--path.procfs=/b"}),
              HasSubstr("--path.procfs: given more than once"));
  EXPECT_THAT(ErrorOf({"--version=1"}), HasSubstr("--version: takes no value"));
  EXPECT_THAT(ErrorOf({"stray"}), HasSubstr("unexpected argument \"stray\""));
  EXPECT_THAT(ErrorOf({"-x"}), HasSubstr("unexpected argument \"-x\""));
  EXPECT_THAT(ErrorOf({"--"}), HasSubstr("unexpected argument \"--\""));
}

TEST(FlagsTest, KmsgCollectorOptions) {
  absl::StatusOr<Flags> flags = ParseReal({});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(Kmsg(*flags).path, "/dev/kmsg");
  EXPECT_EQ(Kmsg(*flags).state_file, "/var/lib/oom_exporter/kmsg.state");
  EXPECT_EQ(Kmsg(*flags).max_series, 1000u);
  EXPECT_EQ(Kmsg(*flags).recent_kills, 10u);
  EXPECT_EQ(Kmsg(*flags).api_kills, 100u);

  flags = ParseReal(
      {"--collector.kmsg.path=/tmp/k",
       "--collector.kmsg.state-file=", "--collector.kmsg.max-series", "5",
       "--collector.kmsg.recent-kills=3", "--collector.kmsg.api-kills=7"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(Kmsg(*flags).path, "/tmp/k");
  EXPECT_EQ(Kmsg(*flags).state_file, "");
  EXPECT_EQ(Kmsg(*flags).max_series, 5u);
  EXPECT_EQ(Kmsg(*flags).recent_kills, 3u);
  EXPECT_EQ(Kmsg(*flags).api_kills, 7u);
  // Collector toggles are still told apart from collector options.
  EXPECT_THAT(flags->collectors,
              ElementsAre("memory", "kmsg", "process", "cgroup"));

  EXPECT_THAT(
      ErrorOfReal({"--collector.kmsg.max-series=0"}),
      HasSubstr("--collector.kmsg.max-series: \"0\" is not a number from 1"));
  EXPECT_THAT(
      ErrorOfReal({"--collector.kmsg.recent-kills=ten"}),
      HasSubstr("--collector.kmsg.recent-kills: \"ten\" is not a number"));
  EXPECT_THAT(ErrorOfReal({"--collector.kmsg.recent-kills=1001"}),
              HasSubstr("from 1 to 1000"));
  EXPECT_THAT(ErrorOfReal({"--collector.kmsg.bogus=1"}),
              HasSubstr("unknown flag --collector.kmsg.bogus"));
}

TEST(FlagsTest, CgroupCollectorOptions) {
  absl::StatusOr<Flags> flags = ParseReal({});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(Cgroup(*flags).max_depth, 3u);
  EXPECT_THAT(Cgroup(*flags).include, ElementsAre("*"));
  EXPECT_THAT(Cgroup(*flags).exclude, IsEmpty());
  EXPECT_FALSE(Cgroup(*flags).pod_containers);
  EXPECT_EQ(Cgroup(*flags).retention, std::chrono::hours(1));

  flags = ParseReal({"--collector.cgroup.max-depth=5",
                     "--collector.cgroup.include=/kubepods*,/system.slice/*",
                     "--collector.cgroup.exclude", "*.mount",
                     "--collector.cgroup.retention=1h30m",
                     "--collector.cgroup.pod-containers"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(Cgroup(*flags).max_depth, 5u);
  EXPECT_THAT(Cgroup(*flags).include,
              ElementsAre("/kubepods*", "/system.slice/*"));
  EXPECT_THAT(Cgroup(*flags).exclude, ElementsAre("*.mount"));
  EXPECT_EQ(Cgroup(*flags).retention, std::chrono::minutes(90));
  EXPECT_TRUE(Cgroup(*flags).pod_containers);

  flags = ParseReal({"--collector.cgroup.pod-containers=false"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(Cgroup(*flags).pod_containers);
  flags = ParseReal({"--no-collector.cgroup.pod-containers"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_FALSE(Cgroup(*flags).pod_containers);

  EXPECT_THAT(ErrorOfReal({"--collector.cgroup.retention=soon"}),
              HasSubstr("--collector.cgroup.retention: \"soon\" is not a "
                        "duration"));
  EXPECT_THAT(ErrorOfReal({"--collector.cgroup.pod-containers=maybe"}),
              HasSubstr("\"maybe\" is not true or false"));
  EXPECT_THAT(ErrorOfReal({"--no-collector.cgroup.pod-containers=true"}),
              HasSubstr("takes no value"));
  EXPECT_THAT(ErrorOfReal({"--collector.cgroup.pod-containers",
                           "--no-collector.cgroup.pod-containers"}),
              HasSubstr("given more than once"));
}

// A collector's VALUE flags are checked once the whole command line is
// read: --help wins over a bad one, a bad count or an unknown flag comes
// first, and the program's own checks come after.
TEST(FlagsTest, CollectorValuesAreCheckedAfterTheCommandLine) {
  absl::StatusOr<Flags> flags =
      ParseReal({"--collector.cgroup.retention=soon", "--help"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_TRUE(flags->help);
  EXPECT_THAT(ErrorOfReal({"--collector.cgroup.retention=soon", "--bogus"}),
              HasSubstr("unknown flag --bogus"));
  EXPECT_THAT(ErrorOfReal({"--collector.cgroup.retention=soon",
                           "--collector.kmsg.max-series=0"}),
              HasSubstr("--collector.kmsg.max-series"));
  EXPECT_THAT(ErrorOfReal({"--web.request-timeout=1ms",
                           "--collector.cgroup.retention=soon"}),
              HasSubstr("--collector.cgroup.retention"));
  // A count is checked at once, even with --help.
  EXPECT_THAT(ErrorOfReal({"--help", "--collector.kmsg.max-series=0"}),
              HasSubstr("--collector.kmsg.max-series"));
}

// Flags of a collector that is not known are unknown flags; an unknown
// collector's toggle names the known ones.
TEST(FlagsTest, FlagsComeFromTheKnownCollectors) {
  EXPECT_THAT(ErrorOf({"--collector.kmsg.path=/x"}),
              HasSubstr("unknown flag --collector.kmsg.path"));
  EXPECT_THAT(ErrorOf({"--no-collector.kmsg.path"}),
              HasSubstr("--no-collector.kmsg.path: no collector named "
                        "\"kmsg.path\" (known: memory, extra)"));
}

TEST(FlagsTest, TelemetryPathMustBeUsable) {
  EXPECT_THAT(
      ErrorOf({"--web.telemetry-path=metrics"}),
      HasSubstr("--web.telemetry-path: \"metrics\" must start with '/'"));
  EXPECT_THAT(ErrorOf({"--web.telemetry-path=/"}), HasSubstr("is taken"));
  EXPECT_THAT(ErrorOf({"--web.telemetry-path=/healthz"}),
              HasSubstr("is taken"));
  EXPECT_THAT(ErrorOf({"--web.telemetry-path=/a b"}),
              HasSubstr("must not hold spaces"));
  EXPECT_THAT(ErrorOf({"--web.telemetry-path=/m?x=1"}),
              HasSubstr("must not hold spaces, '?' or '#'"));
}

TEST(FlagsTest, ListenAddressIsValidated) {
  EXPECT_THAT(ErrorOf({"--web.listen-address=9968"}),
              HasSubstr("--web.listen-address: \"9968\": want HOST:PORT"));
  EXPECT_THAT(ErrorOf({"--web.listen-address=:99999"}),
              HasSubstr("port must be a number from 0 to 65535"));
  EXPECT_THAT(ErrorOf({"--web.listen-address=[::]:9968"}),
              HasSubstr("IPv6 addresses are not supported"));
  EXPECT_THAT(ErrorOf({"--web.listen-address=example.com:9968"}),
              HasSubstr("host must be an IPv4 address or localhost"));
}

TEST(FlagsTest, UsageListsEveryFlagAndCollector) {
  std::string usage = UsageText(Known());
  for (const char* text :
       {"--web.listen-address", "--web.telemetry-path", "--path.procfs",
        "--path.sysfs", "--log.level", "--version", "--help", "--healthcheck",
        "--[no-]collector.memory", "--[no-]collector.extra", "(default: :9968)",
        "(default: enabled)", "(default: disabled)"}) {
    EXPECT_THAT(usage, HasSubstr(text));
  }
}

TEST(FlagsTest, WebSecurityAndLimits) {
  absl::StatusOr<Flags> defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->web_config_file, "");
  EXPECT_EQ(defaults->max_connections, 8u);
  EXPECT_EQ(defaults->request_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults->max_header_bytes, 16384u);

  absl::StatusOr<Flags> flags =
      Parse({"--web.config.file=/etc/oom/web.yml", "--web.max-connections", "2",
             "--web.request-timeout=1500ms", "--web.max-header-bytes=4096"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->web_config_file, "/etc/oom/web.yml");
  EXPECT_EQ(flags->max_connections, 2u);
  EXPECT_EQ(flags->request_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(flags->max_header_bytes, 4096u);

  EXPECT_THAT(ErrorOf({"--web.request-timeout=50ms"}),
              HasSubstr("--web.request-timeout: \"50ms\" is not a duration "
                        "from 100ms to 10m"));
  EXPECT_THAT(ErrorOf({"--web.request-timeout=1h"}),
              HasSubstr("--web.request-timeout"));
  EXPECT_THAT(ErrorOf({"--web.max-connections=0"}),
              HasSubstr("--web.max-connections: \"0\" is not a number"));
  EXPECT_THAT(ErrorOf({"--web.max-header-bytes=100"}),
              HasSubstr("--web.max-header-bytes: \"100\" is below 1024"));
}

TEST(FlagsTest, RunAsUserIsOffByDefaultAndTakenAsGiven) {
  absl::StatusOr<Flags> flags = Parse({});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->run_as_user, "");
  // Looked up in main, not here: the user database is the machine's.
  flags = Parse({"--run-as-user", "nobody"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->run_as_user, "nobody");
  EXPECT_THAT(ErrorOf({"--run-as-user=1", "--run-as-user=2"}),
              HasSubstr("--run-as-user: given more than once"));
}

}  // namespace
}  // namespace oom
