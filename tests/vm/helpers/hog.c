// hog: takes memory until the OOM killer stops it, for the VM scenarios.
//   hog [MIB_PER_SECOND [MAX_MIB]]
// Allocates and touches anonymous memory 1 MiB at a time: as fast as it can
// (no argument or 0), or at MIB_PER_SECOND (a leak). With MAX_MIB it stops
// growing there and waits to be killed (a process that holds memory without
// asking for more: a candidate, not the allocating task). Static, so that it
// runs in the VM's busybox initramfs without a C library of its own.
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const long chunk = 1 << 20;
  double rate = argc > 1 ? atof(argv[1]) : 0;
  long max_mib = argc > 2 ? atol(argv[2]) : 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long mib = 1; max_mib == 0 || mib <= max_mib; ++mib) {
    char* block = malloc(chunk);
    if (block == NULL) continue;  // overcommit refused: ask again
    memset(block, (int)mib, chunk);
    if (rate > 0) {
      // Sleep until this MiB is due, so the rate holds on a slow VM too.
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      double elapsed = (double)(now.tv_sec - start.tv_sec) +
                       (double)(now.tv_nsec - start.tv_nsec) / 1e9;
      double due = (double)mib / rate;
      if (due > elapsed) usleep((useconds_t)((due - elapsed) * 1e6));
    }
  }
  for (;;) pause();
}
