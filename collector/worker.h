/* worker.h: a background thread of the collector (the writing thread, the
 * flush thread) with the mutex and condition variable that guard the work
 * handed to it, and the flag that tells it to finish. The thread's own
 * loop waits on cv under mu and returns once stop is set and its work is
 * done. */
#ifndef SV_WORKER_H
#define SV_WORKER_H

#include "status.h"

#include <pthread.h>
#include <stdbool.h>

typedef struct {
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop; /* under mu */
    /* for the thread's start (sv_worker_start) */
    void *(*fn)(void *);
    void *arg;
    int nice;
    const char *tname;
    bool running; /* under mu: the thread has its nice value */
} sv_worker;

/* Initialises w and runs fn(arg) on a new thread named tname (see
 * sv_thread_name) with the nice value nice (0: the process's); returns
 * once the thread has it, so that what starts after sees it. A failure to
 * set it (lowering it needs CAP_SYS_NICE) is logged, not returned: the
 * thread works the same at the process's priority. name is for errors. */
sv_status sv_worker_start(sv_worker *w, void *(*fn)(void *), void *arg,
                          const char *name, const char *tname, int nice,
                          sv_error *err);

/* Names thread t tname (at most 15 bytes), as `top -H`, `ps -L` and
 * /proc/PID/task/TID/comm show it; a failure is logged, not returned: the
 * thread works the same without a name. */
void sv_thread_name(pthread_t t, const char *tname);

/* Sets stop, wakes the thread and waits for it to return. No-op when not
 * started. */
void sv_worker_stop(sv_worker *w, const char *name);

#endif
