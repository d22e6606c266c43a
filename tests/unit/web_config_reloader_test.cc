// The web config in force follows its file: a changed file is put in force,
// a broken one is refused once and the previous config kept, TLS cannot be
// turned on or off, and the files are looked at no more often than asked.
// (TLS certificate renewal end to end: tests/e2e/web_config_test.sh.)

#include "exporter/http/web_config_reloader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_tree.h"

namespace oom {
namespace {

using ::oom::testing::TempTree;

class WebConfigReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> hash = HashPassword("secret", 4);
    ASSERT_TRUE(hash.ok()) << hash.status();
    hash_ = *hash;
    path_ = tree_.root() + "/web.yml";
  }

  // Writes the config with the given users (each with the same hash); the
  // modification time moves on by a second each write, so that a change is
  // seen even within the file system's time granularity.
  void Write(const std::string& text) {
    tree_.WriteFile("web.yml", text);
    ++writes_;
    timespec times[2] = {{writes_, 0}, {writes_, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  }
  std::string Users(std::initializer_list<const char*> names) {
    std::string text = "basic_auth_users:\n";
    for (const char* name : names)
      text += "  " + std::string(name) + ": " + hash_ + "\n";
    return text;
  }

  std::unique_ptr<WebConfigReloader> Create(
      std::chrono::milliseconds interval) {
    absl::StatusOr<WebConfig> initial = LoadWebConfig(path_);
    EXPECT_TRUE(initial.ok()) << initial.status();
    absl::StatusOr<std::unique_ptr<WebConfigReloader>> reloader =
        WebConfigReloader::Create(path_, *initial, interval);
    EXPECT_TRUE(reloader.ok()) << reloader.status();
    return reloader.ok() ? *std::move(reloader) : nullptr;
  }

  static std::string UsersOf(const ActiveWebConfig& web) {
    std::string names;
    for (const auto& [name, hash] : web.config.basic_auth_users)
      names += name + ",";
    return names;
  }

  TempTree tree_;
  std::string hash_;
  std::string path_;
  time_t writes_ = 1000;
};

TEST_F(WebConfigReloaderTest, AChangedFileIsPutInForce) {
  Write(Users({"alice"}));
  std::unique_ptr<WebConfigReloader> reloader =
      Create(std::chrono::milliseconds(0));
  ASSERT_NE(reloader, nullptr);
  EXPECT_EQ(UsersOf(*reloader->Current()), "alice,");
  EXPECT_EQ(reloader->reloads(), 0u);

  Write(Users({"bob", "carol"}));
  std::shared_ptr<const ActiveWebConfig> web = reloader->Current();
  EXPECT_EQ(UsersOf(*web), "bob,carol,");
  ASSERT_NE(web->auth, nullptr);
  EXPECT_TRUE(web->auth->Check("bob", "secret"));
  EXPECT_FALSE(web->auth->Check("alice", "secret"));
  EXPECT_EQ(reloader->reloads(), 1u);

  // Unchanged: nothing is read again.
  reloader->Current();
  EXPECT_EQ(reloader->reloads(), 1u);

  // All users gone: no authentication.
  Write("");
  EXPECT_EQ(reloader->Current()->auth, nullptr);
  EXPECT_EQ(reloader->reloads(), 2u);
}

TEST_F(WebConfigReloaderTest, ABrokenFileIsRefusedOnceAndThePreviousKept) {
  Write(Users({"alice"}));
  std::unique_ptr<WebConfigReloader> reloader =
      Create(std::chrono::milliseconds(0));
  ASSERT_NE(reloader, nullptr);
  Write(Users({"bob"}) + "  mallory: not-a-hash\n");
  EXPECT_EQ(UsersOf(*reloader->Current()), "alice,");
  EXPECT_EQ(reloader->failed_reloads(), 1u);
  // The same broken file is not read (nor logged) again.
  reloader->Current();
  reloader->Current();
  EXPECT_EQ(reloader->failed_reloads(), 1u);
  // Mended: in force.
  Write(Users({"bob"}));
  EXPECT_EQ(UsersOf(*reloader->Current()), "bob,");
  EXPECT_EQ(reloader->reloads(), 1u);
  // A missing file is a broken one too.
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  EXPECT_EQ(UsersOf(*reloader->Current()), "bob,");
  EXPECT_EQ(reloader->failed_reloads(), 2u);
}

TEST_F(WebConfigReloaderTest, TurningTlsOnNeedsARestart) {
  Write(Users({"alice"}));
  std::unique_ptr<WebConfigReloader> reloader =
      Create(std::chrono::milliseconds(0));
  ASSERT_NE(reloader, nullptr);
  Write("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n");
  std::shared_ptr<const ActiveWebConfig> web = reloader->Current();
  EXPECT_EQ(web->tls, nullptr);
  EXPECT_EQ(UsersOf(*web), "alice,");
  EXPECT_EQ(reloader->failed_reloads(), 1u);
}

TEST_F(WebConfigReloaderTest, FilesAreLookedAtAtMostOncePerInterval) {
  Write(Users({"alice"}));
  std::unique_ptr<WebConfigReloader> reloader = Create(std::chrono::hours(1));
  ASSERT_NE(reloader, nullptr);
  Write(Users({"bob"}));
  EXPECT_EQ(UsersOf(*reloader->Current()), "alice,");
  EXPECT_EQ(reloader->reloads(), 0u);
}

TEST(WebConfigReloaderNoFileTest, WithoutAFileTheConfigNeverChanges) {
  WebConfig config;
  config.basic_auth_users["alice"] = "$2b$04$" + std::string(53, 'a');
  absl::StatusOr<std::unique_ptr<WebConfigReloader>> reloader =
      WebConfigReloader::Create("", config, std::chrono::milliseconds(0));
  ASSERT_TRUE(reloader.ok()) << reloader.status();
  EXPECT_EQ((*reloader)->Current()->config.basic_auth_users.size(), 1u);
  EXPECT_EQ((*reloader)->reloads(), 0u);
  EXPECT_EQ((*reloader)->failed_reloads(), 0u);
}

}  // namespace
}  // namespace oom
