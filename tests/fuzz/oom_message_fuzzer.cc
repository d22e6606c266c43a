// Fuzzes ParseOomMessage on the whole input as one kernel message. Traps
// when an invariant of its header breaks:
//  - every string_view it returns points into the input (pure, no copies);
//  - the kinds that name a victim (kill, selection, reaper lines, already
//    exiting) carry its pid, and a header carries the allocating comm.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/kernel/kmsg/oom_message.h"

namespace {

void CheckInside(std::string_view part, std::string_view whole) {
  if (part.empty()) return;
  if (part.data() < whole.data() ||
      part.data() + part.size() > whole.data() + whole.size()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  oom::OomMessage msg = oom::ParseOomMessage(text);
  for (std::string_view part :
       {msg.comm, msg.constraint, msg.oom_memcg, msg.task_memcg, msg.panic}) {
    CheckInside(part, text);
  }
  switch (msg.kind) {
    case oom::OomMessageKind::kKill:
    case oom::OomMessageKind::kSelection:
    case oom::OomMessageKind::kReaped:
    case oom::OomMessageKind::kUnableToReap:
    case oom::OomMessageKind::kAlreadyExiting:
      if (!msg.pid) __builtin_trap();
      break;
    case oom::OomMessageKind::kHeader:
      if (!msg.has_comm) __builtin_trap();
      break;
    default:
      break;
  }
  return 0;
}
