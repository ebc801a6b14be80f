/* The tar stream: compressed by libarchive, hashed as it is written. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "custody/compat.h"
#include "custody/error.h"
#include "custody/util.h"
#include "collector.h"

struct writer {
	struct archive		*archive;
	struct archive_entry	*entry;
	int			 fd;
	char			*final_path;	/* NULL: stdout */
	char			*temp_path;
	EVP_MD_CTX		*hash;
	uint64_t		 bytes;
	uint64_t		 flushed;	/* bytes whose write-back has been started */
	int			 write_errno;
};

/*
 * Start the write-back of every 8 MiB written, without waiting for it, so
 * that the fsync before the archive is named has little left to wait for:
 * on 1 GiB of logs it waited 0.35 s of a 2.4 s collection for the 230 MB
 * written. Only a hint: a kernel or file system without it changes nothing.
 */
#define WRITER_FLUSH_STEP	(8u * 1024 * 1024)

/*
 * The temporary file being written, for the signal handler: an
 * interrupted collection must not leave anything that looks complete.
 */
static char writer_signal_path[PATH_MAX];

/* Remove the temporary file and die by the same signal. */
static void
writer_on_signal(int sig)
{
	if (writer_signal_path[0] != '\0')
		unlink(writer_signal_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catch the signals that end a collection early (before the file exists). */
static void
writer_catch_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = writer_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* A parent may have blocked them; an interrupt must still clean up. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Stop catching signals once the file is in place (or gone). */
static void
writer_release_signals(void)
{
	writer_signal_path[0] = '\0';
}

/* libarchive's output callback: hash, count and write. */
static la_ssize_t
writer_write_callback(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct writer *w = arg;

	if (EVP_DigestUpdate(w->hash, buf, len) != 1 ||
	    util_write_all(w->fd, buf, len) != 0) {
		w->write_errno = errno != 0 ? errno : EIO;
		archive_set_error(a, w->write_errno, "%s", error_message());
		return -1;
	}
	w->bytes += len;
	if (w->final_path != NULL && w->bytes - w->flushed >= WRITER_FLUSH_STEP) {
		(void)sync_file_range(w->fd, (off_t)w->flushed,
		    (off_t)(w->bytes - w->flushed), SYNC_FILE_RANGE_WRITE);
		w->flushed = w->bytes;
	}
	return (la_ssize_t)len;
}

/*
 * Give zstd one worker more than there are online CPUs (at most 8). The
 * sink thread that feeds it also digests every byte, so with one worker
 * per CPU a core sat idle whenever the sink was behind: on two cores, 1 GiB
 * of logs went from 2.45-2.68 s to 2.34-2.38 s with three workers (four
 * gave nothing more).
 */
static int
writer_zstd_threads(struct archive *a)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char threads[16];

	if (cpus < 2)
		return ARCHIVE_OK;
	snprintf(threads, sizeof threads, "%ld", cpus >= 8 ? 8 : cpus + 1);
	return archive_write_set_filter_option(a, "zstd", "threads", threads);
}

/* Choose the compression filter and its options. */
static int
writer_set_filter(struct archive *a, const char *compress)
{
	int rc;

	if (strcmp(compress, "zstd") == 0) {
		/*
		 * Level 1 with a worker per CPU: on a host under investigation
		 * time matters more than the last few percent of size.
		 */
		rc = archive_write_add_filter_zstd(a);
		if (rc == ARCHIVE_OK)
			rc = archive_write_set_filter_option(a, "zstd",
			    "compression-level", "1");
		if (rc == ARCHIVE_OK)
			rc = writer_zstd_threads(a);
	} else if (strcmp(compress, "gzip") == 0)
		rc = archive_write_add_filter_gzip(a);
	else if (strcmp(compress, "xz") == 0)
		rc = archive_write_add_filter_xz(a);
	else if (strcmp(compress, "none") == 0)
		rc = archive_write_add_filter_none(a);
	else
		return error_set("unknown compression \"%s\" (zstd, gzip, xz, none)",
		    compress);
	if (rc != ARCHIVE_OK)
		return error_set("%s: %s", compress, archive_error_string(a));
	return 0;
}

/*
 * An unnamed 0600 file in the final name's directory (O_TMPFILE), given
 * its name only when complete: a crash, even SIGKILL, leaves nothing.
 * Linking it needs /proc. 0, 1 when a named temporary file must do, or -1.
 */
static int
writer_create_unnamed(struct writer *w, const char *dir)
{
	if (access("/proc/self/fd", X_OK) != 0)
		return 1;
	w->fd = compat_open_tmpfile(dir, O_WRONLY | O_CLOEXEC, 0600);
	if (w->fd >= 0)
		return 0;
	if (errno == EOPNOTSUPP)
		return 1;
	return error_set_errno("%s", dir);
}

/* Create the output: unnamed if possible, else a 0600 temporary file. */
static int
writer_create_temp(struct writer *w)
{
	char *copy, *dir, *base;
	int n;

	if ((copy = strdup(w->final_path)) == NULL)
		return error_set_errno("strdup");
	dir = dirname(copy);
	if ((n = writer_create_unnamed(w, dir)) != 1) {
		free(copy);
		return n;
	}
	base = basename(w->final_path);
	n = asprintf(&w->temp_path, "%s/.%s.partial-XXXXXX", dir, base);
	free(copy);
	if (n < 0)
		return error_set_errno("asprintf");
	writer_catch_signals();
	w->fd = mkostemp(w->temp_path, O_CLOEXEC);
	if (w->fd < 0) {
		error_set_errno("%s", w->temp_path);
		free(w->temp_path);
		w->temp_path = NULL;
		return -1;
	}
	snprintf(writer_signal_path, sizeof writer_signal_path, "%s", w->temp_path);
	return 0;
}

/* Prepare the libarchive writer over our callback. */
static int
writer_start_archive(struct writer *w, const char *compress)
{
	w->archive = archive_write_new();
	w->entry = archive_entry_new();
	if (w->archive == NULL || w->entry == NULL)
		return error_set("cannot allocate the archive writer");
	/*
	 * No padding after the last block: a zstd or xz stream followed by
	 * zeros is refused by the zstd and xz tools.
	 */
	/* Blocks of 1 MiB: one write (and one digest update) per MiB out. */
	if (archive_write_set_format_pax_restricted(w->archive) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->archive, 1024 * 1024) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->archive, 1) != ARCHIVE_OK ||
	    writer_set_filter(w->archive, compress) != 0)
		return error_set("archive: %s", archive_error_string(w->archive));
	if (archive_write_open2(w->archive, w, NULL, writer_write_callback, NULL,
	    NULL) != ARCHIVE_OK)
		return error_set("archive: %s", archive_error_string(w->archive));
	return 0;
}

/* Start an archive. */
struct writer *
writer_open(const char *final_path, const char *compress)
{
	struct writer *w = calloc(1, sizeof *w);

	if (w == NULL) {
		error_set_errno("calloc");
		return NULL;
	}
	w->fd = STDOUT_FILENO;
	if ((w->hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w->hash, EVP_sha256(), NULL) != 1) {
		error_set("cannot start sha256");
		goto fail;
	}
	if (final_path != NULL) {
		if ((w->final_path = strdup(final_path)) == NULL ||
		    writer_create_temp(w) != 0)
			goto fail;
	}
	if (writer_start_archive(w, compress) != 0)
		goto fail;
	return w;
fail:
	writer_abort(w);
	return NULL;
}

/* The temporary file's identity. */
int
writer_output_stat(const struct writer *w, struct stat *st)
{
	if (fstat(w->fd, st) != 0)
		return error_set_errno("fstat output");
	return 0;
}

/* Begin a member. */
int
writer_begin(struct writer *w, const char *path, int64_t size,
    const struct timespec *mtime)
{
	int rc;

	archive_entry_clear(w->entry);
	archive_entry_copy_pathname(w->entry, path);
	archive_entry_set_filetype(w->entry, AE_IFREG);
	archive_entry_set_perm(w->entry, 0644);
	archive_entry_set_size(w->entry, size);
	/*
	 * A time before 1970 goes in whole seconds: pax readers and writers
	 * disagree on what a fraction after a negative number means
	 * (libarchive writes -2.25 for 1.75 s before the epoch).
	 */
	archive_entry_set_mtime(w->entry, mtime->tv_sec, mtime->tv_sec < 0 ? 0 :
	    mtime->tv_nsec);
	/*
	 * A name that is not UTF-8 draws a warning: libarchive then stores
	 * its bytes as they are (pax hdrcharset=BINARY), which is what we want.
	 */
	rc = archive_write_header(w->archive, w->entry);
	if (rc != ARCHIVE_OK && (rc != ARCHIVE_WARN ||
	    util_utf8_valid(path, strlen(path))))
		return error_set("archive: %s", archive_error_string(w->archive));
	return 0;
}

/* Add member data. */
int
writer_data(struct writer *w, const void *data, size_t len)
{
	la_ssize_t n = archive_write_data(w->archive, data, len);

	if (n < 0 || (size_t)n != len)
		return error_set("archive: %s", archive_error_string(w->archive));
	return 0;
}

/* End a member. */
int
writer_end(struct writer *w)
{
	if (archive_write_finish_entry(w->archive) != ARCHIVE_OK)
		return error_set("archive: %s", archive_error_string(w->archive));
	return 0;
}

/* Flush the file and its directory, then move it into place. */
static int
writer_commit(struct writer *w)
{
	char *copy, *dir, proc[64];
	int dirfd;

	if (fsync(w->fd) != 0)
		return error_set_errno("fsync %s", w->final_path);
	if (w->temp_path == NULL) {
		/* linkat refuses to replace an existing file. */
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", w->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, w->final_path,
		    AT_SYMLINK_FOLLOW) != 0)
			return error_set_errno("%s", w->final_path);
	} else if (compat_rename_noreplace(w->temp_path, w->final_path) != 0) {
		return error_set_errno("%s", w->final_path);
	}
	writer_release_signals();
	if ((copy = strdup(w->final_path)) == NULL)
		return 0;
	dir = dirname(copy);
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dirfd);
		close(dirfd);
	}
	free(copy);
	return 0;
}

/* Finish the archive and put it in place. */
int
writer_close(struct writer *w, unsigned char sha256[32], uint64_t *bytes)
{
	unsigned len = 32;
	int rc = -1;

	if (archive_write_close(w->archive) != ARCHIVE_OK)
		error_set("archive: %s", archive_error_string(w->archive));
	else if (EVP_DigestFinal_ex(w->hash, sha256, &len) != 1)
		error_set("sha256 failed");
	else if (w->final_path == NULL)
		rc = 0;
	else
		rc = writer_commit(w);
	*bytes = w->bytes;
	if (rc == 0 && w->final_path != NULL) {
		free(w->temp_path);
		w->temp_path = NULL;
	}
	writer_abort(w);
	return rc;
}

/* Abandon the archive and remove the temporary file. */
void
writer_abort(struct writer *w)
{
	if (w == NULL)
		return;
	if (w->archive != NULL)
		archive_write_free(w->archive);
	archive_entry_free(w->entry);
	if (w->temp_path != NULL) {
		unlink(w->temp_path);
		free(w->temp_path);
	}
	if (w->final_path != NULL && w->fd >= 0)
		close(w->fd);
	writer_release_signals();
	EVP_MD_CTX_free(w->hash);
	free(w->final_path);
	free(w);
}
