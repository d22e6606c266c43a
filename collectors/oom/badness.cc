#include "collectors/oom/badness.h"

namespace oom {

int64_t OomBadness(uint64_t rss_pages, uint64_t swap_pages,
                   uint64_t pgtables_bytes, int64_t oom_score_adj,
                   uint64_t totalpages, uint64_t page_size) {
  int64_t points =
      static_cast<int64_t>(rss_pages + swap_pages + pgtables_bytes / page_size);
  return points + oom_score_adj * static_cast<int64_t>(totalpages / 1000);
}

int64_t OomScoreSince59(int64_t badness, uint64_t totalpages) {
  if (totalpages == 0) return 0;
  int64_t score =
      (1000 + badness * 1000 / static_cast<int64_t>(totalpages)) * 2 / 3;
  return score < 0 ? 0 : score;
}

int64_t OomScoreBefore59(int64_t badness, uint64_t totalpages) {
  if (totalpages == 0) return 0;
  int64_t points = badness > 0 ? badness : 1;
  return points * 1000 / static_cast<int64_t>(totalpages);
}

}  // namespace oom
