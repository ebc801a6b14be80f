/*
 * rpm package headers as the rpm database stores them (the blob of each
 * row of Packages): a count of index entries and a data length, both
 * 32-bit big-endian, the entries (tag, type, offset, count: 16 bytes
 * each), then the data. Every entry is checked before it is used.
 */
#ifndef CUSTODY_RPMHEADER_H
#define CUSTODY_RPMHEADER_H

#include <stddef.h>
#include <stdint.h>

#define RPMHEADER_TAGS_MAX	0xffffu		/* index entries (as rpm) */
#define RPMHEADER_DATA_MAX	0x0fffffffu	/* data bytes (as rpm) */
#define RPMHEADER_ARRAY_MAX	0xfffffu	/* values of one entry but BIN (as rpm) */

enum rpmheader_type {
	RPMHEADER_CHAR = 1,
	RPMHEADER_INT8,
	RPMHEADER_INT16,
	RPMHEADER_INT32,
	RPMHEADER_INT64,
	RPMHEADER_STRING,
	RPMHEADER_BIN,
	RPMHEADER_STRING_ARRAY,
	RPMHEADER_I18NSTRING
};

/* The tags read by custody (rpmtag.h). */
enum rpmheader_tag {
	RPMTAG_SIGMD5 = 261,
	RPMTAG_NAME = 1000,
	RPMTAG_VERSION = 1001,
	RPMTAG_RELEASE = 1002,
	RPMTAG_EPOCH = 1003,
	RPMTAG_INSTALLTIME = 1008,
	RPMTAG_VENDOR = 1011,
	RPMTAG_ARCH = 1022,
	RPMTAG_OLDFILENAMES = 1027,
	RPMTAG_FILESIZES = 1028,
	RPMTAG_FILEMODES = 1030,
	RPMTAG_FILEDIGESTS = 1035,
	RPMTAG_FILEFLAGS = 1037,
	RPMTAG_DIRINDEXES = 1116,
	RPMTAG_BASENAMES = 1117,
	RPMTAG_DIRNAMES = 1118,
	RPMTAG_FILEDIGESTALGO = 5011
};

struct rpmheader {
	const unsigned char	*index;
	const unsigned char	*data;
	uint32_t		 count;		/* index entries */
	uint32_t		 data_len;
};

/* One checked entry: its values lie in data[0, len). */
struct rpmheader_entry {
	uint32_t		 tag;
	uint32_t		 type;
	uint32_t		 count;
	const unsigned char	*data;
	size_t			 len;
};

/* Check a blob's lengths and point h at it. 0 or -1 (error_set). */
int rpmheader_open(struct rpmheader *h, const void *blob, size_t len);
/* The i-th index entry, checked. 0 or -1 (error_set). */
int rpmheader_entry_at(const struct rpmheader *h, uint32_t i,
    struct rpmheader_entry *e);
/* The first entry with tag: 1 found and checked, 0 absent, -1 malformed (error_set). */
int rpmheader_find(const struct rpmheader *h, uint32_t tag,
    struct rpmheader_entry *e);
/*
 * The next string of a string entry, from *pos (start at 0): NULL after
 * the last. The entry's check made every one end in NUL within it.
 */
const char *rpmheader_string(const struct rpmheader_entry *e, size_t *pos);
/* Value i of an integer entry (CHAR, INT8..INT64), or 0 past its count. */
uint64_t rpmheader_integer(const struct rpmheader_entry *e, uint32_t i);

#endif
