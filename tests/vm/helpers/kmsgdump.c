// kmsgdump: prints every record in the kernel ring as /dev/kmsg gives it
// ("PRIO,SEQ,USEC,FLAGS;TEXT" and its " KEY=VALUE" lines), each output line
// prefixed with "@@K ", then exits; for saving a VM's kernel log as a
// fixture through the serial console.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    perror("/dev/kmsg");
    return 1;
  }
  char record[8192 + 1];
  for (;;) {
    ssize_t n = read(fd, record, sizeof(record) - 1);
    if (n < 0 && errno == EPIPE) continue;  // overwritten: next record
    if (n <= 0) break;                      // EAGAIN: the end of the ring
    record[n] = '\0';
    char* line = record;
    for (char* p = record; *p; ++p) {
      if (*p == '\n') {
        *p = '\0';
        printf("@@K %s\n", line);
        line = p + 1;
      }
    }
    if (*line) printf("@@K %s\n", line);
  }
  return 0;
}
