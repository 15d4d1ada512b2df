/* log.h: one-line log records on stderr: UTC time, program, message. */
#ifndef SV_LOG_H
#define SV_LOG_H

/* Writes "2026-11-24T22:00:00.123Z PROGRAM: message\n" to stderr in one
 * write, so that lines of concurrent processes do not interleave; a
 * control character in the message (a newline among them) is written as
 * \xNN, so that a record is always one line. */
void sv_log(const char *program, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Wall-clock time in Unix milliseconds. */
long long sv_now_ms(void);

#endif
