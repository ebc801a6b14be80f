/*
 * The compiled magic database, built into the binary so that no file of the
 * host (/etc/magic, $MAGIC, /usr/share/misc/magic.mgc) can change the types
 * custody records. filetype_new() hands it to magic_load_buffers().
 */
#include "config.h"

	.section .rodata
	.balign 16
	.globl	custody_magic_db
custody_magic_db:
	.incbin	CUSTODY_MAGIC_DB
	.globl	custody_magic_db_end
custody_magic_db_end:
	.byte	0

	.section .note.GNU-stack,"",%progbits
