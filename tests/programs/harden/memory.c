/* Memory stress for the hardening tests; argv[1] picks the case, exit 0 when all went as
 * on Linux. Cases:
 *   bigsplit   1 GiB anonymous mapping, touch one page, mprotect + munmap one page each,
 *              madvise(MADV_DONTNEED) the rest
 *   hugefail   map and unmap huge regions, then mmaps that fail with ENOMEM
 *   devzero    mmap 1 GiB of /dev/zero (zero pages), /dev/urandom (ENODEV)
 *   filemap    map one page of a file many times (argv[2])
 *   mremap     grow a 256 MiB mapping with mremap(MAYMOVE) (256 MiB in use, 1 page touched)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GIB (1UL << 30)
#define FAIL(...) do { printf(__VA_ARGS__); return 1; } while (0)

static int bigsplit(void)
{
    char *p = mmap(0, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) FAIL("mmap: %s\n", strerror(errno));
    p[12345] = 7;
    p[GIB - 1] = 9;
    if (mprotect(p + (512UL << 20), 4096, PROT_READ)) FAIL("mprotect: %s\n", strerror(errno));
    if (munmap(p + (256UL << 20), 4096)) FAIL("munmap: %s\n", strerror(errno));
    if (p[12345] != 7 || p[GIB - 1] != 9 || p[(512UL << 20) + 5]) FAIL("contents lost\n");
    if (madvise(p, 256UL << 20, MADV_DONTNEED) ||
        madvise(p + (256UL << 20) + 4096, GIB - (256UL << 20) - 4096, MADV_DONTNEED))
        FAIL("madvise: %s\n", strerror(errno));
    if (madvise(p, GIB, MADV_DONTNEED) != -1 || errno != ENOMEM) FAIL("madvise over a hole\n");
    if (p[12345] != 0 || p[GIB - 1] != 0) FAIL("MADV_DONTNEED kept data\n");
    p[77] = 1;
    printf("bigsplit ok\n");
    return 0;
}

static int hugefail(void)
{
    /* Huge mappings come and go, then mmaps fail with ENOMEM (the 64 GiB ones under a
     * memory limit, the 128 TiB ones always) and the process exits normally. */
    for (int i = 0; i < 6; i++) {
        size_t n = i < 3 ? 2 * GIB : 64 * GIB;
        char *p = mmap(0, n, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            if (errno != ENOMEM) FAIL("mmap: %s\n", strerror(errno));
            continue;
        }
        p[i * 4096] = 1;
        munmap(p, n);
    }
    for (int i = 0; i < 4; i++) {
        void *q = mmap(0, 1UL << 47, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (q != MAP_FAILED || errno != ENOMEM) FAIL("mmap 128 TiB did not fail\n");
    }
    write(1, "hugefail ok\n", 12); /* no printf: its buffer would be one more mapping */
    return 0;
}

static int devzero(void)
{
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0) FAIL("open /dev/zero: %s\n", strerror(errno));
    char *p = mmap(0, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) FAIL("mmap /dev/zero: %s\n", strerror(errno));
    if (p[GIB / 2] != 0) FAIL("not zero\n");
    p[5] = 1;
    int u = open("/dev/urandom", O_RDONLY);
    void *q = mmap(0, 4096, PROT_READ, MAP_PRIVATE, u, 0);
    printf("devzero ok urandom=%s\n", q == MAP_FAILED ? strerror(errno) : "mapped");
    return 0;
}

static int filemap(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) FAIL("open: %s\n", strerror(errno));
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        unsigned char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
        if (p == MAP_FAILED) FAIL("mmap: %s\n", strerror(errno));
        sum += p[i % 4096];
        munmap(p, 4096);
    }
    printf("filemap ok %ld\n", sum);
    return 0;
}

static int do_mremap(void)
{
    size_t n = 256UL << 20;
    char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) FAIL("mmap: %s\n", strerror(errno));
    p[n - 1] = 5;
    mmap(p + n, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    char *q = mremap(p, n, 2 * n, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) FAIL("mremap: %s\n", strerror(errno));
    if (q[n - 1] != 5 || q[2 * n - 1] != 0) FAIL("mremap lost data\n");
    printf("mremap ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "bigsplit")) return bigsplit();
    if (!strcmp(argv[1], "hugefail")) return hugefail();
    if (!strcmp(argv[1], "devzero")) return devzero();
    if (!strcmp(argv[1], "filemap")) return filemap(argv[2]);
    if (!strcmp(argv[1], "mremap")) return do_mremap();
    return 2;
}
