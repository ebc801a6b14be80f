/*
 * The names of the live sources, in one place: the profile parser accepts
 * exactly these, and the collector's table of readers is built from them.
 * X(name, ident): name is what a profile's "live:" says, ident names the
 * reader (live_reader_IDENT in collect/).
 */
#ifndef CUSTODY_LIVE_SOURCES_H
#define CUSTODY_LIVE_SOURCES_H

#define CUSTODY_LIVE_SOURCES(X)			\
	X("processes", processes)		\
	X("sockets", sockets)			\
	X("users", users)			\
	X("modules", modules)			\
	X("mounts", mounts)			\
	X("network", network)			\
	X("system", system)			\
	X("kmsg", kmsg)				\
	X("sysctl", sysctl)			\
	X("kernel", kernel)			\
	X("bpf", bpf)				\
	X("conntrack", conntrack)		\
	X("devices", devices)			\
	X("security", security)			\
	X("executables", executables)		\
	X("maps", maps)				\
	X("firewall", firewall)			\
	X("packages", packages)			\
	X("histories", histories)		\
	X("logfiles", logfiles)			\
	X("containers", containers)		\
	X("timeline", timeline)

#endif
