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
} sv_worker;

/* Initialises w and runs fn(arg) on a new thread; name is for errors. */
sv_status sv_worker_start(sv_worker *w, void *(*fn)(void *), void *arg,
                          const char *name, sv_error *err);

/* Sets stop, wakes the thread and waits for it to return. No-op when not
 * started. */
void sv_worker_stop(sv_worker *w, const char *name);

#endif
