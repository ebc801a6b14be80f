/* Netlink requests and dumps, and their attributes, shared by the live readers. */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <linux/netlink.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody/error.h"

#include "collector.h"
#include "live.h"

#define LIVE_NETLINK_BUFFER	(64 * 1024)
#define LIVE_NETLINK_WAIT	5	/* seconds without an answer: give up */

/* A netlink socket of a protocol, bound, with a receive timeout. -1 (errno). */
static int
live_netlink_socket(int protocol)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval wait = { .tv_sec = LIVE_NETLINK_WAIT };
	int fd, saved;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) != 0 ||
	    bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Send one request to the kernel. 0 or -1 (errno). */
static int
live_netlink_send(int fd, struct nlmsghdr *request)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	request->nlmsg_seq = 1;
	do
		n = sendto(fd, request, request->nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof kernel);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != request->nlmsg_len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * Hand the messages of one datagram to fn. 1 when the answer is complete
 * (NLMSG_DONE, an acknowledgement, the cap), 0 for more, -1 with errno.
 */
static int
live_netlink_batch(const char *buffer, size_t len, struct live_dump *dump,
    live_netlink_fn fn, void *arg)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)buffer;
	const struct nlmsgerr *e;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			e = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) {
				errno = EPROTO;
				return -1;
			}
			if (e->error == 0)
				return 1;
			errno = -e->error;
			return -1;
		}
		if (dump->messages == dump->max) {
			dump->truncated = true;
			return 1;
		}
		dump->messages++;
		if (fn(h, arg) != 0)
			return -1;
		if (dump->single)
			return 1;
	}
	return 0;
}

/* Read answers until the request is complete. 0 or -1 (errno). */
static int
live_netlink_receive(int fd, struct live_dump *dump, live_netlink_fn fn,
    void *arg)
{
	struct sockaddr_nl from;
	struct iovec iov;
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from,
	    .msg_iov = &iov, .msg_iovlen = 1 };
	char *buffer;
	ssize_t n;
	int rc = 0;

	if ((buffer = malloc(LIVE_NETLINK_BUFFER)) == NULL)
		return -1;
	iov.iov_base = buffer;
	iov.iov_len = LIVE_NETLINK_BUFFER;
	while (rc == 0) {
		n = recvmsg(fd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (msg.msg_flags & MSG_TRUNC)) {
			if (n >= 0)
				errno = EMSGSIZE;
			rc = -1;
			break;
		}
		if (n == 0 || from.nl_pid != 0)
			continue;
		rc = live_netlink_batch(buffer, (size_t)n, dump, fn, arg);
	}
	free(buffer);
	return rc < 0 ? -1 : 0;
}

/* Send a request over a protocol and hand each answer to fn. 0 or -1. */
int
live_netlink_request(int protocol, struct nlmsghdr *request,
    struct live_dump *dump, live_netlink_fn fn, void *arg)
{
	int fd, rc, saved;

	dump->messages = 0;
	dump->truncated = false;
	dump->error = 0;
	if ((fd = live_netlink_socket(protocol)) < 0) {
		dump->error = errno;
		return error_set_errno("netlink socket");
	}
	rc = live_netlink_send(fd, request);
	if (rc == 0)
		rc = live_netlink_receive(fd, dump, fn, arg);
	saved = errno;
	close(fd);
	if (rc != 0) {
		dump->error = saved == EAGAIN ? ETIMEDOUT : saved;
		errno = dump->error;
		return error_set_errno("netlink request");
	}
	return 0;
}

/*
 * Index the attributes of a run (rtattr and nlattr share one layout) by
 * type, the last of a type winning; types at or over max are ignored.
 */
void
live_netlink_attrs(const void *start, size_t len, const struct nlattr **table,
    size_t max)
{
	const struct nlattr *a = start;
	size_t type;

	memset(table, 0, max * sizeof *table);
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	    a->nla_len <= len) {
		type = a->nla_type & NLA_TYPE_MASK;
		if (type < max)
			table[type] = a;
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= (size_t)NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a +
		    NLA_ALIGN(a->nla_len));
	}
}

/* An attribute's payload and its length. */
const void *
live_netlink_payload(const struct nlattr *a, size_t *len)
{
	*len = a->nla_len - NLA_HDRLEN;
	return (const char *)a + NLA_HDRLEN;
}

/* Copy an attribute's payload of exactly size bytes; false otherwise. */
bool
live_netlink_value(const struct nlattr *a, void *out, size_t size)
{
	const void *data;
	size_t len;

	if (a == NULL)
		return false;
	data = live_netlink_payload(a, &len);
	if (len < size)
		return false;
	memcpy(out, data, size);
	return true;
}
