/* watch.h: `survey watch`: follows the aggregator's PUB socket and prints
 * one line per published snapshot.
 *
 * The aggregator publishes every new snapshot as two frames: the survey id
 * (the topic) and a packed Snapshot with the header, the rates and the
 * completeness figures. ZeroMQ subscriptions match prefixes, so the topic
 * is compared in full here; messages of other surveys, of another shape or
 * that do not decode are skipped (the last two with a warning on
 * stderr). */
#ifndef SV_WATCH_H
#define SV_WATCH_H

#include "commands.h"

#include <stdio.h>

/* One summary line, without the newline:
 *
 *   2026-11-24T22:00:00.123Z shoman-jiritsu-r6 version 3 sequence 120
 *   digest 0123456789ab trigger changes | 相談支援事業 97%, 就職支援事業
 *   15% | complete 10, incomplete 120, not started 7
 *
 * (one line): the creation time in UTC, the rates of all respondents
 * (label and the server's percent, "-" when n = 0), and the completeness
 * of all respondents ("no completeness" when absent). */
void sv_watch_summary(FILE *out, const Survey__V1__Snapshot *s);

/* survey watch: connects a SUB socket to o->watch_endpoint, subscribes to
 * o->survey ("" = every survey) and writes a summary line per snapshot to
 * out, flushing after each. Stops after o->count messages (0 = never), or
 * when *o->stop becomes non-zero (checked at least every 200 ms and when
 * a signal interrupts the wait). Returns SV_EXIT_OK; SV_EXIT_USAGE for an
 * endpoint ZeroMQ cannot connect to or when out cannot be written;
 * SV_EXIT_NO_REPLY when a socket call fails. */
int sv_cmd_watch(const sv_client_opts *o, FILE *out);

#endif
