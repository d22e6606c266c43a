// mapread: faults a file's pages into the page cache through a mapping, for
// the VM scenarios.
//   mapread PATH MIB [OFFSET_MIB]
// Maps MIB MiB of PATH (a file or a block device) from OFFSET_MIB MiB on,
// read-only and shared, reads one byte of every page (each read a page
// fault, unless the page is mapped already), unmaps and exits 0. The pages
// stay in the page cache, charged to the cgroup of the process, as the
// pages of an executable or of a memory-mapped data file are. A page added
// to the page cache on a fault starts active under the multi-gen LRU (a page
// read with read(2) does not), so this is how a scenario gets active file
// pages on every kernel. Static, for the VM's busybox initramfs.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: mapread PATH MIB [OFFSET_MIB]\n");
    return 2;
  }
  const size_t mib = 1 << 20;
  size_t length = (size_t)atol(argv[2]) * mib;
  off_t offset = argc > 3 ? (off_t)atol(argv[3]) * (off_t)mib : 0;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  const volatile unsigned char* map =
      mmap(NULL, length, PROT_READ, MAP_SHARED, fd, offset);
  if (map == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  long page = sysconf(_SC_PAGESIZE);
  unsigned sum = 0;
  for (size_t at = 0; at < length; at += (size_t)page) sum += map[at];
  munmap((void*)map, length);
  close(fd);
  printf("mapread: %zu MiB of %s read through a mapping (sum %u)\n",
         length / mib, argv[1], sum);
  return 0;
}
