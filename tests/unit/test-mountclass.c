/*
 * Unit tests of the mount classification: kinds by filesystem type, the
 * splitting of mountinfo lines, sound and hostile, and the crossing onto
 * a network, FUSE or automount mount told from a stat.
 */
#include "config.h"

#include <sys/sysmacros.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../collect/mountclass.h"

/* Each kind, and which of them no walk enters. */
static void
test_kinds(void **state)
{
	(void)state;
	assert_int_equal(mountclass_kind("ext4"), MOUNTCLASS_LOCAL);
	assert_int_equal(mountclass_kind("overlay"), MOUNTCLASS_LOCAL);
	assert_int_equal(mountclass_kind("proc"), MOUNTCLASS_PSEUDO);
	assert_int_equal(mountclass_kind("autofs"), MOUNTCLASS_AUTOMOUNT);
	assert_int_equal(mountclass_kind("nfs4"), MOUNTCLASS_NETWORK);
	assert_int_equal(mountclass_kind("cifs"), MOUNTCLASS_NETWORK);
	assert_int_equal(mountclass_kind("9p"), MOUNTCLASS_NETWORK);
	assert_int_equal(mountclass_kind("fuse.sshfs"), MOUNTCLASS_NETWORK);
	assert_int_equal(mountclass_kind("fuse"), MOUNTCLASS_FUSE);
	assert_int_equal(mountclass_kind("fuse.gvfsd-fuse"), MOUNTCLASS_FUSE);
	assert_int_equal(mountclass_kind("fuseblk"), MOUNTCLASS_FUSE);
	assert_int_equal(mountclass_kind("squashfs"), MOUNTCLASS_IMAGE);
	/* Near misses are not what they resemble. */
	assert_int_equal(mountclass_kind("fusectl"), MOUNTCLASS_PSEUDO);
	assert_int_equal(mountclass_kind("nfsd"), MOUNTCLASS_PSEUDO);
	assert_int_equal(mountclass_kind("nfs5"), MOUNTCLASS_LOCAL);
	assert_int_equal(mountclass_kind(""), MOUNTCLASS_LOCAL);
	assert_true(mountclass_remote(MOUNTCLASS_NETWORK));
	assert_true(mountclass_remote(MOUNTCLASS_FUSE));
	assert_true(mountclass_remote(MOUNTCLASS_AUTOMOUNT));
	assert_false(mountclass_remote(MOUNTCLASS_LOCAL));
	assert_false(mountclass_remote(MOUNTCLASS_PSEUDO));
	assert_false(mountclass_remote(MOUNTCLASS_IMAGE));
}

/* A line with optional fields and escapes; lines that are not mountinfo. */
static void
test_parse(void **state)
{
	char line[] = "36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 "
	    "shared:2 - ext3 /dev/root rw,errors=continue";
	char *bad[] = { "", "36", "36 35 98:0 / /x rw master:1 ext3 /dev/root",
	    "36 35 98-0 / /x rw - ext3 /dev/root rw",
	    "36 35 :0 / /x rw - ext3 /dev/root rw",
	    "x 35 98:0 / /x rw - ext3 /dev/root rw",
	    "36 35 98:0x / /x rw - ext3 /dev/root rw", NULL };
	struct mountclass_line l;
	char copy[256];
	size_t i;

	(void)state;
	assert_int_equal(mountclass_parse(line, &l), 0);
	assert_int_equal(l.id, 36);
	assert_int_equal(l.parent, 35);
	assert_true(l.dev == makedev(98, 0));
	assert_string_equal(l.fsroot, "/mnt1");
	assert_string_equal(l.point, "/mnt two");
	assert_int_equal(l.point_len, 8);
	assert_string_equal(l.options, "rw,noatime");
	assert_string_equal(l.fstype, "ext3");
	assert_string_equal(l.source, "/dev/root");
	assert_string_equal(l.super, "rw,errors=continue");
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(copy, sizeof copy, "%s", bad[i]);
		assert_int_equal(mountclass_parse(copy, &l), -1);
	}
}

/* A host: / (ext4), a FUSE and an NFS mount on it, another ext4 disk. */
static struct mountclass_mount host[] = {
	{ 1, 0, 0, MOUNTCLASS_LOCAL, "ext4" },
	{ 2, 1, 0, MOUNTCLASS_FUSE, "fuse" },
	{ 3, 1, 0, MOUNTCLASS_NETWORK, "nfs4" },
	{ 4, 1, 0, MOUNTCLASS_LOCAL, "ext4" },
	{ 5, 3, 0, MOUNTCLASS_AUTOMOUNT, "autofs" },
};

/* The host's table, read already (no rereads left). */
static void
host_table(struct mountclass_table *t)
{
	memset(t, 0, sizeof *t);
	host[0].dev = makedev(8, 1);
	host[1].dev = makedev(0, 40);
	host[2].dev = makedev(0, 41);
	host[3].dev = makedev(8, 2);
	host[4].dev = makedev(0, 42);
	t->v = host;
	t->n = sizeof host / sizeof host[0];
	t->loaded = true;
	t->rereads = MOUNTCLASS_REREADS_MAX;
}

/* Crossings told by mount id, and by device where the id is unknown. */
static void
test_crossing(void **state)
{
	struct mountclass_table t;
	struct mountclass_place root = { makedev(8, 1), 1 }, to;
	const struct mountclass_mount *m;
	char reason[128];

	(void)state;
	host_table(&t);
	to = (struct mountclass_place){ makedev(0, 40), 2 };
	assert_ptr_equal(mountclass_crossing(&t, &root, &to), &host[1]);
	to = (struct mountclass_place){ makedev(8, 2), 4 };
	assert_null(mountclass_crossing(&t, &root, &to));
	assert_null(mountclass_crossing(&t, &root, &root));
	/* A bind mount of the FUSE filesystem inside itself: another mount. */
	to = (struct mountclass_place){ makedev(0, 40), 2 };
	root = (struct mountclass_place){ makedev(0, 40), 9 };
	assert_ptr_equal(mountclass_crossing(&t, &root, &to), &host[1]);
	/* Without mount ids (before Linux 5.8): by device. */
	root = (struct mountclass_place){ makedev(8, 1), 0 };
	to = (struct mountclass_place){ makedev(0, 41), 0 };
	assert_non_null(m = mountclass_crossing(&t, &root, &to));
	mountclass_reason(m, reason, sizeof reason);
	assert_string_equal(reason, "network or FUSE filesystem, not read: nfs4");
	to = (struct mountclass_place){ makedev(0, 42), 5 };
	assert_non_null(m = mountclass_crossing(&t, &root, &to));
	mountclass_reason(m, reason, sizeof reason);
	assert_string_equal(reason, "automount point, not triggered: autofs");
	/* A mount the table does not know: not told apart. */
	to = (struct mountclass_place){ makedev(0, 99), 0 };
	assert_null(mountclass_crossing(&t, &root, &to));
	/* No table at all. */
	t.loaded = false;
	to = (struct mountclass_place){ makedev(0, 40), 2 };
	assert_null(mountclass_crossing(&t, &root, &to));
}

/* Which mounts have network, FUSE or automount mounts on them. */
static void
test_holds_remote(void **state)
{
	struct mountclass_table t;
	struct mountclass_place p;

	(void)state;
	host_table(&t);
	p = (struct mountclass_place){ makedev(8, 1), 1 };
	assert_true(mountclass_holds_remote(&t, &p));
	p = (struct mountclass_place){ makedev(8, 1), 0 };
	assert_true(mountclass_holds_remote(&t, &p));
	p = (struct mountclass_place){ makedev(8, 2), 4 };
	assert_false(mountclass_holds_remote(&t, &p));
	p = (struct mountclass_place){ makedev(0, 41), 3 };
	assert_true(mountclass_holds_remote(&t, &p));
	p = (struct mountclass_place){ makedev(0, 42), 5 };
	assert_false(mountclass_holds_remote(&t, &p));
}

/* The host's own table reads, and / is in it, local. */
static void
test_read(void **state)
{
	struct mountclass_table t;

	(void)state;
	memset(&t, 0, sizeof t);
	if (mountclass_table_read(&t) != 0)
		skip();
	assert_true(t.loaded);
	assert_true(t.n > 0);
	mountclass_table_free(&t);
	assert_int_equal(t.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_crossing),
		cmocka_unit_test(test_holds_remote),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
