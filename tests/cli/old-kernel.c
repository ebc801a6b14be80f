/*
 * old-kernel PROGRAM [ARGS...]: run PROGRAM as if on Linux 3.10, which has
 * neither unnamed files (O_TMPFILE, 3.11), renameat2 (3.15), bpf (3.18),
 * statx (4.11) nor openat2 (5.6). A seccomp filter answers those system calls the way
 * such a kernel does: ENOSYS, and EISDIR for a directory opened for
 * writing with O_TMPFILE (the old kernel ignores the unknown flag bit).
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define OLD_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define OLD_ARCH AUDIT_ARCH_AARCH64
#else
#error "old-kernel: x86_64 and aarch64 only"
#endif

/* The bit O_TMPFILE adds to O_DIRECTORY (the C library's __O_TMPFILE holds both). */
#define TMPFILE_BIT 020000000
#ifndef SYS_statx
#define SYS_statx 332
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define IF_EQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define IF_SET(k, t, f) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

int
main(int argc, char **argv)
{
	struct sock_filter filter[] = {
		LOAD(offsetof(struct seccomp_data, arch)),
		IF_EQ(OLD_ARCH, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LOAD(offsetof(struct seccomp_data, nr)),
		IF_EQ(SYS_renameat2, 0, 1), RET(RET_ERRNO(ENOSYS)),
		IF_EQ(SYS_bpf, 0, 1), RET(RET_ERRNO(ENOSYS)),
		IF_EQ(SYS_statx, 0, 1), RET(RET_ERRNO(ENOSYS)),
		IF_EQ(SYS_openat2, 0, 1), RET(RET_ERRNO(ENOSYS)),
		/* openat(dirfd, path, flags, mode): flags is argument 2. */
		IF_EQ(SYS_openat, 0, 4),
		LOAD(ARG_LOW(2)),
		IF_SET(TMPFILE_BIT, 0, 1), RET(RET_ERRNO(EISDIR)),
		RET(SECCOMP_RET_ALLOW),
		LOAD(offsetof(struct seccomp_data, nr)),
#ifdef SYS_open
		/* open(path, flags, mode): flags is argument 1. */
		IF_EQ(SYS_open, 0, 3),
		LOAD(ARG_LOW(1)),
		IF_SET(TMPFILE_BIT, 0, 1), RET(RET_ERRNO(EISDIR)),
		RET(SECCOMP_RET_ALLOW),
#endif
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof filter / sizeof filter[0],
		.filter = filter,
	};

	if (argc < 2) {
		fprintf(stderr, "usage: old-kernel PROGRAM [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		fprintf(stderr, "old-kernel: seccomp: %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "old-kernel: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
