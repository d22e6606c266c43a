// The shims for Debian's civetweb (exporter/http/civetweb_shims.h): that
// libcivetweb is still the one they were written for (its version, what its
// dynamic symbol table imports and links, the library names it dlopen()s),
// that the program's poll(), accept() and dlopen() route what they should
// and nothing else, and that a started server's gate really sees civetweb's
// master thread. A failure here means Debian's civetweb changed under the
// shims: re-read the header against civetweb's source before anything else.

#include "exporter/http/civetweb_shims.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "exporter/http/http_server.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"

namespace oom {
namespace {

constexpr char kWhere[] =
    " Debian's civetweb changed under the shims: see "
    "exporter/http/civetweb_shims.h, and civetweb's src/civetweb.c "
    "(master_thread_run, accept_new_connection, initialize_openssl, "
    "ssl_get_client_cert_info).";

// ---- libcivetweb as Debian ships it ----------------------------------------

// What a shared library's dynamic section says: the libraries it links
// (DT_NEEDED) and the functions it imports (undefined dynamic symbols).
struct DynamicLinking {
  std::set<std::string> needed;
  std::set<std::string> imports;
};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Reads the section headers of a 64-bit ELF file (x86-64 and arm64 alike).
bool ParseDynamicLinking(const std::string& elf, DynamicLinking* out) {
  if (elf.size() < sizeof(Elf64_Ehdr) || elf.compare(0, 4, ELFMAG) != 0 ||
      elf[EI_CLASS] != ELFCLASS64) {
    return false;
  }
  const auto* header = reinterpret_cast<const Elf64_Ehdr*>(elf.data());
  if (header->e_shoff + header->e_shnum * sizeof(Elf64_Shdr) > elf.size()) {
    return false;
  }
  const auto* sections =
      reinterpret_cast<const Elf64_Shdr*>(elf.data() + header->e_shoff);
  auto in_file = [&](const Elf64_Shdr& s) {
    return s.sh_offset + s.sh_size <= elf.size();
  };
  for (int i = 0; i < header->e_shnum; ++i) {
    const Elf64_Shdr& section = sections[i];
    if (section.sh_type != SHT_DYNSYM && section.sh_type != SHT_DYNAMIC) {
      continue;
    }
    if (section.sh_link >= header->e_shnum || !in_file(section) ||
        !in_file(sections[section.sh_link])) {
      return false;
    }
    const Elf64_Shdr& strings = sections[section.sh_link];
    auto name = [&](uint64_t offset) {
      return offset < strings.sh_size
                 ? std::string(elf.c_str() + strings.sh_offset + offset)
                 : std::string();
    };
    if (section.sh_type == SHT_DYNSYM) {
      const auto* symbols =
          reinterpret_cast<const Elf64_Sym*>(elf.data() + section.sh_offset);
      for (uint64_t j = 0; j < section.sh_size / sizeof(Elf64_Sym); ++j) {
        if (symbols[j].st_shndx == SHN_UNDEF && symbols[j].st_name != 0) {
          out->imports.insert(name(symbols[j].st_name));
        }
      }
    } else {
      const auto* entries =
          reinterpret_cast<const Elf64_Dyn*>(elf.data() + section.sh_offset);
      for (uint64_t j = 0; j < section.sh_size / sizeof(Elf64_Dyn); ++j) {
        if (entries[j].d_tag == DT_NEEDED) {
          out->needed.insert(name(entries[j].d_un.d_val));
        }
      }
    }
  }
  return true;
}

// The file of the libcivetweb this program loaded.
std::string LoadedCivetweb() {
  Dl_info info = {};
  if (::dladdr(reinterpret_cast<void*>(&mg_version), &info) == 0 ||
      info.dli_fname == nullptr) {
    return "";
  }
  return info.dli_fname;
}

class CivetwebLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = LoadedCivetweb();
    ASSERT_FALSE(path_.empty()) << "cannot find the loaded libcivetweb";
    elf_ = ReadWholeFile(path_);
    ASSERT_TRUE(ParseDynamicLinking(elf_, &linking_))
        << path_ << " is not a 64-bit ELF file this test can read";
  }
  bool Contains(const std::string& text) const {
    return elf_.find(std::string(text.c_str(), text.size() + 1)) !=
           std::string::npos;
  }

  std::string path_;
  std::string elf_;
  DynamicLinking linking_;
};

TEST(CivetwebVersionTest, IsTheVersionTheShimsWereWrittenFor) {
  EXPECT_STREQ(mg_version(), "1.15")
      << "mg_version() is no longer 1.15." << kWhere;
}

TEST_F(CivetwebLibraryTest, ImportsPollAndAcceptFromLibc) {
  for (const char* function : {"poll", "accept"}) {
    EXPECT_TRUE(linking_.imports.count(function))
        << path_ << " no longer imports " << function
        << "(): the connection gate would not see its listener." << kWhere;
  }
  // The gate and the kernel-log reader use these to stay out of the shims.
  for (const char* function : {"ppoll", "accept4"}) {
    EXPECT_FALSE(linking_.imports.count(function))
        << path_ << " now imports " << function
        << "(): it may wait or accept without the gate." << kWhere;
  }
}

TEST_F(CivetwebLibraryTest, LoadsOpenSslWithDlopenByItsDevelopmentNames) {
  for (const std::string& library : linking_.needed) {
    EXPECT_TRUE(library.rfind("libssl", 0) != 0 &&
                library.rfind("libcrypto", 0) != 0)
        << path_ << " now links " << library
        << " itself: the dlopen() redirection and SSL_get_peer_certificate "
           "may be needless, or clash."
        << kWhere;
  }
  EXPECT_TRUE(linking_.imports.count("dlopen") &&
              linking_.imports.count("dlsym"))
      << path_ << " no longer loads OpenSSL with dlopen()/dlsym(): "
      << absl::StrJoin(linking_.needed, ", ") << "." << kWhere;
  for (const char* name : {"libssl.so", "libcrypto.so"}) {
    EXPECT_TRUE(Contains(name))
        << path_ << " no longer names \"" << name
        << "\": the dlopen() redirection would miss it." << kWhere;
  }
  EXPECT_TRUE(Contains("SSL_get_peer_certificate"))
      << path_ << " no longer looks SSL_get_peer_certificate up: the "
      << "program's definition may be needless." << kWhere;
}

// ---- The program's poll() and accept() -------------------------------------

// Counts the calls it gets; answers as the gate does when nothing is ready.
class CountingHooks : public ListenerHooks {
 public:
  int Poll(::pollfd* fds, unsigned long nfds, int, std::size_t index) override {
    ++polls;
    last_index = index;
    for (unsigned long i = 0; i < nfds; ++i) fds[i].revents = 0;
    return 0;
  }
  int Accept(struct sockaddr*, socklen_t*) override {
    ++accepts;
    errno = EAGAIN;
    return -1;
  }
  std::atomic<int> polls{0};
  std::atomic<int> accepts{0};
  std::size_t last_index = 0;
};

class InterceptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listen_fd_ = ::oom::testing::ListenLoopback(8, &port_);
    ASSERT_GE(listen_fd_, 0);
  }
  void TearDown() override { ::close(listen_fd_); }

  int listen_fd_ = -1;
  int port_ = 0;
};

TEST_F(InterceptionTest, FindsTheListeningSocketByPort) {
  absl::StatusOr<int> found = FindListeningSocket(port_);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, listen_fd_);
  int client = ::oom::testing::ConnectLoopback(port_);
  // A connected socket on the same port is no listener.
  EXPECT_EQ(*FindListeningSocket(port_), listen_fd_);
  ::close(client);
  ::close(listen_fd_);
  listen_fd_ = -1;
  EXPECT_EQ(FindListeningSocket(port_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(InterceptionTest, CallsOnTheListenerReachTheHooksAndNothingElse) {
  auto hooks = std::make_shared<CountingHooks>();
  absl::StatusOr<std::unique_ptr<ListenerInterception>> interception =
      InterceptListener(listen_fd_, hooks);
  ASSERT_TRUE(interception.ok()) << interception.status();

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  pollfd p[2] = {{fds[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
  EXPECT_EQ(::poll(p, 2, 0), 0);  // the hooks' answer, not libc's
  EXPECT_EQ(hooks->polls, 1);
  EXPECT_EQ(hooks->last_index, 1u);
  EXPECT_EQ(::accept(listen_fd_, nullptr, nullptr), -1);
  EXPECT_EQ(hooks->accepts, 1);

  // Other descriptors: libc's.
  pollfd pipe_only = {fds[0], POLLIN, 0};
  EXPECT_EQ(::poll(&pipe_only, 1, 1000), 1);
  EXPECT_TRUE(pipe_only.revents & POLLIN);
  EXPECT_EQ(hooks->polls, 1);
  ::close(fds[0]);
  ::close(fds[1]);

  EXPECT_EQ(InterceptListener(listen_fd_, hooks).status().code(),
            absl::StatusCode::kAlreadyExists);

  // Released: libc's again, which takes a silent client all the same.
  interception->reset();
  int client = ::oom::testing::ConnectLoopback(port_);
  pollfd listener = {listen_fd_, POLLIN, 0};
  ASSERT_EQ(::poll(&listener, 1, 5000), 1);
  int fd = ::accept(listen_fd_, nullptr, nullptr);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(hooks->polls, 1);
  EXPECT_EQ(hooks->accepts, 1);
  if (fd >= 0) ::close(fd);
  ::close(client);
}

TEST_F(InterceptionTest, NeedsHooks) {
  EXPECT_EQ(InterceptListener(listen_fd_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- The program's dlopen() and SSL_get_peer_certificate() -----------------

TEST(TlsRedirectionTest, CivetwebsLibraryNamesGiveTheProgramsOpenSsl) {
  absl::Status redirected = RedirectTlsLibraries();
  ASSERT_TRUE(redirected.ok()) << redirected;
  for (const char* name : {"libssl.so", "libcrypto.so"}) {
    // As civetweb's load_tls_dll asks (RTLD_LAZY).
    void* handle = ::dlopen(name, RTLD_LAZY);
    ASSERT_NE(handle, nullptr) << name << ": " << ::dlerror();
    EXPECT_EQ(::dlsym(handle, "SSL_CTX_new"),
              reinterpret_cast<void*>(&SSL_CTX_new))
        << name;
    EXPECT_NE(::dlsym(handle, "SSL_get_peer_certificate"), nullptr)
        << name << ": civetweb's worker would call address 0";
    ::dlclose(handle);
  }
  // Any other name: ld.so's answer.
  EXPECT_EQ(::dlopen("liboom-no-such-library.so", RTLD_LAZY), nullptr);
}

// ---- civetweb's master thread, for real ------------------------------------

class NullCollector : public Collector {
 public:
  absl::Status Collect(MetricSink&) override { return absl::OkStatus(); }
};

TEST(StartedServerTest, TheGateSeesCivetwebsPollAndAccept) {
  auto registry = std::make_shared<ScrapeRegistry>();
  registry->Add("null", std::make_unique<NullCollector>());
  HttpServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.max_connections = 1;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  int port = (*server)->port();

  // civetweb's listener is intercepted already.
  absl::StatusOr<int> listener = FindListeningSocket(port);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ(
      InterceptListener(listener.value(), std::make_shared<CountingHooks>())
          .status()
          .code(),
      absl::StatusCode::kAlreadyExists)
      << "the server did not route its listening socket to the gate";

  // A silent client would hold the one worker; the gate holds it instead.
  int silent = ::oom::testing::ConnectLoopback(port);
  ASSERT_GE(silent, 0);
  ::oom::testing::HttpResponse response =
      ::oom::testing::HttpRequest(port, "GET", "/healthz");
  EXPECT_EQ(response.status, 200) << response.error;
  ConnectionGateStats stats = (*server)->gate_stats();
  EXPECT_EQ(stats.admitted, 1u)
      << "civetweb's accept() did not go through the gate." << kWhere;
  // The silent client came first, so the gate took it before the request.
  EXPECT_GE(stats.accepted, 2u)
      << "civetweb's poll() and accept() did not go through the gate."
      << kWhere;
  ::close(silent);
}

}  // namespace
}  // namespace oom
