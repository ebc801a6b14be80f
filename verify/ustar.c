/* The tar headers custody writes, read strictly, byte by byte. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"
#include "custody/util.h"
#include "ustar.h"

/* Where each ustar field lies in a header block (POSIX.1-2001 ustar). */
#define OFF_NAME	0
#define OFF_MODE	100
#define OFF_UID		108
#define OFF_GID		116
#define OFF_SIZE	124
#define OFF_MTIME	136
#define OFF_CHKSUM	148
#define OFF_TYPEFLAG	156
#define OFF_LINKNAME	157
#define OFF_MAGIC	257
#define OFF_VERSION	263
#define OFF_UNAME	265
#define OFF_GNAME	297
#define OFF_DEVMAJOR	329
#define OFF_DEVMINOR	337
#define OFF_PREFIX	345
#define OFF_PAD		500

/* True when n bytes are all zero. */
bool
ustar_all_zero(const unsigned char *data, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (data[i] != 0)
			return false;
	return true;
}

/* True when the block is all zero bytes. */
bool
ustar_is_zero(const unsigned char block[USTAR_BLOCK])
{
	return ustar_all_zero(block, USTAR_BLOCK);
}

/*
 * An octal field: at least one digit, then only spaces and NULs. Base-256
 * numbers, signs and leading spaces are not what custody writes, and
 * readers disagree on them.
 */
static int
ustar_octal(const unsigned char *field, size_t size, const char *what,
    uint64_t *value)
{
	size_t i = 0;

	*value = 0;
	while (i < size && field[i] >= '0' && field[i] <= '7') {
		if (*value > (UINT64_MAX >> 3))
			return error_set("header field %s overflows", what);
		*value = (*value << 3) | (uint64_t)(field[i] - '0');
		i++;
	}
	if (i == 0)
		return error_set("header field %s is not an octal number", what);
	for (; i < size; i++)
		if (field[i] != ' ' && field[i] != '\0')
			return error_set("header field %s is not an octal number", what);
	return 0;
}

/* The header checksum: unsigned byte sum with the checksum field as spaces. */
static int
ustar_checksum_ok(const unsigned char block[USTAR_BLOCK])
{
	uint64_t stored, sum = 0;
	size_t i;

	if (ustar_octal(block + OFF_CHKSUM, 8, "chksum", &stored) != 0)
		return error_set("not a tar header (no checksum)");
	for (i = 0; i < USTAR_BLOCK; i++)
		sum += i >= OFF_CHKSUM && i < OFF_CHKSUM + 8 ? ' ' : block[i];
	if (sum != stored)
		return error_set("not a tar header (its checksum is wrong)");
	return 0;
}

/* Length of a NUL-padded text field; *stray when bytes follow its end. */
static size_t
ustar_text(const unsigned char *field, size_t size, bool *stray)
{
	size_t len = 0, i;

	while (len < size && field[len] != '\0')
		len++;
	for (i = len; i < size; i++)
		if (field[i] != '\0')
			*stray = true;
	return len;
}

/* The member name: prefix "/" name, as raw bytes. */
static void
ustar_name(const unsigned char block[USTAR_BLOCK], struct ustar_header *h)
{
	size_t name_len = ustar_text(block + OFF_NAME, 100, &h->stray_bytes);
	size_t prefix_len = ustar_text(block + OFF_PREFIX, 155, &h->stray_bytes);
	size_t n = 0;

	if (prefix_len > 0) {
		memcpy(h->name, block + OFF_PREFIX, prefix_len);
		n = prefix_len;
		h->name[n++] = '/';
	}
	memcpy(h->name + n, block + OFF_NAME, name_len);
	n += name_len;
	h->name[n] = '\0';
	h->name_len = n;
}

/*
 * A time before 1970 in the mtime field, as libarchive writes one beside a
 * pax mtime record: base-256, a negative two's complement number. 0 or -1.
 */
static int
ustar_base256_time(const unsigned char *field, int64_t *value)
{
	unsigned char sign = field[0] & 0x40 ? 0xff : 0x00;
	uint64_t v = sign ? UINT64_MAX : 0;
	size_t i;

	if ((field[0] & 0x80) == 0)
		return -1;
	/* Bytes above the 64 bits kept must only extend the sign. */
	if ((field[0] & 0x7f) != (sign & 0x7f))
		return -1;
	for (i = 1; i < 4; i++)
		if (field[i] != sign)
			return -1;
	for (i = 4; i < 12; i++)
		v = (v << 8) | field[i];
	*value = (int64_t)v;
	return 0;
}

/* The numeric fields every header must carry as octal (mtime may be base-256). */
static int
ustar_numbers(const unsigned char block[USTAR_BLOCK], struct ustar_header *h)
{
	uint64_t mtime;

	if (ustar_octal(block + OFF_MODE, 8, "mode", &h->mode) != 0 ||
	    ustar_octal(block + OFF_UID, 8, "uid", &h->uid) != 0 ||
	    ustar_octal(block + OFF_GID, 8, "gid", &h->gid) != 0 ||
	    ustar_octal(block + OFF_SIZE, 12, "size", &h->size) != 0)
		return -1;
	if (ustar_base256_time(block + OFF_MTIME, &h->mtime) == 0) {
		h->mtime_base256 = true;
		return 0;
	}
	if (ustar_octal(block + OFF_MTIME, 12, "mtime", &mtime) != 0)
		return -1;
	h->mtime = (int64_t)mtime;
	return 0;
}

/* GNU tar's own test of a header: leading spaces, octal, either byte sum. */
bool
ustar_looks_like_header(const unsigned char block[USTAR_BLOCK])
{
	uint64_t stored = 0, unsigned_sum = 0;
	int64_t signed_sum = 0;
	size_t i = OFF_CHKSUM, digits = 0;

	while (i < OFF_CHKSUM + 8 && block[i] == ' ')
		i++;
	for (; i < OFF_CHKSUM + 8 && block[i] >= '0' && block[i] <= '7'; i++, digits++)
		stored = (stored << 3) | (uint64_t)(block[i] - '0');
	if (digits == 0)
		return false;
	for (i = 0; i < USTAR_BLOCK; i++) {
		unsigned char b = i >= OFF_CHKSUM && i < OFF_CHKSUM + 8 ? ' ' : block[i];

		unsigned_sum += b;
		signed_sum += (signed char)b;
	}
	return stored == unsigned_sum || (int64_t)stored == signed_sum;
}

/* Device fields: custody writes zeros; empty fields mean zero too. */
static void
ustar_devices(const unsigned char block[USTAR_BLOCK], struct ustar_header *h)
{
	bool empty_major = ustar_all_zero(block + OFF_DEVMAJOR, 8);
	bool empty_minor = ustar_all_zero(block + OFF_DEVMINOR, 8);

	h->devmajor = h->devminor = 0;
	if ((!empty_major && ustar_octal(block + OFF_DEVMAJOR, 8, "devmajor",
	    &h->devmajor) != 0) || (!empty_minor && ustar_octal(block +
	    OFF_DEVMINOR, 8, "devminor", &h->devminor) != 0))
		h->has_devices = true;
	if (h->devmajor != 0 || h->devminor != 0)
		h->has_devices = true;
}

/* Decode a header block. */
int
ustar_header_parse(const unsigned char block[USTAR_BLOCK], struct ustar_header *h)
{
	bool stray = false;
	size_t i;

	memset(h, 0, sizeof *h);
	if (ustar_checksum_ok(block) != 0)
		return -1;
	h->typeflag = (char)block[OFF_TYPEFLAG];
	ustar_name(block, h);
	if (ustar_numbers(block, h) != 0)
		return -2;
	h->size_known = true;
	/* A tar header, but perhaps of another format than custody writes. */
	if (memcmp(block + OFF_MAGIC, "ustar\0" "00", 8) != 0)
		h->other_format = memcmp(block + OFF_MAGIC, "ustar  \0", 8) == 0 ?
		    "it is an old GNU tar header" : "it is a pre-POSIX tar header";
	h->has_linkname = ustar_text(block + OFF_LINKNAME, 100, &stray) > 0;
	h->has_uname = ustar_text(block + OFF_UNAME, 32, &stray) > 0 ||
	    ustar_text(block + OFF_GNAME, 32, &stray) > 0;
	ustar_devices(block, h);
	for (i = OFF_PAD; i < USTAR_BLOCK; i++)
		if (block[i] != 0)
			stray = true;
	h->stray_bytes |= stray;
	error_clear();
	return 0;
}

/* Append one clause to a sentence being built in out. */
static void
ustar_clause(char *out, size_t size, const char *text)
{
	size_t used = strlen(out);

	snprintf(out + used, size - used, "%s%s", used > 0 ? "; " : "", text);
}

/* What in a regular file's header differs from what custody writes. */
bool
ustar_header_unusual(const struct ustar_header *h, char *out, size_t size)
{
	char text[96];

	out[0] = '\0';
	if (h->other_format != NULL)
		ustar_clause(out, size, h->other_format);
	if (h->mode != 0644) {
		snprintf(text, sizeof text, "mode %04llo where custody writes 0644",
		    (unsigned long long)h->mode);
		ustar_clause(out, size, text);
	}
	if (h->uid != 0 || h->gid != 0) {
		snprintf(text, sizeof text, "owner %llu:%llu where custody writes 0:0",
		    (unsigned long long)h->uid, (unsigned long long)h->gid);
		ustar_clause(out, size, text);
	}
	if (h->has_uname)
		ustar_clause(out, size, "owner or group names (custody leaves them empty)");
	if (h->has_linkname)
		ustar_clause(out, size, "a link name");
	if (h->has_devices)
		ustar_clause(out, size, "device numbers");
	if (h->stray_bytes)
		ustar_clause(out, size, "bytes hidden after a field's end or in the padding");
	return out[0] != '\0';
}

/* A description of a typeflag custody never writes. */
const char *
ustar_type_name(char typeflag)
{
	switch (typeflag) {
	case '\0':	return "old-style regular file (typeflag NUL)";
	case '1':	return "hard link";
	case '2':	return "symbolic link";
	case '3':	return "character device";
	case '4':	return "block device";
	case '5':	return "directory";
	case '6':	return "FIFO";
	case '7':	return "contiguous file";
	case 'g':	return "pax global header";
	case 'x':	return "pax extended header";
	case 'L':	return "GNU long name record";
	case 'K':	return "GNU long link name record";
	case 'S':	return "GNU sparse file";
	case 'V':	return "volume label";
	case 'M':	return "multi-volume continuation";
	case 'D':	return "GNU dump directory";
	case 'N':	return "GNU long file names record";
	default:	return "member of an unknown type";
	}
}

/* A decimal number filling text exactly: digits only, no sign. */
static int
ustar_decimal(const char *text, size_t len, uint64_t *value)
{
	size_t i;

	*value = 0;
	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		*value = *value * 10 + (uint64_t)(text[i] - '0');
	}
	return 0;
}

/* A pax time: optional minus, digits, optionally a point and digits. */
static bool
ustar_pax_time_ok(const char *text, size_t len)
{
	size_t i = 0, digits = 0, fraction = 0;

	if (i < len && text[i] == '-')
		i++;
	while (i < len && text[i] >= '0' && text[i] <= '9')
		i++, digits++;
	if (i < len && text[i] == '.') {
		i++;
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++, fraction++;
		if (fraction == 0)
			return false;
	}
	return digits > 0 && digits <= 18 && fraction <= 9 && i == len;
}

/* Note a key custody does not write: counted always, named while there is room. */
static void
ustar_pax_other(struct ustar_pax *p, const char *key, size_t len)
{
	size_t used = strlen(p->other_keys);
	char *escaped;

	if (p->other_count++ > 0 && used + 2 < sizeof p->other_keys) {
		memcpy(p->other_keys + used, ", ", 3);
		used += 2;
	}
	escaped = util_escape(key, len);
	snprintf(p->other_keys + used, sizeof p->other_keys - used, "%s",
	    escaped != NULL ? escaped : "?");
	free(escaped);
	if (strlen(p->other_keys) + 1 == sizeof p->other_keys)
		memcpy(p->other_keys + sizeof p->other_keys - 4, "...", 4);
}

/* A pax time into seconds and nanoseconds (its syntax already checked). */
static void
ustar_pax_time(const char *text, size_t len, int64_t *sec, long *nsec)
{
	size_t i = 0, digits = 0;
	bool negative = i < len && text[i] == '-';
	int64_t s = 0;
	long n = 0;

	if (negative)
		i++;
	for (; i < len && text[i] != '.'; i++)
		s = s * 10 + (text[i] - '0');
	if (i < len)
		i++;
	for (; i < len; i++, digits++)
		n = n * 10 + (text[i] - '0');
	for (; digits < 9; digits++)
		n *= 10;
	/* -1.25 is 1.25 s before the epoch: second -2, 750 ms. */
	if (negative && n > 0) {
		s = -s - 1;
		n = 1000000000L - n;
	} else if (negative)
		s = -s;
	*sec = s;
	*nsec = n;
}

/* Note the first malformed record. */
static void
ustar_pax_malformed(struct ustar_pax *p, size_t offset, const char *why)
{
	if (p->malformed[0] == '\0')
		snprintf(p->malformed, sizeof p->malformed,
		    "malformed pax record at byte %zu: %s", offset, why);
}

/* Apply one record's key and value; every key custody writes at most once. */
static int
ustar_pax_record(struct ustar_pax *p, const char *key, size_t key_len,
    const char *value, size_t len, size_t offset)
{
#define KEY_IS(k) (key_len == sizeof(k) - 1 && memcmp(key, k, key_len) == 0)
	if (memchr(key, '\0', key_len) != NULL)
		ustar_pax_malformed(p, offset, "a key with a NUL byte");
	else if (KEY_IS("path")) {
		if (p->path != NULL)
			ustar_pax_malformed(p, offset, "a second path record");
		else if ((p->path = malloc(len + 1)) == NULL)
			return error_set_errno("malloc");
		else {
			memcpy(p->path, value, len);
			p->path[len] = '\0';
			p->path_len = len;
		}
	} else if (KEY_IS("size")) {
		if (p->has_size)
			ustar_pax_malformed(p, offset, "a second size record");
		else if (ustar_decimal(value, len, &p->size) != 0)
			ustar_pax_malformed(p, offset, "size is not a decimal number");
		p->has_size = true;
	} else if (KEY_IS("mtime")) {
		if (p->has_mtime)
			ustar_pax_malformed(p, offset, "a second mtime record");
		else if (!ustar_pax_time_ok(value, len))
			ustar_pax_malformed(p, offset, "mtime is not a time");
		else
			ustar_pax_time(value, len, &p->mtime_sec, &p->mtime_nsec);
		p->has_mtime = true;
	} else if (KEY_IS("hdrcharset")) {
		if (p->has_charset)
			ustar_pax_malformed(p, offset, "a second hdrcharset record");
		else if (len == 6 && memcmp(value, "BINARY", 6) == 0)
			p->binary_names = true;
		else if (!(len == 23 && memcmp(value, "ISO-IR 10646 2000 UTF-8", 23) == 0))
			ustar_pax_malformed(p, offset, "unknown hdrcharset");
		p->has_charset = true;
	} else
		ustar_pax_other(p, key, key_len);
	return 0;
#undef KEY_IS
}

/* Decode a pax extended header: records "LEN key=value\n" filling it exactly. */
int
ustar_pax_parse(const char *data, size_t len, struct ustar_pax *p)
{
	size_t offset = 0, digits, record;
	const char *space, *equals, *end;
	uint64_t n;

	memset(p, 0, sizeof *p);
	while (offset < len && p->malformed[0] == '\0') {
		space = memchr(data + offset, ' ', len - offset);
		digits = space != NULL ? (size_t)(space - (data + offset)) : 0;
		if (space == NULL || ustar_decimal(data + offset, digits, &n) != 0 ||
		    n > len - offset || n < digits + 4) {
			ustar_pax_malformed(p, offset, "bad length");
			break;
		}
		record = (size_t)n;
		end = data + offset + record - 1;
		equals = memchr(space + 1, '=', (size_t)(end - (space + 1)));
		if (*end != '\n' || equals == NULL || equals == space + 1) {
			ustar_pax_malformed(p, offset, "no newline or no key");
			break;
		}
		if (ustar_pax_record(p, space + 1, (size_t)(equals - space - 1),
		    equals + 1, (size_t)(end - equals - 1), offset) != 0)
			return -1;
		offset += record;
	}
	return 0;
}

/* Release a decoded pax header. */
void
ustar_pax_free(struct ustar_pax *p)
{
	free(p->path);
	p->path = NULL;
}

/* Why a member name is not one custody writes; NULL when it is. */
const char *
ustar_name_problem(const char *name, size_t len)
{
	size_t start = 0, end, n;

	if (len == 0)
		return "empty name";
	if (len > USTAR_NAME_MAX)
		return "name longer than 4096 bytes";
	if (memchr(name, '\0', len) != NULL)
		return "name holds a NUL byte, which tar cuts it at";
	if (name[0] == '/')
		return "absolute name";
	while (start <= len) {
		end = start;
		while (end < len && name[end] != '/')
			end++;
		n = end - start;
		if (n == 0)
			return "name with an empty component (\"//\" or a trailing \"/\")";
		if ((n == 1 && name[start] == '.') ||
		    (n == 2 && name[start] == '.' && name[start + 1] == '.'))
			return "name with a \".\" or \"..\" component";
		start = end + 1;
	}
	return NULL;
}
