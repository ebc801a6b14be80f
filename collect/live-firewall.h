/*
 * The firewall source, shared by its files: whether a part of netfilter may
 * be queried without loading a module (live-firewall-modules.c), the
 * nftables ruleset through libnftables (live-firewall-nft.c) and the
 * x_tables tables through their socket options (live-firewall-xt*.c).
 */
#ifndef CUSTODY_LIVE_FIREWALL_H
#define CUSTODY_LIVE_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FIREWALL_FORMAT_VERSION	1
#define FIREWALL_NFT_MAX	((size_t)32 << 20)	/* nftables JSON output */
#define FIREWALL_XT_MAX		((size_t)64 << 20)	/* one x_tables table */
#define FIREWALL_XT_TABLES_MAX	64			/* tables per family */
#define FIREWALL_XT_RETRIES	5			/* table changed while read */

struct live_run;

/* What the host says about one kernel module. */
struct firewall_module_facts {
	bool	modules_supported;	/* /proc/modules exists */
	bool	modules_disabled;	/* /proc/sys/kernel/modules_disabled is 1 */
	bool	listed;			/* named in /proc/modules */
	bool	in_sysfs;		/* /sys/module/NAME exists */
	bool	builtin;		/* named in modules.builtin */
};

/* Why a part may or may not be queried. */
enum firewall_decision {
	FIREWALL_QUERY_LOADED,		/* the module is loaded */
	FIREWALL_QUERY_BUILTIN,		/* built into the kernel */
	FIREWALL_QUERY_NO_MODULES,	/* no module can be loaded at all */
	FIREWALL_SKIP_NOT_LOADED	/* a query could load it: do not */
};

/* Decide from the facts alone (no I/O). */
enum firewall_decision firewall_decide(const struct firewall_module_facts *);
/* Gather the facts about module name (say "nf_tables") from the host. */
void firewall_module_facts(const char *name, struct firewall_module_facts *);
/* True when a modules.builtin file (at path) names module name. */
bool firewall_builtin_listed(const char *path, const char *name);
/* The decision's words for the document. */
const char *firewall_decision_text(enum firewall_decision);
/* True when this process has CAP_NET_ADMIN (or it cannot tell). */
bool firewall_net_admin(void);
#define FIREWALL_NO_NET_ADMIN \
	"not queried: needs CAP_NET_ADMIN (Operation not permitted, EPERM)"

#define FIREWALL_NO_LIBNFTABLES \
	"not read: this custody was built without libnftables"

/* Fill obj with the nftables ruleset. 0, or -1 when out of memory. */
int firewall_nft(json_t *obj, size_t cap);

/* Fill obj with the x_tables tables of family AF_INET or AF_INET6. */
int firewall_xt(json_t *obj, int family);

/* ---- live-firewall-xt-target.c: decoding one target's data. */

/* Add what a target's data says (verdict, NAT range...) to target. */
int firewall_xt_target(json_t *target, const char *name, unsigned revision,
    const unsigned char *data, size_t len, int family);
/* Set obj's "error" to the last error message. 0, or -1 when out of memory. */
int firewall_set_error(json_t *obj);
/* Bytes as lowercase hex, as a JSON string. */
json_t *firewall_hex(const unsigned char *data, size_t len);

#endif
