/* machine.c: see machine.h. */
#include "machine.h"

#include "bench.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_BYTES ((size_t)256 << 20)

double machine_fault_us(void)
{
    long page = sysconf(_SC_PAGESIZE);
    volatile char *p;
    void *map;

    if (page <= 0)
        return -1;
    map = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return -1;
    /* one fault per page, not one per 2 MiB */
    if (madvise(map, PROBE_BYTES, MADV_NOHUGEPAGE) != 0) {
        munmap(map, PROBE_BYTES);
        return -1;
    }
    p = map;
    double t0 = bench_now();
    for (size_t i = 0; i < PROBE_BYTES; i += (size_t)page)
        p[i] = 1;
    double dt = bench_now() - t0;
    if (munmap(map, PROBE_BYTES) != 0)
        return -1;
    return dt * 1e6 / (double)(PROBE_BYTES / (size_t)page);
}

bool machine_cpu_read(machine_cpu *out)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int n;

    if (f == NULL)
        return false;
    /* cpu user nice system idle iowait irq softirq steal ... */
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    if (fclose(f) != 0 || n != 8)
        return false;
    out->busy = v[0] + v[1] + v[2] + v[5] + v[6];
    out->idle = v[3] + v[4];
    out->steal = v[7];
    return true;
}

double machine_steal_pct(const machine_cpu *a, const machine_cpu *b)
{
    uint64_t total =
        (b->busy - a->busy) + (b->idle - a->idle) + (b->steal - a->steal);

    if (total == 0)
        return -1;
    return 100.0 * (double)(b->steal - a->steal) / (double)total;
}
