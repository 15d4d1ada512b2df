/* zendpoint.h: what ZeroMQ needs to be told about an endpoint before it
 * binds or connects to it, and what to tell the operator when a bind
 * fails. */
#ifndef SV_ZENDPOINT_H
#define SV_ZENDPOINT_H

/* Turns ZMQ_IPV6 on for a tcp:// endpoint whose host is an IPv6 address
 * in brackets (tcp://[::1]:5555), which libzmq refuses otherwise; nothing
 * for any other endpoint. Returns zmq_setsockopt's result (0 when nothing
 * was needed). */
int sv_zendpoint_prepare(void *socket, const char *endpoint);

/* A hint for a bind of endpoint that failed with errnum, to append to its
 * message: for ENODEV on tcp://, that ZeroMQ binds to an address or an
 * interface name, not a host name; "" otherwise. */
const char *sv_zendpoint_bind_hint(const char *endpoint, int errnum);

#endif
