/* config.h: configuration by file. A service reads an INI file whose keys
 * are its long option names, in a section named after the program:
 *
 *   [survey-collector]
 *   data = /var/lib/survey
 *   endpoint = tcp://127.0.0.1:5555
 *
 * The file's settings become "--key=value" arguments placed before the
 * command line's own, so a flag given on the command line wins. */
#ifndef SV_CONFIG_H
#define SV_CONFIG_H

#include "status.h"

/* If argv holds "--config FILE" or "--config=FILE", reads FILE's section
 * `section` and builds in *out_argv (*out_argc) a new argument vector:
 * argv[0], the file's settings, then the rest of argv without the --config
 * option. Without --config, *out_argv is a copy of argv. Free with
 * sv_config_free(). SV_ERR_IO / SV_ERR_PARSE name the file and line. */
sv_status sv_config_args(int argc, char **argv, const char *section,
                         int *out_argc, char ***out_argv, sv_error *err);

void sv_config_free(int argc, char **argv);

#endif
