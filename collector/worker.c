/* worker.c: see worker.h. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "worker.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void sv_thread_name(pthread_t t, const char *tname)
{
    int rc = pthread_setname_np(t, tname);

    if (rc != 0)
        sv_log("survey-collector", "cannot name a thread %s: %s", tname,
               strerror(rc));
}

/* Gives the calling thread the nice value nice (see sv_worker_start). */
static void thread_nice(int nice, const char *tname)
{
    if (nice == 0)
        return;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice) != 0)
        sv_log("survey-collector",
               "cannot give the %s thread nice %d (%s): it runs at the "
               "process's priority",
               tname, nice, strerror(errno));
}

/* The thread: takes its nice value, says so, then runs fn. */
static void *worker_main(void *arg)
{
    sv_worker *w = arg;

    thread_nice(w->nice, w->tname);
    pthread_mutex_lock(&w->mu);
    w->running = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return w->fn(w->arg);
}

sv_status sv_worker_start(sv_worker *w, void *(*fn)(void *), void *arg,
                          const char *name, const char *tname, int nice,
                          sv_error *err)
{
    w->started = false;
    w->stop = false;
    w->fn = fn;
    w->arg = arg;
    w->nice = nice;
    w->tname = tname;
    w->running = false;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return sv_fail(err, SV_ERR_NOMEM, "pthread_mutex_init failed");
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return sv_fail(err, SV_ERR_NOMEM, "pthread_cond_init failed");
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return sv_fail(err, SV_ERR_NOMEM, "cannot start the %s", name);
    }
    sv_thread_name(w->thread, tname);
    pthread_mutex_lock(&w->mu);
    while (!w->running)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    w->started = true;
    return SV_OK;
}

void sv_worker_stop(sv_worker *w, const char *name)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (pthread_join(w->thread, NULL) != 0)
        sv_log("survey-collector", "pthread_join of the %s failed", name);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    w->started = false;
}
