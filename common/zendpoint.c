/* zendpoint.c: see zendpoint.h. */
#include "zendpoint.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

int sv_zendpoint_prepare(void *socket, const char *endpoint)
{
    int on = 1;

    if (strncmp(endpoint, "tcp://[", 7) != 0)
        return 0;
    return zmq_setsockopt(socket, ZMQ_IPV6, &on, sizeof on);
}

const char *sv_zendpoint_bind_hint(const char *endpoint, int errnum)
{
    if (errnum == ENODEV && strncmp(endpoint, "tcp://", 6) == 0)
        return " (ZeroMQ binds to an IP address or an interface name, not "
               "a host name: for this machine alone, tcp://127.0.0.1:PORT)";
    return "";
}
