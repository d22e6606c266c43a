// Fuzzes ParseKmsgState, the reader of the collector's state file (a file
// on disk that may be truncated, corrupt or hand-edited). When it accepts
// the input, what SerializeKmsgState writes for the result must parse again
// and serialize identically; traps otherwise.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/kmsg/kmsg_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<oom::KmsgCounters> counters = oom::ParseKmsgState(text);
  if (!counters.ok()) return 0;
  std::string first = oom::SerializeKmsgState(*counters);
  absl::StatusOr<oom::KmsgCounters> again = oom::ParseKmsgState(first);
  if (!again.ok()) __builtin_trap();
  if (oom::SerializeKmsgState(*again) != first) __builtin_trap();
  return 0;
}
