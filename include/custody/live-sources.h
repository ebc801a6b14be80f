/*
 * The names of the live sources, in one place: the profile parser accepts
 * exactly these, and the collector's table of readers is built from them.
 * X(name, ident, root, max_size): name is what a profile's "live:" says,
 * ident names the reader (live_reader_IDENT in collect/); root is 1 when
 * the source reads files on disk, under the entry's "root:", and max_size
 * 1 when it archives content capped by the entry's "max_size:". The
 * profile parser refuses either key on a source whose column is 0.
 */
#ifndef CUSTODY_LIVE_SOURCES_H
#define CUSTODY_LIVE_SOURCES_H

#define CUSTODY_LIVE_SOURCES(X)			\
	X("processes", processes, 0, 0)		\
	X("sockets", sockets, 0, 0)		\
	X("users", users, 1, 0)			\
	X("modules", modules, 0, 0)		\
	X("mounts", mounts, 0, 0)		\
	X("network", network, 0, 0)		\
	X("system", system, 0, 0)		\
	X("kmsg", kmsg, 1, 0)			\
	X("sysctl", sysctl, 0, 0)		\
	X("kernel", kernel, 0, 0)		\
	X("bpf", bpf, 0, 0)			\
	X("conntrack", conntrack, 0, 0)		\
	X("devices", devices, 0, 0)		\
	X("security", security, 0, 0)		\
	X("executables", executables, 0, 1)	\
	X("maps", maps, 0, 0)			\
	X("firewall", firewall, 0, 1)		\
	X("packages", packages, 1, 0)		\
	X("histories", histories, 1, 1)		\
	X("logfiles", logfiles, 1, 1)		\
	X("containers", containers, 1, 1)	\
	X("timeline", timeline, 1, 1)

#endif
