// oom_loadgen: the load and fault scenarios of tests/reliability/run.sh,
// against a running oom_exporter on 127.0.0.1. Each subcommand prints one
// machine-readable line ("RESULT scenario=NAME ok=0|1 key=value ...") and
// one line for people, and exits 0 only when every invariant held.
// Latencies are measured and reported, never part of a pass/fail condition.
//
//   oom_loadgen scrape    --port P --pid PID [--clients 64] [--seconds 30]
//                         [--kill-every-ms 1000]
//   oom_loadgen slow      --port P --pid PID [--clients 100] [--seconds 10]
//   oom_loadgen malformed --port P --pid PID [--count 10000] [--threads 8]
//   oom_loadgen churn     --port P --pid PID [--rate 300] [--seconds 600]
//                         [--kill-every-s 15] [--rss-bound-kb 1024]
//   oom_loadgen overrun   --port P --kmsg-file F --fixture records.kmsg
//                         [--rounds 3] [--gap 500]
//   oom_loadgen get       --port P [--path /metrics]
//
// Real OOM kills happen only inside a memory cgroup with a 32 MiB limit that
// the tool creates and removes (tests/support/memcg.h); where the machine
// cannot, the kill part is skipped and the RESULT line says why.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/http_client.h"
#include "tests/support/memcg.h"

namespace oom::testing {
namespace {

using Clock = std::chrono::steady_clock;

// --name value or --name=value.
class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0) continue;
      arg = arg.substr(2);
      std::size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        values_[arg.substr(0, eq)] = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        values_[arg] = argv[++i];
      }
    }
  }
  std::string Get(const std::string& name, const std::string& def) const {
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  long long Int(const std::string& name, long long def) const {
    long long value = def;
    auto it = values_.find(name);
    if (it != values_.end() && !absl::SimpleAtoi(it->second, &value)) {
      std::fprintf(stderr, "--%s: not a number: %s\n", name.c_str(),
                   it->second.c_str());
      std::exit(2);
    }
    return value;
  }

 private:
  std::map<std::string, std::string> values_;
};

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// The q-quantile (0..1) of `values`, nearest rank; 0 when empty.
double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t rank = static_cast<std::size_t>(q * (values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

std::string Fixed(double value, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

// VmRSS of `pid` in kB, 0 when it cannot be read (the process is gone).
long long RssKb(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    long long kb = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    return absl::SimpleAtoi(digits, &kb) ? kb : 0;
  }
  return 0;
}

// Open file descriptors of `pid`; -1 when it cannot be read.
int FdCount(int pid) {
  DIR* dir = ::opendir(absl::StrCat("/proc/", pid, "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

bool Alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

struct Scrape {
  bool ok = false;
  double ms = 0;
  std::string error;  // why not ok
  std::string body;
};

// One GET; ok when the answer is a complete 200 of metrics: the declared
// length (when declared), a final newline and the build info series.
Scrape Get(int port, const std::string& path, int timeout_ms = 15000) {
  Scrape scrape;
  Clock::time_point start = Clock::now();
  HttpResponse response = HttpRequest(port, "GET", path, {}, timeout_ms);
  scrape.ms = MsSince(start);
  if (response.status != 200) {
    scrape.error = response.status == 0
                       ? response.error
                       : absl::StrCat("status ", response.status);
    return scrape;
  }
  auto length = response.headers.find("content-length");
  std::size_t declared = 0;
  if (length != response.headers.end() &&
      (!absl::SimpleAtoi(length->second, &declared) ||
       declared != response.body.size())) {
    scrape.error = absl::StrCat("body of ", response.body.size(),
                                " bytes, Content-Length ", length->second);
    return scrape;
  }
  if (response.body.empty() || response.body.back() != '\n') {
    scrape.error = "body does not end with a newline";
    return scrape;
  }
  if (path == "/metrics" &&
      response.body.find("\noom_exporter_build_info{") == std::string::npos) {
    scrape.error = "no oom_exporter_build_info";
    return scrape;
  }
  scrape.ok = true;
  scrape.body = std::move(response.body);
  return scrape;
}

// The series of `body` that must never decrease: those of counter families,
// *_total, and the _count and _bucket series of histograms and summaries.
// Keyed by the sample text before the value (name and labels).
std::map<std::string, double> MonotonicSeries(const std::string& body) {
  std::map<std::string, double> out;
  std::map<std::string, std::string> types;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::vector<absl::string_view> parts =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 4 && parts[1] == "TYPE") {
        types[std::string(parts[2])] = std::string(parts[3]);
      }
      continue;
    }
    std::size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    absl::string_view key = line.substr(0, space);
    absl::string_view name = key.substr(0, key.find('{'));
    auto ends_with = [&](absl::string_view suffix) {
      return name.size() >= suffix.size() &&
             name.substr(name.size() - suffix.size()) == suffix;
    };
    bool monotonic = ends_with("_total");
    auto type = types.find(std::string(name));
    if (type != types.end() && type->second == "counter") monotonic = true;
    for (absl::string_view suffix : {"_count", "_bucket"}) {
      if (!ends_with(suffix)) continue;
      auto base =
          types.find(std::string(name.substr(0, name.size() - suffix.size())));
      if (base != types.end() &&
          (base->second == "histogram" || base->second == "summary")) {
        monotonic = true;
      }
    }
    double value = 0;
    if (monotonic &&
        absl::SimpleAtod(std::string(line.substr(space + 1)), &value)) {
      out[std::string(key)] = value;
    }
  }
  return out;
}

// Follows one client's scrapes and remembers every decrease.
class MonotonicCheck {
 public:
  void Add(const std::string& body) {
    std::map<std::string, double> now = MonotonicSeries(body);
    for (const auto& [key, value] : now) {
      auto it = last_.find(key);
      if (it != last_.end() && value < it->second) {
        ++decreases_;
        if (first_.empty()) {
          first_ = absl::StrCat(key, " went from ", it->second, " to ", value);
        }
      }
    }
    series_ = now.size();
    last_ = std::move(now);
  }
  int decreases() const { return decreases_; }
  std::size_t series() const { return series_; }
  const std::string& first() const { return first_; }

 private:
  std::map<std::string, double> last_;
  int decreases_ = 0;
  std::size_t series_ = 0;
  std::string first_;
};

// The value of `label` in a sample's label text, "" when absent.
std::string LabelValue(absl::string_view key, absl::string_view label) {
  std::string needle = absl::StrCat(label, "=\"");
  std::size_t at = key.find(needle);
  if (at == absl::string_view::npos) return "";
  if (at > 0 && key[at - 1] != '{' && key[at - 1] != ',') return "";
  std::size_t start = at + needle.size();
  std::size_t end = key.find('"', start);
  return std::string(key.substr(start, end - start));
}

// Sum of the samples `name` whose label `label` is `value` ("" for all).
double SumSamples(const std::string& body, const std::string& name,
                  const std::string& label = "",
                  const std::string& value = "") {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    absl::string_view key = line.substr(0, space);
    if (key.substr(0, key.find('{')) != name) continue;
    if (!label.empty() && LabelValue(key, label) != value) continue;
    double v = 0;
    if (absl::SimpleAtod(std::string(line.substr(space + 1)), &v)) sum += v;
  }
  return sum;
}

// How often /api/v1/kills lists `pid`.
int ApiListings(const std::string& json, int pid) {
  std::string needle = absl::StrCat("{\"pid\":", pid, ",");
  int count = 0;
  for (std::size_t at = json.find(needle); at != std::string::npos;
       at = json.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Provokes real OOM kills in its own small memory cgroup from a thread,
// one every `every_ms`, and remembers the victims.
class Killer {
 public:
  explicit Killer(int every_ms) : every_ms_(every_ms) {}
  ~Killer() { Stop(); }

  // False (with skip_reason()) when this machine cannot.
  bool Start() {
    absl::StatusOr<MemoryCgroup> cgroup = MemoryCgroup::Create(
        absl::StrCat("oom_loadgen_", ::getpid()), 32LL << 20);
    if (!cgroup.ok()) {
      skip_reason_ = std::string(cgroup.status().message());
      return false;
    }
    cgroup_.emplace(std::move(*cgroup));
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::string path() const { return cgroup_ ? cgroup_->path() : ""; }
  const std::string& skip_reason() const { return skip_reason_; }
  std::vector<int> victims() const {
    std::lock_guard<std::mutex> lock(mu_);
    return victims_;
  }
  int failures() const { return failures_; }
  const std::string& first_failure() const { return first_failure_; }

 private:
  void Run() {
    while (!stop_) {
      absl::StatusOr<int> pid = cgroup_->RunUntilOomKilled("loadgen_hog");
      if (pid.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        victims_.push_back(*pid);
      } else {
        if (failures_++ == 0) first_failure_ = pid.status().ToString();
      }
      for (int waited = 0; waited < every_ms_ && !stop_; waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  const int every_ms_;
  std::optional<MemoryCgroup> cgroup_;
  std::string skip_reason_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<int> victims_;
  std::atomic<int> failures_{0};
  std::string first_failure_;
};

// After the load: waits (bounded) until the exporter has counted every kill
// the killer provoked in its cgroup, then checks the accounting exactly: the
// cgroup's oom_kills_total equals the kills provoked (no loss, no double
// count, also after a quiet second), and /api/v1/kills lists each victim
// once. Returns "" or what was wrong.
std::string CheckKills(int port, const Killer& killer, double before,
                       double* counted) {
  std::vector<int> victims = killer.victims();
  double expected = before + static_cast<double>(victims.size());
  double seen = -1;
  for (Clock::time_point start = Clock::now(); MsSince(start) < 30000;) {
    Scrape scrape = Get(port, "/metrics");
    if (scrape.ok) {
      seen =
          SumSamples(scrape.body, "oom_kills_total", "cgroup", killer.path());
      if (seen >= expected) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Quiet for a while: a late double count would show now.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  Scrape scrape = Get(port, "/metrics");
  if (scrape.ok) {
    seen = SumSamples(scrape.body, "oom_kills_total", "cgroup", killer.path());
  }
  *counted = seen - before;
  if (seen != expected) {
    return absl::StrCat("the exporter counted ", seen - before, " kills in ",
                        killer.path(), ", the test provoked ", victims.size());
  }
  Scrape api = Get(port, "/api/v1/kills");
  if (!api.ok) return "GET /api/v1/kills failed: " + api.error;
  for (int pid : victims) {
    int listed = ApiListings(api.body, pid);
    if (listed != 1) {
      return absl::StrCat("/api/v1/kills lists victim ", pid, " ", listed,
                          " times");
    }
  }
  return "";
}

double CgroupKills(int port, const std::string& path) {
  Scrape scrape = Get(port, "/metrics");
  return scrape.ok ? SumSamples(scrape.body, "oom_kills_total", "cgroup", path)
                   : 0;
}

void Report(const std::string& scenario, bool ok,
            const std::vector<std::pair<std::string, std::string>>& fields,
            const std::string& human) {
  std::string line = absl::StrCat("RESULT scenario=", scenario, " ok=", ok);
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, " ", key, "=", value);
  }
  std::printf("%s\n%s: %s\n", line.c_str(), ok ? "PASS" : "FAIL",
              human.c_str());
  std::fflush(stdout);
}

// ---- scrape: many concurrent scrapers while real kills happen ----------

int ScrapeStorm(const Args& args) {
  int port = static_cast<int>(args.Int("port", 0));
  int pid = static_cast<int>(args.Int("pid", 0));
  int clients = static_cast<int>(args.Int("clients", 64));
  int seconds = static_cast<int>(args.Int("seconds", 30));
  int kill_every_ms = static_cast<int>(args.Int("kill-every-ms", 1000));

  Killer killer(kill_every_ms);
  bool killing = kill_every_ms > 0 && killer.Start();
  double kills_before = killing ? CgroupKills(port, killer.path()) : 0;

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies;
  int errors = 0;
  int decreases = 0;
  std::string first_error;
  std::size_t series = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      MonotonicCheck check;
      std::vector<double> mine;
      int my_errors = 0;
      std::string my_first;
      while (!stop) {
        Scrape scrape = Get(port, "/metrics");
        mine.push_back(scrape.ms);
        if (!scrape.ok) {
          if (my_errors++ == 0) my_first = scrape.error;
          continue;
        }
        check.Add(scrape.body);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      errors += my_errors;
      decreases += check.decreases();
      series = std::max(series, check.series());
      if (first_error.empty() && !my_first.empty()) first_error = my_first;
      if (first_error.empty() && !check.first().empty()) {
        first_error = "decrease: " + check.first();
      }
    });
  }
  // RSS once a second; warm = the sample at 10 % of the run.
  std::vector<long long> rss;
  Clock::time_point start = Clock::now();
  while (MsSince(start) < seconds * 1000.0) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss.push_back(RssKb(pid));
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  double elapsed_s = MsSince(start) / 1000;
  killer.Stop();

  std::string kill_problem;
  double counted = 0;
  if (killing) {
    kill_problem = CheckKills(port, killer, kills_before, &counted);
  }
  bool alive = Alive(pid);
  std::size_t warm_index = rss.size() / 10;
  long long warm = rss.empty() ? 0 : rss[warm_index];
  long long end = rss.empty() ? 0 : rss.back();
  long long peak = rss.empty() ? 0 : *std::max_element(rss.begin(), rss.end());
  bool ok = errors == 0 && decreases == 0 && kill_problem.empty() && alive &&
            killer.failures() == 0;
  std::size_t provoked = killer.victims().size();
  Report(
      "scrape", ok,
      {{"clients", absl::StrCat(clients)},
       {"seconds", Fixed(elapsed_s)},
       {"scrapes", absl::StrCat(latencies.size())},
       {"scrapes_per_s", Fixed(latencies.size() / elapsed_s)},
       {"errors", absl::StrCat(errors)},
       {"counter_series", absl::StrCat(series)},
       {"decreases", absl::StrCat(decreases)},
       {"p50_ms", Fixed(Quantile(latencies, 0.5))},
       {"p99_ms", Fixed(Quantile(latencies, 0.99))},
       {"max_ms", Fixed(Quantile(latencies, 1))},
       {"kills_provoked", killing ? absl::StrCat(provoked) : "skipped"},
       {"kills_counted", killing ? absl::StrCat(counted) : "skipped"},
       {"rss_warm_kb", absl::StrCat(warm)},
       {"rss_end_kb", absl::StrCat(end)},
       {"rss_max_kb", absl::StrCat(peak)}},
      absl::StrCat(
          latencies.size(), " scrapes by ", clients, " clients in ",
          Fixed(elapsed_s), " s, ", errors, " errors, ", decreases,
          " counter decreases over ", series, " counter series; ",
          killing ? absl::StrCat(provoked, " real OOM kills, ", counted,
                                 " counted for ", killer.path())
                  : "no OOM kills (" +
                        (killer.skip_reason().empty() ? "off"
                                                      : killer.skip_reason()) +
                        ")",
          killer.failures() ? ", kill failures: " + killer.first_failure() : "",
          "; RSS ", warm, " kB warm, ", end, " kB at the end",
          alive ? "" : "; THE EXPORTER DIED",
          first_error.empty() ? "" : "; first problem: " + first_error,
          kill_problem.empty() ? "" : "; " + kill_problem));
  return ok ? 0 : 1;
}

// ---- slow: slow clients hold connections, normal scrapes go on ----------

// True when the server has closed `fd` or answered on it (either way this
// slow client no longer holds a worker waiting for its request).
bool ServerDone(int fd) {
  char buf[512];
  ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n > 0) return true;
  if (n == 0) return true;
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

int SlowClients(const Args& args) {
  int port = static_cast<int>(args.Int("port", 0));
  int pid = static_cast<int>(args.Int("pid", 0));
  int clients = static_cast<int>(args.Int("clients", 100));
  int seconds = static_cast<int>(args.Int("seconds", 10));
  int timeout_ms = static_cast<int>(args.Int("timeout-ms", 15000));

  // Even clients trickle a request that never ends, a header line of a few
  // bytes every 500 ms; odd ones connect and send nothing. A connection the
  // server drops is counted and opened again, as an attacker would.
  std::vector<int> fds(static_cast<std::size_t>(clients), -1);
  int connect_failures = 0;
  for (int i = 0; i < clients; ++i) {
    fds[i] = ConnectLoopback(port);
    if (fds[i] < 0) ++connect_failures;
  }
  std::atomic<int> open{0};
  for (int fd : fds) open += fd >= 0;
  int all_open_at_start = open;
  std::atomic<bool> stop{false};
  std::atomic<int> dropped{0};
  std::thread slow([&] {
    int tick = 0;
    while (!stop) {
      for (int i = 0; i < clients; ++i) {
        int& fd = fds[i];
        if (fd >= 0 && ServerDone(fd)) {
          ::close(fd);
          fd = -1;
          --open;
          ++dropped;
        }
        if (fd < 0) {
          fd = ConnectLoopback(port);
          if (fd >= 0) ++open;
          continue;
        }
        if (i % 2 == 1) continue;
        std::string chunk = tick == 0
                                ? "GET /metrics HTTP/1.1\r\n"
                                : absl::StrCat("X-Slow-", tick, ": a\r\n");
        if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) {
          ::close(fd);
          fd = -1;
          --open;
          ++dropped;
        }
      }
      ++tick;
      for (int waited = 0; waited < 500 && !stop; waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
  // Let the slow clients take their places, then scrape every 200 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  std::vector<double> latencies;
  int errors = 0;
  int min_open = clients;
  std::string first_error;
  Clock::time_point start = Clock::now();
  while (MsSince(start) < seconds * 1000.0) {
    Scrape scrape = Get(port, "/metrics", timeout_ms);
    min_open = std::min(min_open, open.load());
    latencies.push_back(scrape.ms);
    if (!scrape.ok && errors++ == 0) first_error = scrape.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  slow.join();
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  bool alive = Alive(pid);
  // The load was real only if the slow clients held (nearly) all their
  // connections whenever a normal scrape completed.
  bool held = min_open >= clients * 9 / 10;
  bool ok = errors == 0 && alive && held && connect_failures == 0;
  Report("slow", ok,
         {{"clients", absl::StrCat(clients)},
          {"seconds", absl::StrCat(seconds)},
          {"scrapes", absl::StrCat(latencies.size())},
          {"errors", absl::StrCat(errors)},
          {"p50_ms", Fixed(Quantile(latencies, 0.5))},
          {"max_ms", Fixed(Quantile(latencies, 1))},
          {"slow_open_min", absl::StrCat(min_open)},
          {"slow_dropped", absl::StrCat(dropped.load())}},
         absl::StrCat(
             latencies.size(), " normal scrapes while ", clients,
             " slow clients held connections (", all_open_at_start,
             " connected; at least ", min_open,
             " open at every scrape; the server dropped ", dropped.load(),
             " and they reconnected): ", errors, " errors (client timeout ",
             timeout_ms, " ms), latency p50 ", Fixed(Quantile(latencies, 0.5)),
             " ms, max ", Fixed(Quantile(latencies, 1)), " ms",
             alive ? "" : "; THE EXPORTER DIED",
             held ? "" : "; the slow clients did not hold their connections",
             first_error.empty() ? "" : "; first error: " + first_error));
  return ok ? 0 : 1;
}

// ---- malformed: garbage of many kinds, then normal scrapes --------------

// Request number `i` of the malformed set; `close_early` says the client
// closes without waiting for an answer.
std::string Malformed(int i, std::mt19937* rng, bool* close_early) {
  *close_early = false;
  auto random_bytes = [&](std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out) c = static_cast<char>((*rng)() & 0xff);
    return out;
  };
  switch (i % 16) {
    case 0:
      return random_bytes(1 + (*rng)() % 2048);
    case 1: {
      static constexpr char kNul[] =
          "GET /metrics\0 HTTP/1.1\r\nHost: a\r\n\r\n";
      return std::string(kNul, sizeof(kNul) - 1);
    }
    case 2:  // request line far beyond --web.max-header-bytes
      return "GET /" + std::string(70000, 'a') + " HTTP/1.1\r\n\r\n";
    case 3:  // one huge header
      return "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(70000, 'b') +
             "\r\n\r\n";
    case 4:  // many headers
    {
      std::string out = "GET /metrics HTTP/1.1\r\n";
      for (int h = 0; h < 2000; ++h) absl::StrAppend(&out, "X-H", h, ": v\r\n");
      return out + "\r\n";
    }
    case 5:
      return "BREW /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    case 6:
      return "GET /metrics HTTP/9.9\r\nHost: a\r\n\r\n";
    case 7:
      return "GET /metrics FTP/1.0\r\nHost: a\r\n\r\n";
    case 8:
      return "GET /metrics HTTP/1.1\r\nno colon here\r\nHost: a\r\n\r\n";
    case 9:
      return "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: "
             "99999999999999999999999\r\n\r\nabc";
    case 10:
      return "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n";
    case 11:  // truncated, then closed
      *close_early = true;
      return "GET /metr";
    case 12:  // a valid request, then pipelined garbage
      return "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n" + random_bytes(300) +
             "\r\n\r\n";
    case 13: {  // a TLS 1.2 ClientHello to the plain port
      std::string hello("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11);
      return hello + random_bytes(32) + std::string("\x00\x00\x02\x13\x01", 5);
    }
    case 14:
      return "GET /../../../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n";
    default:  // bare newlines, chunked garbage, a lone CR
      return "GET /metrics HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
             "zz\r\nxx\r\n\r";
  }
}

int MalformedRequests(const Args& args) {
  int port = static_cast<int>(args.Int("port", 0));
  int pid = static_cast<int>(args.Int("pid", 0));
  int count = static_cast<int>(args.Int("count", 10000));
  int threads_n = static_cast<int>(args.Int("threads", 8));

  std::mutex mu;
  std::map<std::string, int> answers;  // "400", "closed", "timeout", ...
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  Clock::time_point start = Clock::now();
  for (int t = 0; t < threads_n; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t + 1));
      std::map<std::string, int> mine;
      for (int i = next++; i < count; i = next++) {
        bool close_early = false;
        std::string request = Malformed(i, &rng, &close_early);
        int fd = ConnectLoopback(port);
        if (fd < 0) {
          ++mine["connect failed"];
          continue;
        }
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        if (close_early) {
          ::close(fd);
          ++mine["client closed"];
          continue;
        }
        ::shutdown(fd, SHUT_WR);  // the request ends here
        std::string out;
        char buf[4096];
        bool timed_out = false;
        while (true) {
          pollfd pfd{fd, POLLIN, 0};
          if (::poll(&pfd, 1, 15000) <= 0) {
            timed_out = true;
            break;
          }
          ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
          if (n <= 0) break;
          if (out.size() < 64) out.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        if (timed_out) {
          ++mine["no answer in 15 s"];
        } else if (out.rfind("HTTP/1.", 0) == 0 && out.size() >= 12) {
          ++mine[out.substr(9, 3)];
        } else {
          ++mine[out.empty() ? "closed" : "not HTTP"];
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& [key, n] : mine) answers[key] += n;
    });
  }
  for (std::thread& t : threads) t.join();
  double elapsed_s = MsSince(start) / 1000;
  bool alive = Alive(pid);
  int errors = 0;
  std::string first_error;
  for (int i = 0; i < 20; ++i) {
    Scrape scrape = Get(port, "/metrics");
    if (!scrape.ok && errors++ == 0) first_error = scrape.error;
  }
  std::string histogram;
  for (const auto& [key, n] : answers) {
    absl::StrAppend(&histogram, histogram.empty() ? "" : ",", key, ":", n);
  }
  for (char& c : histogram) {
    if (c == ' ') c = '_';
  }
  bool ok = alive && errors == 0 && answers["connect failed"] == 0;
  Report(
      "malformed", ok,
      {{"requests", absl::StrCat(count)},
       {"seconds", Fixed(elapsed_s)},
       {"requests_per_s", Fixed(count / elapsed_s, 0)},
       {"answers", histogram},
       {"scrapes_after", "20"},
       {"errors_after", absl::StrCat(errors)}},
      absl::StrCat(count, " malformed requests in ", Fixed(elapsed_s), " s (",
                   Fixed(count / elapsed_s, 0), "/s), answers ", histogram,
                   "; ", alive ? "the exporter is up" : "THE EXPORTER DIED",
                   ", ", 20 - errors, "/20 normal scrapes after",
                   first_error.empty() ? "" : "; " + first_error));
  return ok ? 0 : 1;
}

// ---- churn: process churn with periodic kills, RSS and fds --------------

// Forks a process (before any thread exists) that spawns `rate` short-lived
// children a second for `seconds`: each sleeps 0-100 ms and exits. It writes
// how many it spawned (and fork failures) to the returned pipe. Only
// async-signal-safe calls after fork.
int StartChurn(int rate, int seconds, pid_t* master) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  *master = ::fork();
  if (*master != 0) {
    ::close(pipe_fds[1]);
    return pipe_fds[0];
  }
  ::close(pipe_fds[0]);
  uint64_t spawned = 0;
  uint64_t failed = 0;
  timespec begin;
  ::clock_gettime(CLOCK_MONOTONIC, &begin);
  uint32_t seed = static_cast<uint32_t>(::getpid());
  for (uint64_t tick = 0;; ++tick) {
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - begin.tv_sec >= seconds) break;
    uint64_t due = (tick + 1) * static_cast<uint64_t>(rate) / 100;
    while (spawned + failed < due) {
      seed = seed * 1103515245u + 12345u;
      long sleep_ns = static_cast<long>((seed >> 8) % 100) * 1000000L;
      pid_t child = ::fork();
      if (child == 0) {
        timespec nap{0, sleep_ns};
        ::nanosleep(&nap, nullptr);
        ::_exit(0);
      }
      if (child < 0) {
        ++failed;
      } else {
        ++spawned;
      }
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    // Ticks of 10 ms from the start.
    timespec next = begin;
    uint64_t ns = static_cast<uint64_t>(next.tv_nsec) + (tick + 1) * 10000000;
    next.tv_sec += static_cast<time_t>(ns / 1000000000);
    next.tv_nsec = static_cast<long>(ns % 1000000000);
    ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
  }
  while (::waitpid(-1, nullptr, 0) > 0) {
  }
  uint64_t counts[2] = {spawned, failed};
  ssize_t ignored = ::write(pipe_fds[1], counts, sizeof(counts));
  (void)ignored;
  ::_exit(0);
}

int Churn(const Args& args) {
  int port = static_cast<int>(args.Int("port", 0));
  int pid = static_cast<int>(args.Int("pid", 0));
  int rate = static_cast<int>(args.Int("rate", 300));
  int seconds = static_cast<int>(args.Int("seconds", 600));
  int kill_every_s = static_cast<int>(args.Int("kill-every-s", 15));
  long long rss_bound_kb = args.Int("rss-bound-kb", 1024);
  // Warm level: after 10 % of the run, at least 30 s when the run allows.
  int warmup_s = std::max(seconds / 10, std::min(30, seconds / 2));

  pid_t master = -1;
  int churn_pipe = StartChurn(rate, seconds, &master);
  if (churn_pipe < 0 || master < 0) {
    std::fprintf(stderr, "cannot start the churn process\n");
    return 1;
  }
  Killer killer(kill_every_s * 1000);
  bool killing = kill_every_s > 0 && killer.Start();
  double kills_before = killing ? CgroupKills(port, killer.path()) : 0;

  MonotonicCheck check;
  int scrapes = 0;
  int errors = 0;
  std::string first_error;
  std::vector<double> latencies;
  long long warm_rss = 0;
  int warm_fds = -1;
  long long max_rss_after_warm = 0;
  int max_fds_after_warm = 0;
  int start_fds = FdCount(pid);
  long long start_rss = RssKb(pid);
  Clock::time_point start = Clock::now();
  while (MsSince(start) < seconds * 1000.0) {
    Clock::time_point tick = Clock::now();
    Scrape scrape = Get(port, "/metrics");
    ++scrapes;
    latencies.push_back(scrape.ms);
    if (scrape.ok) {
      check.Add(scrape.body);
    } else if (errors++ == 0) {
      first_error = scrape.error;
    }
    long long rss = RssKb(pid);
    int fds = FdCount(pid);
    if (MsSince(start) >= warmup_s * 1000.0) {
      if (warm_fds < 0) {
        warm_rss = rss;
        warm_fds = fds;
      }
      max_rss_after_warm = std::max(max_rss_after_warm, rss);
      max_fds_after_warm = std::max(max_fds_after_warm, fds);
    }
    double rest = 1000 - MsSince(tick);
    if (rest > 0) {
      std::this_thread::sleep_for(
          std::chrono::microseconds(static_cast<long long>(rest * 1000)));
    }
  }
  killer.Stop();
  uint64_t counts[2] = {0, 0};
  ssize_t got = ::read(churn_pipe, counts, sizeof(counts));
  ::close(churn_pipe);
  ::waitpid(master, nullptr, 0);
  std::string kill_problem;
  double counted = 0;
  if (killing) kill_problem = CheckKills(port, killer, kills_before, &counted);
  // Descriptors the exporter holds for a moment (a scrape's files) are not
  // a leak: the end count is the least of a few samples.
  int end_fds = FdCount(pid);
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    end_fds = std::min(end_fds, FdCount(pid));
  }
  long long end_rss = RssKb(pid);
  bool alive = Alive(pid);
  long long growth = max_rss_after_warm - warm_rss;
  bool ok = alive && errors == 0 && check.decreases() == 0 &&
            kill_problem.empty() && killer.failures() == 0 &&
            got == sizeof(counts) && growth <= rss_bound_kb && end_fds >= 0 &&
            end_fds <= warm_fds;
  std::size_t provoked = killer.victims().size();
  Report(
      "churn", ok,
      {{"seconds", absl::StrCat(seconds)},
       {"spawned", absl::StrCat(counts[0])},
       {"spawns_per_s", Fixed(static_cast<double>(counts[0]) / seconds)},
       {"fork_failures", absl::StrCat(counts[1])},
       {"scrapes", absl::StrCat(scrapes)},
       {"errors", absl::StrCat(errors)},
       {"decreases", absl::StrCat(check.decreases())},
       {"p50_ms", Fixed(Quantile(latencies, 0.5))},
       {"max_ms", Fixed(Quantile(latencies, 1))},
       {"kills_provoked", killing ? absl::StrCat(provoked) : "skipped"},
       {"kills_counted", killing ? absl::StrCat(counted) : "skipped"},
       {"rss_start_kb", absl::StrCat(start_rss)},
       {"rss_warm_kb", absl::StrCat(warm_rss)},
       {"rss_max_kb", absl::StrCat(max_rss_after_warm)},
       {"rss_growth_kb", absl::StrCat(growth)},
       {"rss_end_kb", absl::StrCat(end_rss)},
       {"fds_start", absl::StrCat(start_fds)},
       {"fds_warm", absl::StrCat(warm_fds)},
       {"fds_max", absl::StrCat(max_fds_after_warm)},
       {"fds_end", absl::StrCat(end_fds)}},
      absl::StrCat(
          counts[0], " processes spawned in ", seconds, " s (",
          Fixed(static_cast<double>(counts[0]) / seconds), "/s), ", scrapes,
          " scrapes, ", errors, " errors, ", check.decreases(),
          " counter decreases; ",
          killing
              ? absl::StrCat(provoked, " real OOM kills, ", counted, " counted")
              : "no OOM kills (" +
                    (killer.skip_reason().empty() ? "off"
                                                  : killer.skip_reason()) +
                    ")",
          "; RSS ", warm_rss, " kB warm (after ", warmup_s, " s), max ",
          max_rss_after_warm, " kB (", growth, " kB above, bound ",
          rss_bound_kb, "); fds ", start_fds, " at start, ", warm_fds,
          " warm, max ", max_fds_after_warm, ", ", end_fds, " at the end",
          alive ? "" : "; THE EXPORTER DIED",
          first_error.empty() ? "" : "; first error: " + first_error,
          check.first().empty() ? "" : "; decrease: " + check.first(),
          kill_problem.empty() ? "" : "; " + kill_problem));
  return ok ? 0 : 1;
}

// ---- overrun: a simulated ring-buffer overrun through a records file ----

// Appends records to the file the exporter follows, renumbered: the caller
// decides the sequence numbers, so gaps are records "overwritten" in the
// ring before the exporter could read them.
class RecordWriter {
 public:
  explicit RecordWriter(const std::string& path) : path_(path) {}
  // Appends `lines` (fixture records "pri,seq,ts,flags;text") with
  // sequence numbers from next(), and `pid` replaced by `new_pid`.
  bool Write(const std::vector<std::string>& lines, const std::string& pid,
             const std::string& new_pid) {
    std::string out;
    for (const std::string& line : lines) {
      std::vector<std::string> fields =
          absl::StrSplit(line, absl::MaxSplits(',', 2));
      if (fields.size() != 3) continue;
      std::string rest = fields[2];
      for (std::size_t at = rest.find(pid); at != std::string::npos;
           at = rest.find(pid, at + new_pid.size())) {
        rest.replace(at, pid.size(), new_pid);
      }
      absl::StrAppend(&out, fields[0], ",", next_++, ",", rest, "\n");
      ++written_;
    }
    std::ofstream file(path_, std::ios::app | std::ios::binary);
    file << out;
    file.flush();
    return file.good();
  }
  void Skip(uint64_t records) { next_ += records; }
  uint64_t written() const { return written_; }

 private:
  std::string path_;
  uint64_t next_ = 0;
  uint64_t written_ = 0;
};

int Overrun(const Args& args) {
  int port = static_cast<int>(args.Int("port", 0));
  int pid = static_cast<int>(args.Int("pid", 0));
  int rounds = static_cast<int>(args.Int("rounds", 3));
  uint64_t gap = static_cast<uint64_t>(args.Int("gap", 500));
  std::string fixture = args.Get("fixture", "");
  std::ifstream in(fixture);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // tests/fixtures/kmsg/records.kmsg: three memcg kills of 78, 79 and 78
  // records, each from its header to its "Killed process" line.
  if (lines.size() != 235) {
    std::fprintf(stderr, "%s: expected the 235 records of three kills\n",
                 fixture.c_str());
    return 2;
  }
  std::vector<std::string> kill_a(lines.begin(), lines.begin() + 78);
  std::vector<std::string> kill_b(lines.begin() + 78, lines.begin() + 157);
  std::vector<std::string> kill_c(lines.begin() + 157, lines.end());
  std::vector<std::string> b_tail(kill_b.end() - 2, kill_b.end());
  std::vector<std::string> a_head(kill_a.begin(), kill_a.begin() + 40);

  RecordWriter writer(args.Get("kmsg-file", ""));
  MonotonicCheck check;
  uint64_t lost = 0;
  int scrapes = 0;
  int errors = 0;
  std::string problem;
  // Waits until the exporter has read every record written so far, then
  // checks the counters against what was written.
  auto settle = [&](const std::string& step) {
    Scrape scrape;
    for (Clock::time_point start = Clock::now(); MsSince(start) < 10000;) {
      scrape = Get(port, "/metrics");
      ++scrapes;
      if (!scrape.ok) {
        ++errors;
      } else {
        check.Add(scrape.body);
        if (SumSamples(scrape.body, "oom_kmsg_records_total") >=
            static_cast<double>(writer.written())) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    double records = SumSamples(scrape.body, "oom_kmsg_records_total");
    double seen_lost = SumSamples(scrape.body, "oom_kmsg_lost_records_total");
    if (problem.empty() && (records != static_cast<double>(writer.written()) ||
                            seen_lost != static_cast<double>(lost))) {
      problem = absl::StrCat("after ", step, ": records ", records, " (wrote ",
                             writer.written(), "), lost ", seen_lost,
                             " (skipped ", lost, ")");
    }
  };
  // Per round: kill A complete; a gap that swallowed kill B's first 77
  // records, its summary and "Killed process" lines arriving; kill C
  // complete; kill A's first 40 records again (a new pid), then a gap that
  // swallowed the rest of it, including its "Killed process" line.
  std::vector<int> counted_pids;
  std::vector<int> lost_pids;
  for (int r = 0; r < rounds; ++r) {
    int base = 40000 + r * 10;
    writer.Write(kill_a, "25121", absl::StrCat(base + 1));
    counted_pids.push_back(base + 1);
    settle(absl::StrCat("round ", r, " kill A"));
    writer.Skip(gap + 77);
    lost += gap + 77;
    writer.Write(b_tail, "25326", absl::StrCat(base + 2));
    counted_pids.push_back(base + 2);
    settle(absl::StrCat("round ", r, " kill B cut"));
    writer.Write(kill_c, "25325", absl::StrCat(base + 3));
    counted_pids.push_back(base + 3);
    settle(absl::StrCat("round ", r, " kill C"));
    writer.Write(a_head, "25121", absl::StrCat(base + 4));
    lost_pids.push_back(base + 4);
    settle(absl::StrCat("round ", r, " kill D head"));
    writer.Skip(gap + 38);
    lost += gap + 38;
  }
  // A last complete kill shows the final gap.
  writer.Write(kill_c, "25325", "49999");
  counted_pids.push_back(49999);
  settle("the last kill");
  // A summary waits up to a second for a kill line; give it three.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  settle("a quiet pause");

  Scrape final_scrape = Get(port, "/metrics");
  Scrape api = Get(port, "/api/v1/kills");
  double kills = final_scrape.ok
                     ? SumSamples(final_scrape.body, "oom_logged_kills_total")
                     : -1;
  double memcg = final_scrape.ok
                     ? SumSamples(final_scrape.body, "oom_logged_kills_total",
                                  "scope", "memcg")
                     : -1;
  double invocations =
      final_scrape.ok
          ? SumSamples(final_scrape.body, "oom_killer_invocations_total")
          : -1;
  double seen_lost = final_scrape.ok ? SumSamples(final_scrape.body,
                                                  "oom_kmsg_lost_records_total")
                                     : -1;
  double expected = static_cast<double>(counted_pids.size());
  if (problem.empty() && (kills != expected || memcg != expected)) {
    problem = absl::StrCat("kills counted ", kills, " (memcg ", memcg,
                           "), expected ", expected);
  }
  for (int victim : counted_pids) {
    if (problem.empty() && api.ok && ApiListings(api.body, victim) != 1) {
      problem = absl::StrCat("/api/v1/kills lists ", victim, " ",
                             ApiListings(api.body, victim), " times");
    }
  }
  for (int victim : lost_pids) {
    if (problem.empty() && api.ok && ApiListings(api.body, victim) != 0) {
      problem = absl::StrCat("/api/v1/kills lists ", victim,
                             " whose kill line was lost");
    }
  }
  if (problem.empty() && !api.ok) problem = "/api/v1/kills: " + api.error;
  bool alive = Alive(pid);
  bool ok = problem.empty() && errors == 0 && check.decreases() == 0 && alive;
  Report("overrun", ok,
         {{"rounds", absl::StrCat(rounds)},
          {"records_written", absl::StrCat(writer.written())},
          {"records_skipped", absl::StrCat(lost)},
          {"lost_counted", absl::StrCat(seen_lost)},
          {"kills_expected", absl::StrCat(expected)},
          {"kills_counted", absl::StrCat(kills)},
          {"invocations", absl::StrCat(invocations)},
          {"scrapes", absl::StrCat(scrapes)},
          {"errors", absl::StrCat(errors)},
          {"decreases", absl::StrCat(check.decreases())}},
         absl::StrCat(
             writer.written(), " records written with ", lost,
             " sequence numbers skipped in ", 2 * rounds,
             " gaps; the exporter "
             "counted ",
             seen_lost, " lost records and ", kills, " kills (", expected,
             " expected: ", rounds,
             " whose head fell into a gap but whose "
             "\"Killed process\" line came count, ",
             lost_pids.size(),
             " whose \"Killed process\" line fell into a gap do not); ",
             scrapes, " scrapes, ", errors, " errors, ", check.decreases(),
             " counter decreases", alive ? "" : "; THE EXPORTER DIED",
             problem.empty() ? "" : "; " + problem,
             check.first().empty() ? "" : "; decrease: " + check.first()));
  return ok ? 0 : 1;
}

int GetCommand(const Args& args) {
  HttpResponse response = HttpGet(static_cast<int>(args.Int("port", 0)),
                                  args.Get("path", "/metrics"));
  if (response.status != 200) {
    std::fprintf(stderr, "status %d %s\n", response.status,
                 response.error.c_str());
    return 1;
  }
  std::fwrite(response.body.data(), 1, response.body.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace oom::testing

int main(int argc, char** argv) {
  using namespace oom::testing;  // NOLINT: a tool's main
  std::string command = argc > 1 ? argv[1] : "";
  Args args(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  if (command == "scrape") return ScrapeStorm(args);
  if (command == "slow") return SlowClients(args);
  if (command == "malformed") return MalformedRequests(args);
  if (command == "churn") return Churn(args);
  if (command == "overrun") return Overrun(args);
  if (command == "get") return GetCommand(args);
  std::fprintf(stderr,
               "usage: oom_loadgen scrape|slow|malformed|churn|overrun|get "
               "--port P [--pid PID] [options]; see tests/reliability/"
               "loadgen.cc\n");
  return 2;
}
