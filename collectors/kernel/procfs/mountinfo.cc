#include "collectors/kernel/procfs/mountinfo.h"

#include "absl/status/status.h"
#include "collectors/base/text.h"

namespace oom {
namespace {

// Undoes the kernel's octal escapes ("\040" space, "\011" tab, "\012"
// newline, "\134" backslash) in mountinfo paths.
std::string Unoctal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool octal = text[i] == '\\' && i + 3 < text.size();
    for (std::size_t k = 1; k <= 3 && octal; ++k) {
      octal = text[i + k] >= '0' && text[i + k] <= '7';
    }
    if (octal) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 +
                                      (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

bool HasMountOption(std::string_view options, std::string_view option) {
  while (!options.empty()) {
    std::size_t comma = options.find(',');
    if (options.substr(0, comma) == option) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

absl::StatusOr<Mountinfo> ParseMountinfo(std::string_view text) {
  Mountinfo info;
  ForEachLine(text, [&](std::string_view line) {
    std::vector<std::string_view> fields;
    while (!line.empty()) {
      std::size_t space = line.find(' ');
      std::string_view field = line.substr(0, space);
      if (!field.empty()) fields.push_back(field);
      if (space == std::string_view::npos) break;
      line.remove_prefix(space + 1);
    }
    // id parent major:minor root mount_point options [optional...] - type
    // source super_options
    std::size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash + 3 >= fields.size()) {
      ++info.malformed_lines;
      return;
    }
    Mount mount;
    mount.root = Unoctal(fields[3]);
    mount.mount_point = Unoctal(fields[4]);
    mount.fstype = std::string(fields[dash + 1]);
    mount.source = Unoctal(fields[dash + 2]);
    mount.super_options = std::string(fields[dash + 3]);
    info.mounts.push_back(std::move(mount));
  });
  if (info.mounts.empty())
    return absl::InvalidArgumentError("no mount in mountinfo");
  return info;
}

}  // namespace oom
