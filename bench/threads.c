/* threads.c: see threads.h. */
#include "threads.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double bench_stat_cpu_s(const char *path)
{
    char buf[2048];
    unsigned long utime = 0;
    unsigned long stime = 0;
    size_t n;
    FILE *f;
    char *p;

    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the name may hold spaces */
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void task_name(int pid, int tid, char *name, size_t size)
{
    char path[96];
    FILE *f;

    snprintf(name, size, "?");
    if (tid == pid) {
        snprintf(name, size, "main");
        return;
    }
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tid);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fgets(name, (int)size, f) != NULL)
        name[strcspn(name, "\n")] = '\0';
    fclose(f);
}

int bench_threads_read(int pid, bench_threads *out)
{
    char path[96];
    DIR *d;
    struct dirent *e;

    out->n = 0;
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL && out->n < BENCH_THREADS) {
        int tid = atoi(e->d_name);
        double cpu;

        if (tid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
        cpu = bench_stat_cpu_s(path);
        if (cpu < 0)
            continue; /* ended meanwhile */
        bench_thread *t = &out->t[out->n++];
        t->tid = tid;
        t->cpu_s = cpu;
        task_name(pid, tid, t->name, sizeof t->name);
    }
    closedir(d);
    return 0;
}

void bench_threads_diff(const bench_threads *before, const bench_threads *after,
                        bench_threads *out)
{
    out->n = 0;
    for (int i = 0; i < after->n; i++) {
        const bench_thread *a = &after->t[i];
        double used = a->cpu_s;
        int j;

        for (j = 0; j < before->n; j++)
            if (before->t[j].tid == a->tid) {
                used -= before->t[j].cpu_s;
                break;
            }
        if (used < 0)
            used = 0; /* not a tid of before's: a thread since started */
        for (j = 0; j < out->n; j++)
            if (strcmp(out->t[j].name, a->name) == 0)
                break;
        if (j == out->n) {
            out->t[j] = *a;
            out->t[j].cpu_s = 0;
            out->n++;
        }
        out->t[j].cpu_s += used;
    }
}
