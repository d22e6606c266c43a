// leak: a memory leak at a steady rate, for tests/e2e/early_warning_test.sh.
//   oom_leak MIB_PER_SECOND MAX_MIB
// Maps 1 MiB of anonymous memory at a time and writes every page of it, so
// that each MiB is charged to the process's memory cgroup the moment it is
// counted. MiB number k (from 0) is taken at start + k / MIB_PER_SECOND on
// the monotonic clock: it sleeps until that absolute deadline
// (clock_nanosleep with TIMER_ABSTIME), so time spent in page faults and
// reclaim does not add up into a slower leak. Meant to be killed by the OOM
// killer at its cgroup's limit; exits 2 after MAX_MIB without having been
// killed (the limit was not applied), so a broken setup cannot leak without
// bound.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MIB_PER_SECOND MAX_MIB\n", argv[0]);
    return 64;
  }
  const double rate = atof(argv[1]);
  const long max_mib = atol(argv[2]);
  if (rate <= 0 || max_mib <= 0) {
    fprintf(stderr, "%s: MIB_PER_SECOND and MAX_MIB must be positive\n",
            argv[0]);
    return 64;
  }
  const size_t chunk = 1 << 20;
  const long page = sysconf(_SC_PAGESIZE);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long mib = 1; mib <= max_mib; ++mib) {
    char* block = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    for (size_t offset = 0; offset < chunk; offset += (size_t)page) {
      block[offset] = (char)mib;
    }
    // The next MiB is due at start + mib / rate.
    const double due = (double)mib / rate;
    struct timespec deadline = start;
    deadline.tv_sec += (time_t)due;
    deadline.tv_nsec += (long)((due - (double)(time_t)due) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1000000000L;
    }
    int error;
    while ((error = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline,
                                    NULL)) == EINTR) {
    }
    if (error != 0) {
      fprintf(stderr, "clock_nanosleep: error %d\n", error);
      return 1;
    }
  }
  fprintf(stderr, "%s: leaked %ld MiB without being killed\n", argv[0],
          max_mib);
  return 2;
}
