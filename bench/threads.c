/* threads.c: see threads.h. */
#include "threads.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* From /proc/PID/task/TID/schedstat: nanoseconds on a core, waiting
 * for one, and timeslices. Both -1 when it cannot be read. */
static void task_sched(int pid, int tid, double *run_s, double *wait_s)
{
    char path[96];
    unsigned long long run = 0;
    unsigned long long wait = 0;
    FILE *f;

    *run_s = -1;
    *wait_s = -1;
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
    f = fopen(path, "r");
    if (f == NULL)
        return;
    if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
        *run_s = (double)run / 1e9;
        *wait_s = (double)wait / 1e9;
    }
    fclose(f);
}

int bench_threads_read(int pid, bench_threads *out)
{
    char path[96];
    DIR *d;
    struct dirent *e;
    struct timespec now;

    out->n = 0;
    out->at = 0;
    out->span_s = 0;
    if (clock_gettime(CLOCK_MONOTONIC, &now) == 0)
        out->at = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
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
        task_sched(pid, tid, &t->run_s, &t->wait_s);
        task_name(pid, tid, t->name, sizeof t->name);
    }
    closedir(d);
    return 0;
}

/* after - before, before taken as 0 for a thread started in between
 * (before NULL); -1 when either is unknown (-1). */
static double used(double after, const double *before)
{
    if (after < 0 || (before != NULL && *before < 0))
        return -1;
    double d = before != NULL ? after - *before : after;
    return d > 0 ? d : 0;
}

/* a += b, where -1 (unknown) in either makes -1 */
static void add_known(double *a, double b)
{
    *a = *a < 0 || b < 0 ? -1 : *a + b;
}

void bench_threads_diff(const bench_threads *before, const bench_threads *after,
                        bench_threads *out)
{
    out->n = 0;
    out->at = after->at;
    out->span_s = after->at - before->at;
    for (int i = 0; i < after->n; i++) {
        const bench_thread *a = &after->t[i];
        const bench_thread *b = NULL;
        int j;

        for (j = 0; j < before->n; j++)
            if (before->t[j].tid == a->tid) {
                b = &before->t[j];
                break;
            }
        for (j = 0; j < out->n; j++)
            if (strcmp(out->t[j].name, a->name) == 0)
                break;
        if (j == out->n) {
            out->t[j] = *a;
            out->t[j].cpu_s = 0;
            out->t[j].run_s = 0;
            out->t[j].wait_s = 0;
            out->n++;
        }
        /* a thread not in before started since: it counts from 0 */
        out->t[j].cpu_s += used(a->cpu_s, b != NULL ? &b->cpu_s : NULL);
        add_known(&out->t[j].run_s,
                  used(a->run_s, b != NULL ? &b->run_s : NULL));
        add_known(&out->t[j].wait_s,
                  used(a->wait_s, b != NULL ? &b->wait_s : NULL));
    }
}
