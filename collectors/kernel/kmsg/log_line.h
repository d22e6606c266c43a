#ifndef OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_LOG_LINE_H_
#define OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_LOG_LINE_H_

// One line of a kernel log, whatever carried it: a raw /dev/kmsg record,
// dmesg (plain, -T, -H, -r, -x), journalctl -k or a syslog file, or any of
// these pasted with "> " quoting. The transport is detected line by line, so
// mixed and interleaved input works.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace oom {

enum class Transport {
  kPlain,          // no prefix: grep output, a bare message
  kKmsg,           // 6,1234,194409778,-;text
  kDmesg,          // [  194.409778] text
  kDmesgCtime,     // [Thu Dec  7 00:05:15 2017] text      (dmesg -T)
  kDmesgRelative,  // [Oct28 16:58] text / [  +0.000082] text  (dmesg -H)
  kSyslog,         // Jul 12 10:00:01 host kernel: text    (journalctl -k)
};

// A /dev/kmsg record header: "<prio>,<seq>,<ts_usec>,<flag>[,...];".
struct KmsgHeader {
  int priority = 0;  // facility << 3 | level
  uint64_t sequence = 0;
  uint64_t timestamp_us = 0;  // since boot, printk clock
  char flag = '-';            // '-', 'c' (fragment), '+' (3.10-4.9)
};

struct LogLine {
  Transport transport = Transport::kPlain;
  // The line's timestamp as the log shows it, without brackets or padding:
  // "194.409778", "Thu Dec  7 00:05:15 2017", "+0.000082", "Jul 12 10:00:01",
  // the µs field of a kmsg record; empty when there is none.
  std::string_view timestamp;
  // The kernel's message, unescaped for kmsg records.
  std::string_view text;
  // False for lines that are not kernel messages: syslog lines of other
  // programs, kmsg dictionary lines (" SUBSYSTEM=..."), empty lines.
  bool is_kernel = true;
  std::optional<KmsgHeader> kmsg;  // set for kmsg records

  // Backing store for `text` when it had to be rewritten (kmsg "\xHH"
  // escapes). A LogLine is filled in place and not copied.
  std::string unescaped;
};

// Parses one line (without its '\n'). `line` must outlive `out` unless
// out->unescaped holds the text.
void ParseLogLine(std::string_view line, LogLine* out);

// Parses a /dev/kmsg record header; nullopt when `record` does not start
// with one. `*text` is set to what follows the ';'. Sample (Linux 6.18):
//   3,1090,194409778,-;Memory cgroup out of memory: Killed process 2555 ...
std::optional<KmsgHeader> ParseKmsgHeader(std::string_view record,
                                          std::string_view* text);

// Undoes /dev/kmsg's "\xHH" escaping of bytes < 0x20, >= 0x7f and '\'.
// Returns false (and leaves `out` untouched) when there is nothing to undo.
bool UnescapeKmsg(std::string_view text, std::string* out);

}  // namespace oom

#endif  // OOM_EXPORTER_COLLECTORS_KERNEL_KMSG_LOG_LINE_H_
