/* threads.h: the CPU time of each thread of a process, from
 * /proc/PID/task, grouped by thread name (the collector names its threads:
 * sv-write, sv-prepare, sv-flush, sv-zap; ZeroMQ's are ZMQbg/...), and
 * from each thread's schedstat the time it ran and the time it was ready
 * to run but waited for a core. */
#ifndef SV_BENCH_THREADS_H
#define SV_BENCH_THREADS_H

#define BENCH_THREADS 32

typedef struct {
    int tid;
    char name[16];
    double cpu_s;  /* user + system */
    double run_s;  /* on a core (schedstat); -1 when not known */
    double wait_s; /* ready, waiting for a core (schedstat); -1 likewise */
} bench_thread;

typedef struct {
    bench_thread t[BENCH_THREADS];
    int n;
    double at;     /* when read (CLOCK_MONOTONIC, s) */
    double span_s; /* set by bench_threads_diff: from before to after */
} bench_threads;

/* utime + stime, in seconds, of a /proc stat file (/proc/PID/stat or
 * /proc/PID/task/TID/stat); -1 if unreadable. */
double bench_stat_cpu_s(const char *path);

/* The threads of pid now (the first BENCH_THREADS); the main thread is
 * named "main". Returns 0, or -1 when /proc/PID/task cannot be read. */
int bench_threads_read(int pid, bench_threads *out);

/* The CPU time each thread name used from before to after (a thread
 * started in between counts from 0), summed over threads of one name, in
 * the order of after; names that used none are listed with 0. The same
 * for run_s and wait_s (-1 for a name when one of its threads has none),
 * and out->span_s is the seconds between the two reads. */
void bench_threads_diff(const bench_threads *before, const bench_threads *after,
                        bench_threads *out);

#endif
