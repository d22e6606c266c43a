/* The naive floor of the process collector's benchmark: what any exporter of
 * oom_score has to beat. Every iteration lists /proc with readdir(3) and, for
 * every pid, opens, reads and closes oom_score, oom_score_adj, comm and statm.
 * Prints the CPU time (user + system, getrusage) per iteration in
 * microseconds, the median of the iterations. process_bench links the pass
 * alone (NAIVE_PROC_LOOP_NO_MAIN) and interleaves it with the collector's
 * scrapes, so that both meet the same machine load.
 *   naive_proc_loop [ITERATIONS] [PROCFS]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* One pass: every pid's four files. Returns the pids seen, -1 when procfs
 * cannot be listed. */
long NaiveProcPass(const char* procfs) {
  static const char* const kFiles[] = {"oom_score", "oom_score_adj", "comm",
                                       "statm"};
  static volatile long sum; /* keeps the reads from being optimised away */
  DIR* dir = opendir(procfs);
  if (dir == NULL) return -1;
  long pids = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    ++pids;
    for (int f = 0; f < 4; ++f) {
      char path[300];
      char buf[512];
      snprintf(path, sizeof(path), "%s/%s/%s", procfs, entry->d_name,
               kFiles[f]);
      int fd = open(path, O_RDONLY);
      if (fd < 0) continue;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) sum += buf[0];
      close(fd);
    }
  }
  closedir(dir);
  return pids;
}

#ifndef NAIVE_PROC_LOOP_NO_MAIN
static double CpuSeconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int Compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20;
  const char* procfs = argc > 2 ? argv[2] : "/proc";
  double* samples = calloc((size_t)iterations, sizeof(double));
  long pids = 0;
  for (int i = 0; i < iterations; ++i) {
    double start = CpuSeconds();
    pids = NaiveProcPass(procfs);
    samples[i] = CpuSeconds() - start;
    if (pids < 0) {
      perror(procfs);
      return 1;
    }
  }
  qsort(samples, (size_t)iterations, sizeof(double), Compare);
  printf("naive_loop_us_per_iteration %.0f\nnaive_loop_pids %ld\n",
         samples[iterations / 2] * 1e6, pids);
  free(samples);
  return 0;
}
#endif
