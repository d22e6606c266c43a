// Speed of the kernel-log parser, on a mixed log of about 1,000,000 lines
// built in memory: unrelated kernel lines (USB, network, audit, ext4, stack
// traces, records written by systemd) in every transport, with the OOM
// excerpts of tests/fixtures/kmsg/corpus spliced in so that about one line
// in 100 is an OOM-killer line. Each benchmark reports lines per second
// (items_per_second); compare them with BM_SplitLines, the baseline of the
// same run, not with a fixed figure. Run with tests/bench/run.sh.
// OOM_BENCH_DUMP=FILE writes the mixed log to FILE.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "benchmark/benchmark.h"
#include "collectors/kernel/kmsg/log_line.h"
#include "collectors/kernel/kmsg/oom_message.h"
#include "collectors/oom/oom_kills.h"
#include "exporter/cli/parse_command.h"

namespace oom {
namespace {

constexpr std::size_t kTargetLines = 1000000;
constexpr int kOomLinesPerHundred = 1;

// Calls fn(line) for every '\n'-terminated line of `text` (and a last one
// without '\n'), found with memchr: the cheapest split there is.
template <typename Fn>
void ForEachLineOf(std::string_view text, Fn&& fn) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(
        std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl == nullptr ? end : nl;
    fn(std::string_view(p, static_cast<std::size_t>(stop - p)));
    p = nl == nullptr ? end : nl + 1;
  }
}

struct CorpusLog {
  std::string text;  // '\n'-terminated lines
  std::size_t lines = 0;
  std::size_t oom_lines = 0;  // lines ParseOomMessage does not call kNone
};

std::vector<CorpusLog> ReadCorpus() {
  const char* env = std::getenv("OOM_CORPUS_DIR");
  std::filesystem::path dir = env != nullptr ? env : OOM_CORPUS_DIR;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<CorpusLog> logs;
  for (const auto& path : paths) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    CorpusLog log;
    log.text = content.str();
    if (!log.text.empty() && log.text.back() != '\n') log.text.push_back('\n');
    LogLine line;
    ForEachLineOf(log.text, [&](std::string_view text) {
      ++log.lines;
      ParseLogLine(text, &line);
      if (ParseOomMessage(line.text).kind != OomMessageKind::kNone)
        ++log.oom_lines;
    });
    logs.push_back(std::move(log));
  }
  if (logs.empty()) {
    std::fprintf(stderr, "parser_bench: no .log file in %s\n", dir.c_str());
    std::exit(1);
  }
  return logs;
}

enum class Style {
  kDmesg,
  kDmesgCtime,
  kDmesgRelative,
  kKmsg,
  kSyslog,
  kRsyslog
};

// Writes unrelated kernel lines (and, where the transport carries them,
// other programs' lines) as one machine's log in one transport would.
class NoiseWriter {
 public:
  explicit NoiseWriter(std::mt19937_64* random) : random_(*random) {}

  void set_style(Style style) { style_ = style; }

  // Appends one unit (a line, or a burst such as a stack trace) to `out`;
  // returns the number of lines.
  std::size_t Append(std::string* out) {
    out_ = out;
    lines_ = 0;
    // Weights per 100 units; a stack trace is about 20 lines.
    uint64_t unit = Pick(100);
    if (unit < 17) {
      Usb();
    } else if (unit < 35) {
      Network();
    } else if (unit < 53) {
      Audit();
    } else if (unit < 67) {
      Systemd();
    } else if (unit < 80) {
      Ext4();
    } else if (unit < 81) {
      StackTrace();
    } else {
      Misc();
    }
    return lines_;
  }

 private:
  uint64_t Pick(uint64_t n) { return random_() % n; }

  // One kernel line with the transport's prefix; priority as in kmsg.
  void Kernel(const std::string& text, int priority = 6) {
    clock_us_ += 1 + Pick(40000);
    ++sequence_;
    char prefix[128];
    uint64_t sec = clock_us_ / 1000000;
    uint64_t usec = clock_us_ % 1000000;
    switch (style_) {
      case Style::kDmesg:
        std::snprintf(prefix, sizeof prefix, "[%5" PRIu64 ".%06" PRIu64 "] ",
                      sec, usec);
        break;
      case Style::kDmesgCtime:
        std::snprintf(prefix, sizeof prefix, "[%s] ",
                      WallClock("%a %b %e %H:%M:%S %Y").c_str());
        break;
      case Style::kDmesgRelative:
        if (Pick(200) == 0) {
          Line("[" + WallClock("%b%d %H:%M") + "] " + text);
          return;
        }
        std::snprintf(prefix, sizeof prefix, "[  +%" PRIu64 ".%06" PRIu64 "] ",
                      (clock_us_ - last_us_) / 1000000,
                      (clock_us_ - last_us_) % 1000000);
        break;
      case Style::kKmsg:
        std::snprintf(prefix, sizeof prefix, "%d,%" PRIu64 ",%" PRIu64 ",-;",
                      priority, sequence_, clock_us_);
        break;
      case Style::kSyslog:
        std::snprintf(prefix, sizeof prefix, "%s web-01 kernel: ",
                      WallClock("%b %e %H:%M:%S").c_str());
        break;
      case Style::kRsyslog:
        std::snprintf(prefix, sizeof prefix,
                      "%s db-07 kernel: [%5" PRIu64 ".%06" PRIu64 "] ",
                      WallClock("%b %e %H:%M:%S").c_str(), sec, usec);
        break;
    }
    last_us_ = clock_us_;
    Line(prefix + text);
  }

  // A /dev/kmsg dictionary line (" KEY=value") after a device's record.
  void Dictionary(const std::string& text) {
    if (style_ == Style::kKmsg) Line(" " + text);
  }

  // A line of another program: in syslog files as such, in /dev/kmsg as a
  // record with systemd's facility, in dmesg as kernel text.
  void Program(const std::string& tag, const std::string& text) {
    if (style_ == Style::kSyslog || style_ == Style::kRsyslog) {
      clock_us_ += 1 + Pick(40000);
      Line(WallClock("%b %e %H:%M:%S") + " web-01 " + tag + ": " + text);
    } else {
      Kernel(tag + ": " + text, 30);
    }
  }

  void Line(const std::string& line) {
    out_->append(line);
    out_->push_back('\n');
    ++lines_;
  }

  std::string WallClock(const char* format) const {
    std::time_t t = 1795305600 + static_cast<std::time_t>(clock_us_ / 1000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, format, &tm);
    return text;
  }

  std::string N(uint64_t n) { return std::to_string(Pick(n)); }

  std::string Hex(uint64_t n, int width) {
    char text[32];
    std::snprintf(text, sizeof text, "%0*" PRIx64, width, Pick(n));
    return text;
  }

  void Usb() {
    std::string port = std::to_string(1 + Pick(4)) + "-" + N(3) + "." + N(5);
    std::string device = N(120);
    switch (Pick(4)) {
      case 0:
        Kernel("usb " + port + ": new high-speed USB device number " + device +
               " using xhci_hcd");
        Dictionary("SUBSYSTEM=usb");
        Dictionary("DEVICE=c189:" + device);
        Kernel("usb " + port +
               ": New USB device found, idVendor=0781, idProduct=" +
               Hex(0xffff, 4) + ", bcdDevice= 1.00");
        Kernel("usb " + port +
               ": New USB device strings: Mfr=1, Product=2, SerialNumber=3");
        Kernel("usb " + port + ": Product: Ultra Fit");
        break;
      case 1:
        Kernel("usb-storage " + port +
               ":1.0: USB Mass Storage device detected");
        Kernel("scsi host" + N(10) + ": usb-storage " + port + ":1.0");
        break;
      case 2:
        Kernel("usb " + port + ": USB disconnect, device number " + device);
        Dictionary("SUBSYSTEM=usb");
        break;
      default:
        Kernel("hid-generic 0003:046D:C52B." + Hex(0xffff, 4) +
               ": input,hidraw" + N(8) +
               ": USB HID v1.11 Keyboard [Logitech USB Receiver] on "
               "usb-0000:00:14.0-" +
               N(9) + "/input0");
        break;
    }
  }

  void Network() {
    std::string veth = "veth" + Hex(0xffffff, 7);
    switch (Pick(6)) {
      case 0:
        Kernel(
            "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, "
            "Flow "
            "Control: Rx/Tx");
        Kernel("IPv6: ADDRCONF(NETDEV_CHANGE): eno1: link becomes ready");
        break;
      case 1:
        Kernel("docker0: port " + N(30) + "(" + veth +
               ") entered blocking state");
        Kernel("device " + veth + " entered promiscuous mode");
        Kernel("docker0: port " + N(30) + "(" + veth +
               ") entered forwarding state");
        break;
      case 2:
      case 3:
        Kernel(
            "[UFW BLOCK] IN=eth0 OUT= "
            "MAC=52:54:00:12:34:56:fe:54:00:ab:cd:ef:08:00 "
            "SRC=203.0.113." +
                N(255) +
                " DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 "
                "TTL=" +
                N(255) + " ID=" + N(65535) + " PROTO=TCP SPT=" + N(65535) +
                " DPT=" + N(1024) + " WINDOW=1024 RES=0x00 SYN URGP=0",
            4);
        break;
      case 4:
        Kernel(
            "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending "
            "cookies.  Check SNMP counters.",
            4);
        break;
      default:
        Kernel("nf_conntrack: nf_conntrack: table full, dropping packet", 4);
        break;
    }
  }

  void Audit() {
    std::string stamp = "audit(" +
                        std::to_string(1795305600 + clock_us_ / 1000000) +
                        ".123:" + N(100000) + "): ";
    switch (Pick(3)) {
      case 0:
        Kernel("audit: type=1400 " + stamp +
                   "apparmor=\"DENIED\" operation=\"open\" "
                   "profile=\"/usr/sbin/cupsd\" "
                   "name=\"/etc/ssl/openssl.cnf\" pid=" +
                   N(40000) +
                   " comm=\"cupsd\" requested_mask=\"r\" denied_mask=\"r\" "
                   "fsuid=0 ouid=0",
               5);
        break;
      case 1:
        Kernel("audit: type=1130 " + stamp +
                   "pid=1 uid=0 auid=4294967295 ses=4294967295 "
                   "subj=system_u:system_r:init_t:s0 "
                   "msg='unit=systemd-tmpfiles-clean "
                   "comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" "
                   "hostname=? addr=? "
                   "terminal=? res=success'",
               5);
        break;
      default:
        Kernel("audit: type=1006 " + stamp + "pid=" + N(40000) +
                   " uid=0 old-auid=4294967295 auid=1000 tty=(none) "
                   "old-ses=4294967295 ses=" +
                   N(5000) + " res=1",
               5);
        break;
    }
  }

  void Systemd() {
    switch (Pick(5)) {
      case 0:
        Program("systemd[1]", "Started Session " + N(5000) + " of User root.");
        break;
      case 1:
        Program("systemd[1]",
                "Starting Daily apt upgrade and clean activities...");
        break;
      case 2:
        Program("systemd-journald[" + N(600) + "]",
                "Received client request to flush runtime journal.");
        break;
      case 3:
        Program("sshd[" + N(40000) + "]",
                "Accepted publickey for deploy from 10.0." + N(255) + "." +
                    N(255) + " port " + N(65535) +
                    " ssh2: ED25519 SHA256:Xk3f9Qz0");
        break;
      default:
        Program("CRON[" + N(40000) + "]",
                "(root) CMD (command -v debian-sa1 > /dev/null && "
                "debian-sa1 1 1)");
        break;
    }
  }

  void Ext4() {
    std::string disk = Pick(2) == 0 ? "sda" + N(4) : "nvme0n1p" + N(4);
    switch (Pick(4)) {
      case 0:
        Kernel("EXT4-fs (" + disk + "): mounted filesystem " +
               Hex(0xffffffff, 8) +
               "-6d1c-4a1e-9c2f-3b1a2c4d5e6f r/w with ordered data mode. Quota "
               "mode: none.");
        break;
      case 1:
        Kernel("EXT4-fs (" + disk +
               "): re-mounted. Opts: errors=remount-ro. Quota mode: none.");
        break;
      case 2:
        Kernel("EXT4-fs error (device " + disk +
                   "): ext4_find_entry:1455: inode #" + N(2000000) +
                   ": comm ls: reading directory lblock 0",
               3);
        break;
      default:
        Kernel("sd 0:0:0:0: [sda] tag#" + N(32) +
                   " FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_OK "
                   "cmd_age=0s",
               3);
        Kernel("blk_update_request: I/O error, dev sda, sector " +
                   N(100000000) +
                   " op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
               3);
        break;
    }
  }

  // A hung-task report: the longest burst a healthy kernel prints, and full
  // of OOM-looking words in other contexts (oom_kill_process+0x..).
  void StackTrace() {
    std::string pid = N(40000);
    Kernel("INFO: task kworker/u16:" + N(9) + ":" + pid +
               " blocked for more than " + N(1000) + " seconds.",
           3);
    Kernel("      Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1", 3);
    Kernel(
        "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this "
        "message.",
        3);
    Kernel("task:kworker/u16:2     state:D stack:0     pid:" + pid +
           " ppid:2      flags:0x00004000");
    Kernel("Workqueue: writeback wb_workfn (flush-8:0)");
    Kernel("Call Trace:", 4);
    Kernel(" <TASK>", 4);
    static const char* const kFrames[] = {
        " __schedule+0x34d/0x9e0",
        " schedule+0x5a/0xd0",
        " io_schedule+0x42/0x70",
        " bit_wait_io+0xd/0x60",
        " __wait_on_bit+0x4b/0x140",
        " out_of_line_wait_on_bit+0x91/0xb0",
        " ? oom_kill_process+0x1a5/0x4b0",
        " do_get_write_access+0x26f/0x410 [jbd2]",
        " jbd2_journal_get_write_access+0x6c/0x90 [jbd2]",
        " __ext4_journal_get_write_access+0x8d/0x1b0 [ext4]",
        " ext4_reserve_inode_write+0x90/0xb0 [ext4]",
        " ? mem_cgroup_out_of_memory+0xc0/0x110",
        " wb_writeback+0x28c/0x310",
        " wb_workfn+0x355/0x4c0",
        " process_one_work+0x1c7/0x380",
        " worker_thread+0x4d/0x380",
        " kthread+0xe9/0x110",
        " ret_from_fork+0x2c/0x50"};
    std::size_t frames = 8 + Pick(10);
    for (std::size_t i = 0; i < frames; ++i) {
      Kernel(kFrames[(i + Pick(3)) % (sizeof kFrames / sizeof kFrames[0])], 4);
    }
    Kernel(" </TASK>", 4);
  }

  void Misc() {
    switch (Pick(6)) {
      case 0:
        Kernel("perf: interrupt took too long (" + N(5000) +
               " > 2500), lowering "
               "kernel.perf_event_max_sample_rate to 79750");
        break;
      case 1:
        Kernel("nvme nvme0: I/O " + N(1024) + " QID " + N(8) +
                   " timeout, completion polled",
               4);
        break;
      case 2:
        Kernel("x86/split lock detection: #AC: java/" + N(40000) +
               " took a split_lock trap at address: 0x7f" + Hex(0xffffffff, 8));
        break;
      case 3:
        Kernel(
            "Memory cgroup stats for /system.slice/cron.service: anon 0 file " +
            N(1000000));
        break;
      case 4:
        Kernel("TCP: " + N(3) + " out of memory -- consider tuning tcp_mem", 4);
        break;
      default:
        Kernel(
            "cgroup: fork rejected by pids controller in "
            "/user.slice/user-1000.slice/"
            "session-" +
                N(100) + ".scope",
            6);
        break;
    }
  }

  std::mt19937_64& random_;
  Style style_ = Style::kDmesg;
  std::string* out_ = nullptr;
  std::size_t lines_ = 0;
  uint64_t clock_us_ = 5000000;
  uint64_t last_us_ = 5000000;
  uint64_t sequence_ = 1000;
};

struct MixedLog {
  std::string text;
  std::size_t lines = 0;
  std::size_t oom_lines = 0;
  std::size_t kills = 0;  // what the full parser counts in one pass
};

MixedLog BuildLog() {
  std::vector<CorpusLog> corpus = ReadCorpus();
  std::mt19937_64 random(20261122);
  NoiseWriter noise(&random);
  MixedLog log;
  std::size_t next = 0;
  while (log.lines < kTargetLines) {
    if (log.oom_lines * 100 < log.lines * kOomLinesPerHundred) {
      // An OOM excerpt as some log carried it, then that machine's own log
      // goes on in another transport.
      const CorpusLog& excerpt = corpus[next++ % corpus.size()];
      log.text += excerpt.text;
      log.lines += excerpt.lines;
      log.oom_lines += excerpt.oom_lines;
      noise.set_style(static_cast<Style>(random() % 6));
    } else {
      log.lines += noise.Append(&log.text);
    }
  }
  KillAssembler assembler;
  KillAssembler::Events events;
  LogLine line;
  ForEachLineOf(log.text, [&](std::string_view text) {
    ParseLogLine(text, &line);
    assembler.Add(line, &events);
  });
  assembler.Flush(&events);
  log.kills = events.kills.size();
  return log;
}

const MixedLog& Log() {
  static const MixedLog* const kLog = [] {
    auto* log = new MixedLog(BuildLog());
    // To look at it, or to time `oom_exporter parse` on it from outside.
    if (const char* dump = std::getenv("OOM_BENCH_DUMP")) {
      std::ofstream(dump, std::ios::binary) << log->text;
    }
    std::fprintf(
        stderr,
        "mixed log: %zu lines, %.1f MB, %.2f%% OOM-killer lines, %zu kills\n",
        log->lines, log->text.size() / 1e6, 100.0 * log->oom_lines / log->lines,
        log->kills);
    return log;
  }();
  return *kLog;
}

void SetCounters(benchmark::State& state) {
  const MixedLog& log = Log();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * log.lines));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * log.text.size()));
}

// (a) Baseline: finding the lines, nothing else.
void BM_SplitLines(benchmark::State& state) {
  const MixedLog& log = Log();
  for (auto _ : state) {
    std::size_t lines = 0;
    ForEachLineOf(log.text, [&](std::string_view line) {
      benchmark::DoNotOptimize(line.data());
      benchmark::DoNotOptimize(line.size());
      ++lines;
    });
    benchmark::DoNotOptimize(lines);
  }
  SetCounters(state);
}
BENCHMARK(BM_SplitLines)->Unit(benchmark::kMillisecond);

// (b) The transport layer: ParseLogLine on every line.
void BM_ParseLogLine(benchmark::State& state) {
  const MixedLog& log = Log();
  LogLine line;
  for (auto _ : state) {
    ForEachLineOf(log.text, [&](std::string_view text) {
      ParseLogLine(text, &line);
      benchmark::DoNotOptimize(line.text.data());
      benchmark::DoNotOptimize(line.text.size());
    });
  }
  SetCounters(state);
}
BENCHMARK(BM_ParseLogLine)->Unit(benchmark::kMillisecond);

// (c) The full parser: ParseLogLine and KillAssembler::Add on every line.
void BM_FullParser(benchmark::State& state) {
  const MixedLog& log = Log();
  LogLine line;
  std::size_t kills = 0;
  for (auto _ : state) {
    KillAssembler assembler;
    KillAssembler::Events events;
    ForEachLineOf(log.text, [&](std::string_view text) {
      ParseLogLine(text, &line);
      assembler.Add(line, &events);
    });
    assembler.Flush(&events);
    kills = events.kills.size();
    benchmark::DoNotOptimize(kills);
  }
  if (kills != log.kills)
    state.SkipWithError("counted a different number of kills");
  SetCounters(state);
  state.counters["kills"] = static_cast<double>(kills);
}
BENCHMARK(BM_FullParser)->Unit(benchmark::kMillisecond);

// (d) `oom_exporter parse FILE` end to end: reading the file, parsing,
// printing every kill as JSON (to /dev/null).
void BM_ParseCommand(benchmark::State& state) {
  const MixedLog& log = Log();
  char path[] = "/tmp/oom_parser_bench.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0 || ::write(fd, log.text.data(), log.text.size()) !=
                    static_cast<ssize_t>(log.text.size())) {
    state.SkipWithError("cannot write the log to /tmp");
    return;
  }
  ::close(fd);
  std::FILE* devnull = std::fopen("/dev/null", "w");
  int status = 0;
  for (auto _ : state) {
    status |= RunParseCommand({path}, stdin, devnull, stderr);
  }
  std::fclose(devnull);
  ::unlink(path);
  if (status != 0) state.SkipWithError("oom_exporter parse failed");
  SetCounters(state);
}
BENCHMARK(BM_ParseCommand)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace oom

BENCHMARK_MAIN();
