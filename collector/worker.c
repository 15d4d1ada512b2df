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

void sv_thread_nice(int nice, const char *tname)
{
    if (nice == 0)
        return;
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice) != 0)
        sv_log("survey-collector",
               "cannot give the %s thread nice %d (%s): it runs at the "
               "process's priority",
               tname, nice, strerror(errno));
}

sv_status sv_worker_start(sv_worker *w, void *(*fn)(void *), void *arg,
                          const char *name, const char *tname, sv_error *err)
{
    w->started = false;
    w->stop = false;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return sv_fail(err, SV_ERR_NOMEM, "pthread_mutex_init failed");
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return sv_fail(err, SV_ERR_NOMEM, "pthread_cond_init failed");
    }
    if (pthread_create(&w->thread, NULL, fn, arg) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return sv_fail(err, SV_ERR_NOMEM, "cannot start the %s", name);
    }
    sv_thread_name(w->thread, tname);
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
