/*
 * The x_tables tables (iptables and ip6tables, legacy) through the kernel's
 * own interface: IPT_SO_GET_INFO and IPT_SO_GET_ENTRIES on a raw socket
 * (IP6T_ for IPv6), for each table /proc/net/ip_tables_names lists. A table
 * is named only when listed, since naming another makes the kernel load
 * its module.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "live.h"
#include "live-firewall.h"
#include "live-firewall-xt.h"

/* A table's layout as IPT_SO_GET_INFO gives it (the same for IPv6). */
_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo),
    "ipt_getinfo and ip6t_getinfo differ");
_Static_assert(sizeof(struct ipt_get_entries) ==
    sizeof(struct ip6t_get_entries), "ipt_get_entries and ip6t_get_entries differ");

/* Where each family's tables are listed, and how they are asked for. */
static const struct firewall_xt_family firewall_xt_families[] = {
	{ AF_INET, "/proc/net/ip_tables_names", IPPROTO_IP, IPT_SO_GET_INFO,
	    IPT_SO_GET_ENTRIES, sizeof(struct ipt_entry) },
	{ AF_INET6, "/proc/net/ip6_tables_names", IPPROTO_IPV6,
	    IP6T_SO_GET_INFO, IP6T_SO_GET_ENTRIES, sizeof(struct ip6t_entry) },
};

/* Read one table's entries: the size may change between the two calls. */
static int
firewall_xt_entries(int sock, const struct firewall_xt_family *fam,
    const char *name, struct ipt_getinfo *info, struct ipt_get_entries **out)
{
	struct ipt_get_entries *e;
	socklen_t len;
	int tries;

	for (tries = 0; tries < FIREWALL_XT_RETRIES; tries++) {
		memset(info, 0, sizeof *info);
		memcpy(info->name, name, strlen(name));
		len = sizeof *info;
		if (getsockopt(sock, fam->level, fam->get_info, info, &len) != 0)
			return error_set_errno("table '%s': get info", name);
		if (info->size > FIREWALL_XT_MAX) {
			errno = EFBIG;
			return error_set("table '%s' of %u bytes over the cap of "
			    "%zu bytes", name, info->size, FIREWALL_XT_MAX);
		}
		len = (socklen_t)(sizeof *e + info->size);
		if ((e = calloc(1, len)) == NULL)
			return error_set_errno("calloc");
		memcpy(e->name, name, strlen(name));
		e->size = info->size;
		if (getsockopt(sock, fam->level, fam->get_entries, e, &len) == 0) {
			*out = e;
			return 0;
		}
		free(e);
		if (errno != EAGAIN && errno != EINVAL)
			return error_set_errno("table '%s': get entries", name);
	}
	return error_set("table '%s' changed while read, %d times", name, tries);
}

/* One table as an object: its layout, then its chains. */
static json_t *
firewall_xt_table(int sock, const struct firewall_xt_family *fam,
    const char *name)
{
	struct ipt_get_entries *e = NULL;
	struct ipt_getinfo info;
	json_t *t = json_object();
	bool over;

	if (t == NULL || json_object_set_new(t, "name",
	    live_string(name, strlen(name))) != 0)
		goto oom;
	if (firewall_xt_entries(sock, fam, name, &info, &e) != 0) {
		over = errno == EFBIG;
		if (firewall_set_error(t) != 0 || (over &&
		    json_object_set_new(t, "truncated", json_true()) != 0))
			goto oom;
		return t;
	}
	if (json_object_set_new(t, "valid_hooks",
	    json_integer(info.valid_hooks)) != 0 ||
	    json_object_set_new(t, "entries", json_integer(info.num_entries)) ||
	    json_object_set_new(t, "size", json_integer(info.size)) != 0 ||
	    firewall_xt_chains(t, fam, &info, (unsigned char *)e->entrytable,
	    e->size) != 0)
		goto oom;
	free(e);
	return t;
oom:
	free(e);
	json_decref(t);
	return NULL;
}

/* Every table named in the list, in its order. */
static int
firewall_xt_tables(json_t *obj, const struct firewall_xt_family *fam,
    char *names)
{
	char *cursor = names, *name;
	json_t *list = json_array(), *t;
	size_t n = 0;
	int sock;

	if (list == NULL || json_object_set_new(obj, "tables", list) != 0)
		return error_set("out of memory");
	if ((sock = socket(fam->family, SOCK_RAW | SOCK_CLOEXEC,
	    IPPROTO_RAW)) < 0) {
		error_set_errno("raw socket");
		if (errno == EPERM || errno == EACCES)
			error_prefix("needs CAP_NET_RAW and CAP_NET_ADMIN");
		return firewall_set_error(obj) == 0 ? 0 :
		    error_set("out of memory");
	}
	while ((name = util_next_line(&cursor)) != NULL) {
		if (*name == '\0' || strlen(name) >= XT_TABLE_MAXNAMELEN)
			continue;
		if (n++ == FIREWALL_XT_TABLES_MAX) {
			json_object_set_new(obj, "truncated", json_true());
			break;
		}
		if ((t = firewall_xt_table(sock, fam, name)) == NULL ||
		    json_array_append_new(list, t) != 0) {
			close(sock);
			return error_set("out of memory");
		}
	}
	close(sock);
	return 0;
}

/* Fill obj with the x_tables tables of family AF_INET or AF_INET6. */
int
firewall_xt(json_t *obj, int family)
{
	const struct firewall_xt_family *fam = &firewall_xt_families[
	    family == AF_INET6 ? 1 : 0];
	struct live_file f;
	int rc;

	if (live_read(AT_FDCWD, fam->names, LIVE_PROC_MAX, &f) != 0) {
		if ((errno == EACCES || errno == EPERM) && !firewall_net_admin())
			error_prefix("needs CAP_NET_ADMIN");
		if (errno != ENOENT)
			return firewall_set_error(obj) == 0 ? 0 : -1;
		return json_object_set_new(obj, "status", json_string(
		    "not loaded; not queried, so that no module is loaded"));
	}
	rc = json_object_set_new(obj, "status", json_string("read"));
	if (rc == 0)
		rc = firewall_xt_tables(obj, fam, f.data);
	free(f.data);
	return rc;
}
