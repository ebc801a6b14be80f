/* The sockets source: the /proc/net tables, with the processes holding each socket. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

/* One of the /proc/net tables of internet sockets. */
struct live_inet_table {
	const char	*path;
	const char	*proto;
	int		 family;
	bool		 tcp;
};

/* Turn a /proc/net address (native-order 32-bit words in hex) into text. */
static int
live_inet_address(const char *hex, int family, char *out, size_t size)
{
	unsigned char bytes[16];
	size_t words = family == AF_INET ? 1 : 4, i;
	char part[9];
	uint32_t word;

	if (strlen(hex) != 8 * words)
		return -1;
	for (i = 0; i < words; i++) {
		memcpy(part, hex + 8 * i, 8);
		part[8] = '\0';
		word = (uint32_t)strtoul(part, NULL, 16);
		memcpy(bytes + 4 * i, &word, sizeof word);
	}
	return inet_ntop(family, bytes, out, (socklen_t)size) == NULL ? -1 : 0;
}

/* The name of a TCP state (or UNCONN for an unconnected datagram socket). */
static const char *
live_tcp_state(unsigned state, bool tcp)
{
	static const char *names[] = { "UNKNOWN", "ESTABLISHED", "SYN_SENT",
	    "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
	    "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
	    "BOUND_INACTIVE" };

	if (!tcp && state == 7)
		return "UNCONN";
	if (state >= sizeof names / sizeof names[0])
		return "UNKNOWN";
	return names[state];
}

/* One line of a /proc/net internet table as an object; NULL if malformed. */
static json_t *
live_inet_socket(const char *line, const struct live_inet_table *t,
    const struct live_owners *o)
{
	char local[33], remote[33], laddr[INET6_ADDRSTRLEN];
	char raddr[INET6_ADDRSTRLEN];
	unsigned lport, rport, state, uid;
	unsigned long long inode;

	if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x "
	    "%*x:%*x %*x:%*x %*x %u %*d %llu", local, &lport, remote, &rport,
	    &state, &uid, &inode) != 7)
		return NULL;
	if (live_inet_address(local, t->family, laddr, sizeof laddr) != 0 ||
	    live_inet_address(remote, t->family, raddr, sizeof raddr) != 0)
		return NULL;
	return json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:i, s:I, s:I, s:o}",
	    "proto", t->proto, "local_address", laddr, "local_port", (int)lport,
	    "remote_address", raddr, "remote_port", (int)rport,
	    "state", live_tcp_state(state, t->tcp), "state_code", (int)state,
	    "uid", (json_int_t)uid, "inode", (json_int_t)inode,
	    "owners", live_owners_json(o, inode));
}

/* Add every socket of one /proc/net table. -1 when it could not be read. */
static int
live_inet_table(json_t *list, json_t *errors, const struct live_inet_table *t,
    const struct live_owners *o)
{
	struct live_file f;
	char *cursor, *line;
	json_t *s;

	if (live_read(AT_FDCWD, t->path, LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		return -1;
	}
	if (f.truncated)
		json_array_append_new(errors, json_sprintf(
		    "%s: truncated at %zu bytes", t->path, f.len));
	cursor = f.data;
	util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((s = live_inet_socket(line, t, o)) != NULL)
			json_array_append_new(list, s);
	free(f.data);
	return 0;
}

/* The name of a unix socket type. */
static const char *
live_unix_type(unsigned type)
{
	switch (type) {
	case 1:
		return "STREAM";
	case 2:
		return "DGRAM";
	case 5:
		return "SEQPACKET";
	}
	return "UNKNOWN";
}

/* The name of a unix socket state. */
static const char *
live_unix_state(unsigned state)
{
	static const char *names[] = { "FREE", "UNCONNECTED", "CONNECTING",
	    "CONNECTED", "DISCONNECTING" };

	return state < 5 ? names[state] : "UNKNOWN";
}

/* One line of /proc/net/unix as an object; NULL if malformed. */
static json_t *
live_unix_socket(const char *line, const struct live_owners *o)
{
	unsigned flags, type, state;
	unsigned long long inode;
	const char *path;
	json_t *s;
	int n = 0;

	if (sscanf(line, "%*[0-9A-Fa-f]: %*x %*x %x %x %x %llu%n", &flags, &type,
	    &state, &inode, &n) != 4 || n == 0)
		return NULL;
	path = line + n;
	if (*path == ' ')
		path++;
	s = json_pack("{s:s, s:s, s:s, s:b, s:I}", "proto", "unix",
	    "type", live_unix_type(type), "state", live_unix_state(state),
	    "listening", (flags & 0x10000) != 0, "inode", (json_int_t)inode);
	if (s == NULL)
		return NULL;
	if (*path != '\0')
		live_set_bytes(s, "path", path, strlen(path));
	else
		json_object_set_new(s, "path", json_null());
	json_object_set_new(s, "owners", live_owners_json(o, inode));
	return s;
}

/* Add every socket of /proc/net/unix. -1 when it could not be read. */
static int
live_unix_table(json_t *list, json_t *errors, const struct live_owners *o)
{
	struct live_file f;
	char *cursor, *line;
	json_t *s;

	if (live_read(AT_FDCWD, "/proc/net/unix", LIVE_TABLE_MAX, &f) != 0) {
		live_note(errors);
		return -1;
	}
	if (f.truncated)
		json_array_append_new(errors, json_sprintf(
		    "/proc/net/unix: truncated at %zu bytes", f.len));
	cursor = f.data;
	util_next_line(&cursor);
	while ((line = util_next_line(&cursor)) != NULL)
		if ((s = live_unix_socket(line, o)) != NULL)
			json_array_append_new(list, s);
	free(f.data);
	return 0;
}

/* The sockets source: /proc/net tables joined with their owning processes. */
static int
live_sockets(struct live_run *run)
{
	json_t *doc = run->doc, *errors = run->errors;
	static const struct live_inet_table tables[] = {
		{ "/proc/net/tcp", "tcp", AF_INET, true },
		{ "/proc/net/tcp6", "tcp6", AF_INET6, true },
		{ "/proc/net/udp", "udp", AF_INET, false },
		{ "/proc/net/udp6", "udp6", AF_INET6, false },
		{ "/proc/net/raw", "raw", AF_INET, false },
		{ "/proc/net/raw6", "raw6", AF_INET6, false },
	};
	struct live_owners owners;
	json_t *inet, *unix_list, *scan;
	size_t i, readable = 0;

	if (live_owners_build(&owners) != 0)
		return -1;
	inet = json_array();
	unix_list = json_array();
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (live_inet_table(inet, errors, &tables[i], &owners) == 0)
			readable++;
	if (live_unix_table(unix_list, errors, &owners) == 0)
		readable++;
	readable += (size_t)live_link_sockets(doc, errors, &owners);
	scan = json_pack("{s:I, s:I, s:b}", "processes_scanned",
	    (json_int_t)owners.scanned, "processes_unreadable",
	    (json_int_t)owners.fd_errors, "truncated", owners.truncated);
	json_object_set_new(doc, "owner_scan", scan);
	json_object_set_new(doc, "inet", inet);
	json_object_set_new(doc, "unix", unix_list);
	free(owners.v);
	if (readable == 0)
		return error_set("no socket table could be read");
	return 0;
}

const struct live_reader live_reader_sockets = {
	.origin = "/proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix,packet,netlink}, "
	    "/proc/[pid]/fd",
	.fill = live_sockets,
};
