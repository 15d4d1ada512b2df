/* config.h: configuration by file. A service reads an INI file whose keys
 * are its long option names, in a section named after the program:
 *
 *   [survey-collector]
 *   data = /var/lib/survey
 *   endpoint = tcp://127.0.0.1:5555
 *
 * The file's settings become "--key=value" arguments placed before the
 * command line's own, so a flag given on the command line wins. A key of
 * an option without an argument (no-auth) is on or off: true, yes, on, 1
 * or nothing give the flag; false, no, off or 0 leave it out. */
#ifndef SV_CONFIG_H
#define SV_CONFIG_H

#include "status.h"

#include <getopt.h>
#include <stddef.h>

/* If argv holds "--config FILE" or "--config=FILE", reads FILE's section
 * `section` and builds in *out_argv (*out_argc) a new argument vector:
 * argv[0], the file's settings, then the rest of argv without the --config
 * option. Without --config, *out_argv is a copy of argv. Free with
 * sv_config_free(). options (getopt_long's, may be NULL: any key, each
 * taken as --key=value) are the keys allowed and say which are flags.
 * SV_ERR_IO / SV_ERR_PARSE name the file and line (an unknown key, a flag
 * neither on nor off). */
sv_status sv_config_args(int argc, char **argv, const char *section,
                         const struct option *options, int *out_argc,
                         char ***out_argv, sv_error *err);

void sv_config_free(int argc, char **argv);

/* A program's main(): builds the argument vector with sv_config_args for
 * the section `program`, calls run with it, frees it, and returns run's
 * status (2, with a line on stderr, when the configuration file fails). */
int sv_config_main(int argc, char **argv, const char *program,
                   const struct option *options,
                   int (*run)(int argc, char **argv));

/* Parses a byte count: "123", "64K", "512M", "2G". Returns 0 on success,
 * -1 for anything else (a sign, an overflow). */
int sv_config_size(const char *text, size_t *out);

/* Parses a decimal integer in [lo, hi]. Returns 0 on success, -1 for
 * anything else. */
int sv_config_long(const char *text, long lo, long hi, long *out);

#endif
