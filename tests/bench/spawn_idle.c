/* Starts N idle processes for the process collector's benchmark: each child
 * sleeps in pause() and dies with its parent (PR_SET_PDEATHSIG), so killing
 * this one process by its pid removes all of them. Prints "ready N" once all
 * are running, then waits for SIGTERM or SIGINT.
 *   spawn_idle N
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int count = argc > 1 ? atoi(argv[1]) : 10000;
  pid_t parent = getpid();
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int started = 0;
  for (; started < count; ++started) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      prctl(PR_SET_NAME, "idle_child");
      sigprocmask(SIG_UNBLOCK, &mask, NULL);
      for (;;) pause();
    }
  }
  printf("ready %d\n", started);
  fflush(stdout);
  int signal_number;
  sigwait(&mask, &signal_number);
  /* Children get SIGKILL through PR_SET_PDEATHSIG when this process exits. */
  return started == count ? 0 : 1;
}
