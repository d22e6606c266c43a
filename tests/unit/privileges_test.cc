#include "exporter/cli/privileges.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kBothCaps = kCapSetuid | kCapSetgid;

// The credentials of a root shell (`grep ... /proc/self/status` on the CI
// machine, which lacks CAP_SYS_RESOURCE); Groups has a trailing blank.
constexpr char kRootStatus[] =
    "Name:\tgrep\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t64\n"
    "Groups:\t \n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n";

constexpr char kNobodyStatus[] =
    "Name:\toom_exporter\n"
    "Uid:\t65534\t65534\t65534\t65534\n"
    "Gid:\t65534\t65534\t65534\t65534\n"
    "Groups:\t\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000000\n";

RunAsUser Nobody() { return {"nobody", 65534, 65534}; }

std::string ErrorOf(const absl::Status& status) {
  EXPECT_FALSE(status.ok());
  return std::string(status.message());
}

// Debian's base system has root (0:0) and nobody (65534:65534, nogroup).
TEST(ResolveUserTest, FindsNamesAndUids) {
  absl::StatusOr<RunAsUser> nobody = ResolveUser("nobody");
  ASSERT_TRUE(nobody.ok()) << nobody.status();
  EXPECT_EQ(nobody->name, "nobody");
  EXPECT_EQ(nobody->uid, 65534u);
  EXPECT_EQ(nobody->gid, 65534u);

  absl::StatusOr<RunAsUser> by_uid = ResolveUser("65534");
  ASSERT_TRUE(by_uid.ok()) << by_uid.status();
  EXPECT_EQ(by_uid->name, "nobody");
  EXPECT_EQ(by_uid->gid, 65534u);

  absl::StatusOr<RunAsUser> root = ResolveUser("0");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0u);
}

TEST(ResolveUserTest, SaysWhatIsWrong) {
  EXPECT_EQ(ErrorOf(ResolveUser("").status()), "no user given");
  EXPECT_EQ(ErrorOf(ResolveUser("no-such-user-oom").status()),
            "no user named \"no-such-user-oom\"");
  EXPECT_EQ(ErrorOf(ResolveUser("-1").status()), "no user named \"-1\"");
  EXPECT_EQ(ErrorOf(ResolveUser("4294967295").status()),
            "uid 4294967295 is out of range");
  EXPECT_THAT(ErrorOf(ResolveUser("3999999999").status()),
              HasSubstr("no user with uid 3999999999 in the user database"));
}

TEST(NeedsSwitchTest, RootWithTheCapabilitiesSwitches) {
  absl::StatusOr<bool> needed = NeedsSwitch(Nobody(), 0, kBothCaps);
  ASSERT_TRUE(needed.ok()) << needed.status();
  EXPECT_TRUE(*needed);
}

TEST(NeedsSwitchTest, AlreadyThatUserIsNothingToDo) {
  absl::StatusOr<bool> needed = NeedsSwitch(Nobody(), 65534, 0);
  ASSERT_TRUE(needed.ok()) << needed.status();
  EXPECT_FALSE(*needed);
}

TEST(NeedsSwitchTest, RefusesWhatCannotWorkOrMeansNothing) {
  EXPECT_EQ(ErrorOf(NeedsSwitch({"root", 0, 0}, 0, kBothCaps).status()),
            "root (uid 0) is root: switching to it drops nothing");
  EXPECT_EQ(ErrorOf(NeedsSwitch({"toor", 0, 0}, 1000, 0).status()),
            "toor (uid 0) is root: switching to it drops nothing");
  EXPECT_EQ(ErrorOf(NeedsSwitch(Nobody(), 1000, 0).status()),
            "switching to nobody (uid 65534) needs the exporter to start as "
            "root (it runs as uid 1000)");
  EXPECT_THAT(ErrorOf(NeedsSwitch(Nobody(), 0, kCapSetuid).status()),
              HasSubstr("needs CAP_SETUID and CAP_SETGID, which this root "
                        "lacks (CapEff 0000000000000080)"));
  EXPECT_THAT(ErrorOf(NeedsSwitch(Nobody(), 0, kCapSetgid).status()),
              HasSubstr("lacks"));
}

TEST(ParseCredentialsTest, ReadsTheLinesOfARealStatusFile) {
  absl::StatusOr<Credentials> root = ParseCredentials(kRootStatus);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_THAT(root->uids, ElementsAre(0, 0, 0, 0));
  EXPECT_THAT(root->gids, ElementsAre(0, 0, 0, 0));
  EXPECT_THAT(root->groups, IsEmpty());
  EXPECT_EQ(root->cap_prm, 0x000001fffeffffffu);
  EXPECT_EQ(root->cap_eff, 0x000001fffeffffffu);
  EXPECT_EQ(root->cap_amb, 0u);

  absl::StatusOr<Credentials> mixed = ParseCredentials(
      "Uid:\t1000\t0\t0\t1000\nGid:\t5\t5\t5\t5\nGroups:\t4 24 27 \n"
      "CapPrm:\t0\nCapEff:\t80\n");
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  EXPECT_THAT(mixed->uids, ElementsAre(1000, 0, 0, 1000));
  EXPECT_THAT(mixed->groups, ElementsAre(4, 24, 27));
  EXPECT_EQ(mixed->cap_eff, kCapSetuid);
}

TEST(ParseCredentialsTest, RejectsMissingOrGarbledLines) {
  EXPECT_EQ(ErrorOf(ParseCredentials("Name:\tx\n").status()),
            "no Uid, Gid, Groups, CapPrm or CapEff line");
  EXPECT_EQ(ErrorOf(ParseCredentials("Uid:\t0\t0\t0\n").status()),
            "bad Uid line: Uid:\t0\t0\t0");
  EXPECT_EQ(ErrorOf(ParseCredentials("Groups:\t0 x\n").status()),
            "bad Groups line: Groups:\t0 x");
  EXPECT_EQ(ErrorOf(ParseCredentials("CapEff:\t00zz\n").status()),
            "bad CapEff line: CapEff:\t00zz");
}

TEST(CheckCredentialsTest, AcceptsOnlyExactlyTheUserWithoutCapabilities) {
  absl::StatusOr<Credentials> nobody = ParseCredentials(kNobodyStatus);
  ASSERT_TRUE(nobody.ok()) << nobody.status();
  EXPECT_TRUE(CheckCredentials(*nobody, Nobody()).ok());

  Credentials saved_root = *nobody;
  saved_root.uids[2] = 0;
  EXPECT_EQ(ErrorOf(CheckCredentials(saved_root, Nobody())),
            "uids are 65534 65534 0 65534, want 65534 for all four");
  Credentials root_group = *nobody;
  root_group.gids[0] = 0;
  EXPECT_EQ(ErrorOf(CheckCredentials(root_group, Nobody())),
            "gids are 0 65534 65534 65534, want 65534 for all four");
  Credentials grouped = *nobody;
  grouped.groups = {0, 4};
  EXPECT_EQ(ErrorOf(CheckCredentials(grouped, Nobody())),
            "still in supplementary groups 0 4");
  Credentials capable = *nobody;
  capable.cap_amb = uint64_t{1} << 34;  // CAP_SYSLOG
  EXPECT_EQ(ErrorOf(CheckCredentials(capable, Nobody())),
            "capabilities left: CapEff 0000000000000000, CapPrm "
            "0000000000000000, CapAmb 0000000400000000");

  absl::StatusOr<Credentials> root = ParseCredentials(kRootStatus);
  ASSERT_TRUE(root.ok());
  EXPECT_THAT(ErrorOf(CheckCredentials(*root, Nobody())),
              HasSubstr("uids are 0 0 0 0"));
}

// The switch itself, in a child process (it cannot be undone): as root, the
// child becomes nobody and every check passes; a child that is no longer
// root gets the kernel's refusal of the first step.
int InChild(const RunAsUser& user, uid_t first_become) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (first_become != 0 && ::setuid(first_become) != 0) ::_exit(3);
    absl::Status status = SwitchToUser(user);
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    }
    ::_exit(status.ok()                                                  ? 0
            : absl::StrContains(status.message(), "setgroups(0 groups)") ? 1
                                                                         : 2);
  }
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

TEST(SwitchToUserTest, BecomesTheUserForGoodOrSaysWhichStepFailed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  EXPECT_EQ(InChild(Nobody(), 0), 0);
  EXPECT_EQ(InChild(Nobody(), 1000), 1);
}

}  // namespace
}  // namespace oom
