/*
 * The tar headers custody writes, read strictly: ustar headers of regular
 * files (typeflag '0') and pax extended headers (typeflag 'x') with the
 * few keys custody's writer uses. Everything else another tar would act on
 * is reported, so that what verify accepts is what every tar extracts.
 */
#ifndef CUSTODY_USTAR_H
#define CUSTODY_USTAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USTAR_BLOCK	512
#define USTAR_PAX_MAX	(64 * 1024)	/* bytes of one pax extended header */
#define USTAR_NAME_MAX	4096		/* bytes of a member name */

/* One header block, decoded. */
struct ustar_header {
	char		 typeflag;
	char		 name[257];	/* prefix "/" name, NUL-terminated */
	size_t		 name_len;
	uint64_t	 size;
	uint64_t	 mode;
	uint64_t	 uid;
	uint64_t	 gid;
	uint64_t	 devmajor;
	uint64_t	 devminor;
	int64_t		 mtime;		/* seconds */
	bool		 mtime_base256;	/* a time before 1970, for a pax mtime to give */
	bool		 has_uname;	/* uname or gname not empty */
	bool		 has_linkname;
	bool		 has_devices;	/* devmajor or devminor fields not zero */
	bool		 stray_bytes;	/* bytes after a field's end, or in the padding */
	bool		 size_known;	/* size decoded (even when the header is refused) */
	const char	*other_format;	/* not ustar: "it is an old GNU tar header", ...; NULL */
};

/* The records of one pax extended header. */
struct ustar_pax {
	char		*path;		/* NULL: none; malloc'd */
	size_t		 path_len;
	bool		 has_size;
	uint64_t	 size;
	bool		 has_mtime;
	int64_t		 mtime_sec;
	long		 mtime_nsec;
	bool		 has_charset;
	bool		 binary_names;	/* hdrcharset=BINARY */
	unsigned	 other_count;	/* records with keys custody does not write */
	char		 other_keys[256];	/* the first of them, ", "-joined, escaped */
	char		 malformed[160];	/* the first malformed record; "" when none */
};

/*
 * True when GNU tar would take the block for a tar header: a checksum
 * field that matches the signed or the unsigned byte sum. GNU tar reads a
 * file whose first block passes as plain tar, whatever follows.
 */
bool ustar_looks_like_header(const unsigned char block[USTAR_BLOCK]);
/* True when n bytes are all zero. */
bool ustar_all_zero(const unsigned char *data, size_t n);
/* True when the block is all zero bytes (part of the end-of-archive marker). */
bool ustar_is_zero(const unsigned char block[USTAR_BLOCK]);
/*
 * Decode a header block (ustar, or another tar format noted in
 * other_format). -1 with the error set when it is no tar header at all
 * (wrong checksum); -2 when it is one, with its name decoded, but a number
 * custody writes in octal is not (base-256 sizes, signs): the stream
 * cannot be followed past it.
 */
int ustar_header_parse(const unsigned char block[USTAR_BLOCK], struct ustar_header *);
/*
 * What in a regular file's header differs from what custody writes (a
 * ustar header, mode 0644, owner and group 0 without names, no link name
 * or device numbers, nothing hidden after a field), as one sentence in
 * out; false when nothing does.
 */
bool ustar_header_unusual(const struct ustar_header *, char *out, size_t size);
/* A description of a typeflag custody never writes ("GNU sparse file", ...). */
const char *ustar_type_name(char typeflag);
/*
 * Decode a pax extended header's data. Malformed records and keys custody
 * does not write are noted in the result, not errors; -1 only when out of
 * memory.
 */
int ustar_pax_parse(const char *data, size_t len, struct ustar_pax *);
void ustar_pax_free(struct ustar_pax *);
/*
 * Why a member name is not one custody writes: absolute, "." or ".."
 * components, empty components, a NUL byte, too long. NULL when it is.
 */
const char *ustar_name_problem(const char *name, size_t len);

#endif
