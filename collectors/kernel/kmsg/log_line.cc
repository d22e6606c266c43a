#include "collectors/kernel/kmsg/log_line.h"

#include "collectors/base/text.h"

namespace oom {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Consumes a run of digits; returns how many.
std::size_t SkipDigits(std::string_view s, std::size_t pos) {
  std::size_t start = pos;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  return pos - start;
}

// "HH:MM:SS" at `pos`, optionally followed by ".fraction".
bool ClockAt(std::string_view s, std::size_t pos, std::size_t* end) {
  if (pos + 8 > s.size()) return false;
  for (int i : {0, 1, 3, 4, 6, 7}) {
    if (!IsDigit(s[pos + i])) return false;
  }
  if (s[pos + 2] != ':' || s[pos + 5] != ':') return false;
  pos += 8;
  if (pos < s.size() && s[pos] == '.') pos += 1 + SkipDigits(s, pos + 1);
  *end = pos;
  return true;
}

// "[  194.409778]" or "[  +0.000082]" content: optional '+', digits '.' digits.
bool IsSecondsStamp(std::string_view inner) {
  inner = TrimSpace(inner);
  if (!inner.empty() && inner[0] == '+') inner.remove_prefix(1);
  std::size_t dot = inner.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == inner.size()) {
    return false;
  }
  return SkipDigits(inner, 0) == dot &&
         SkipDigits(inner, dot + 1) == inner.size() - dot - 1;
}

// dmesg -T content "Thu Dec  7 00:05:15 2017": letters, a clock, a year.
bool IsCtimeStamp(std::string_view inner) {
  if (inner.size() < 20 || !IsAlpha(inner[0])) return false;
  std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;
  std::size_t end = 0;
  if (!ClockAt(inner, colon - 2, &end)) return false;
  std::string_view year = TrimSpace(inner.substr(end));
  return year.size() == 4 && SkipDigits(year, 0) == 4;
}

// dmesg -H wall-clock marker "Oct28 16:58" (any month language).
bool IsRelativeMarker(std::string_view inner) {
  std::size_t space = inner.rfind(' ');
  if (space == std::string_view::npos || space + 6 != inner.size())
    return false;
  std::string_view clock = inner.substr(space + 1);
  return IsDigit(clock[0]) && IsDigit(clock[1]) && clock[2] == ':' &&
         IsDigit(clock[3]) && IsDigit(clock[4]) && space >= 2 &&
         IsDigit(inner[space - 1]);
}

// Strips "[T123] " / "[ C4] " (CONFIG_PRINTK_CALLER) at the front.
std::string_view StripCaller(std::string_view text) {
  if (text.size() < 4 || text[0] != '[') return text;
  std::size_t close = text.find(']');
  if (close == std::string_view::npos || close > 12) return text;
  std::string_view inner = TrimSpace(text.substr(1, close - 1));
  if (inner.size() < 2 || (inner[0] != 'T' && inner[0] != 'C') ||
      SkipDigits(inner, 1) != inner.size() - 1) {
    return text;
  }
  text.remove_prefix(close + 1);
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
  return text;
}

// A leading bracketed timestamp of any dmesg flavour. On success sets the
// transport and timestamp and returns the rest of the line.
bool StripBracketStamp(std::string_view* text, LogLine* out) {
  std::string_view s = *text;
  if (s.size() < 3 || s[0] != '[') return false;
  std::size_t close = s.find(']');
  if (close == std::string_view::npos || close > 40) return false;
  std::string_view inner = s.substr(1, close - 1);
  Transport transport;
  if (IsSecondsStamp(inner)) {
    inner = TrimSpace(inner);
    transport = inner[0] == '+' ? Transport::kDmesgRelative : Transport::kDmesg;
  } else if (IsCtimeStamp(inner)) {
    transport = Transport::kDmesgCtime;
  } else if (IsRelativeMarker(inner)) {
    transport = Transport::kDmesgRelative;
  } else {
    return false;
  }
  out->transport = transport;
  out->timestamp = inner;
  s.remove_prefix(close + 1);
  // The kernel's console format has no space before the caller id.
  s = StripCaller(s.empty() || s[0] != ' ' ? s : s.substr(1));
  *text = s;
  return true;
}

// Where a syslog-style timestamp at the front of `s` ends, or 0:
//   "Jul 12 10:00:01" (any month spelling, optional fraction),
//   "2023-07-12T10:00:01.123+02:00" (RFC 3339, journalctl -o short-iso),
//   "Sat Jan 25 09:40:15 2020" (OpenWrt logread).
std::size_t SyslogStampEnd(std::string_view s) {
  std::size_t end = 0;
  if (s.size() > 19 && IsDigit(s[0]) && s[4] == '-' && s[7] == '-' &&
      s[10] == 'T') {
    std::size_t space = s.find(' ');
    return space != std::string_view::npos && ClockAt(s, 11, &end) ? space : 0;
  }
  // Month (or weekday) token: 1-12 bytes, not a digit, any language.
  std::size_t space = s.find(' ');
  if (space == 0 || space == std::string_view::npos || space > 12 ||
      IsDigit(s[0]) || s[0] == '[' || s[0] == '<') {
    return 0;
  }
  std::size_t pos = space + 1;
  if (pos < s.size() && IsAlpha(s[pos])) {  // "Sat Jan 25 ...": a month next
    std::size_t month_end = s.find(' ', pos);
    if (month_end == std::string_view::npos || month_end - pos > 12) return 0;
    pos = month_end + 1;
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::size_t day_digits = SkipDigits(s, pos);
  if (day_digits < 1 || day_digits > 2) return 0;
  pos += day_digits;
  if (pos >= s.size() || s[pos] != ' ' || !ClockAt(s, pos + 1, &end)) return 0;
  if (end + 5 <= s.size() && s[end] == ' ' && SkipDigits(s, end + 1) == 4) {
    end += 5;  // a year after the clock
  }
  return end;
}

// A syslog line: timestamp, then up to four tokens (host, facility.level,
// and the like) before the tag that ends in ':'. The line is a kernel
// message when the tag names the kernel (also when a host name is glued to
// it, "MyVMkernel:"), or when the message carries the kernel's own
// "[seconds]" or "<level>[seconds]" stamp (a hypervisor's guest console).
bool StripSyslogPrefix(std::string_view* text, LogLine* out) {
  std::string_view s = *text;
  std::size_t stamp_end = SyslogStampEnd(s);
  if (stamp_end == 0 || stamp_end >= s.size() || s[stamp_end] != ' ')
    return false;
  std::size_t pos = stamp_end + 1;
  std::string_view tag;
  for (int token = 0; token < 5 && pos < s.size(); ++token) {
    std::size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) return false;
    std::string_view word = s.substr(pos, end - pos);
    pos = end + 1;
    if (!word.empty() && word.back() == ':') {
      tag = word.substr(0, word.size() - 1);
      break;
    }
  }
  if (tag.empty()) return false;
  std::size_t bracket = tag.find('[');
  if (bracket != std::string_view::npos) tag = tag.substr(0, bracket);
  std::string_view message = s.substr(pos);
  out->transport = Transport::kSyslog;
  out->timestamp = s.substr(0, stamp_end);
  // "<3>" before a console stamp.
  if (message.size() > 3 && message[0] == '<' && IsDigit(message[1])) {
    std::size_t close = message.find('>');
    if (close != std::string_view::npos && close <= 4)
      message.remove_prefix(close + 1);
  }
  // rsyslog keeps the kernel's own "[seconds]"; the syslog stamp stays.
  LogLine inner;
  bool console_stamp = StripBracketStamp(&message, &inner);
  out->is_kernel = EndsWith(tag, "kernel") || console_stamp;
  *text = message;
  return true;
}

}  // namespace

std::optional<KmsgHeader> ParseKmsgHeader(std::string_view record,
                                          std::string_view* text) {
  std::size_t semicolon = record.find(';');
  if (semicolon == std::string_view::npos || semicolon > 96)
    return std::nullopt;
  std::string_view head = record.substr(0, semicolon);
  KmsgHeader header;
  std::string_view fields[4];
  std::size_t n = 0;
  while (n < 4) {
    std::size_t comma = head.find(',');
    fields[n++] = head.substr(0, comma);
    if (comma == std::string_view::npos) break;
    head.remove_prefix(comma + 1);
  }
  if (n < 4 || fields[3].empty()) return std::nullopt;
  std::optional<uint64_t> priority = ParseU64(fields[0]);
  std::optional<uint64_t> sequence = ParseU64(fields[1]);
  std::optional<uint64_t> timestamp = ParseU64(fields[2]);
  if (!priority || *priority > 1023 || !sequence || !timestamp) {
    return std::nullopt;
  }
  header.priority = static_cast<int>(*priority);
  header.sequence = *sequence;
  header.timestamp_us = *timestamp;
  header.flag = fields[3][0];
  *text = record.substr(semicolon + 1);
  return header;
}

bool UnescapeKmsg(std::string_view text, std::string* out) {
  std::size_t first = text.find("\\x");
  if (first == std::string_view::npos) return false;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve(text.size());
  out->append(text.substr(0, first));
  for (std::size_t i = first; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x' &&
        hex(text[i + 2]) >= 0 && hex(text[i + 3]) >= 0) {
      out->push_back(
          static_cast<char>(hex(text[i + 2]) * 16 + hex(text[i + 3])));
      i += 3;
    } else {
      out->push_back(text[i]);
    }
  }
  return true;
}

void ParseLogLine(std::string_view line, LogLine* out) {
  out->transport = Transport::kPlain;
  out->timestamp = {};
  out->is_kernel = true;
  out->kmsg.reset();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (TrimSpace(line).empty()) {
    out->is_kernel = false;
    out->text = {};
    return;
  }

  // kmsg dictionary lines (" SUBSYSTEM=...") belong to the record before.
  if (!line.empty() && line[0] == ' ' &&
      line.find('=') != std::string_view::npos &&
      line.find(' ', 1) == std::string_view::npos) {
    out->is_kernel = false;
    out->text = {};
    return;
  }
  // "> " quoting, possibly nested.
  while (!line.empty() &&
         (line[0] == '>' ||
          (line[0] == ' ' && line.size() > 1 && line[1] == '>'))) {
    line.remove_prefix(line[0] == '>' ? 1 : 2);
    if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
  }

  std::string_view text = line;
  if (!text.empty() && IsDigit(text[0])) {
    std::string_view rest;
    if (std::optional<KmsgHeader> header = ParseKmsgHeader(text, &rest)) {
      out->transport = Transport::kKmsg;
      out->kmsg = header;
      // Facility 0 is the kernel; userspace (systemd, when journald is
      // down) writes records with other facilities into the same log.
      out->is_kernel = header->priority < 8;
      std::string_view fields = text.substr(0, text.size() - rest.size() - 1);
      std::size_t c1 = fields.find(',');
      std::size_t c2 = fields.find(',', c1 + 1);
      std::size_t c3 = fields.find(',', c2 + 1);
      out->timestamp = fields.substr(c2 + 1, c3 - c2 - 1);
      if (UnescapeKmsg(rest, &out->unescaped)) {
        out->text = out->unescaped;
      } else {
        out->text = rest;
      }
      return;
    }
  }
  // "<3>" level prefix of dmesg -r and of console output.
  if (text.size() > 3 && text[0] == '<' && IsDigit(text[1])) {
    std::size_t close = text.find('>');
    if (close != std::string_view::npos && close <= 4 &&
        SkipDigits(text, 1) == close - 1) {
      text.remove_prefix(close + 1);
    }
  }
  // "kern  :err   : " facility and level of dmesg -x.
  if (text.size() > 16 && text.substr(0, 4) == "kern") {
    std::size_t c1 = text.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : text.find(':', c1 + 1);
    if (c2 != std::string_view::npos && c2 < 16 && c2 + 1 < text.size() &&
        text[c2 + 1] == ' ') {
      text.remove_prefix(c2 + 2);
    }
  }
  if (!StripBracketStamp(&text, out)) StripSyslogPrefix(&text, out);
  out->text = text;
}

}  // namespace oom
