/* The devices source: block devices and USB devices, from /sys. */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "custody/error.h"
#include "custody/util.h"

#include "collector.h"
#include "live.h"

#define LIVE_DEVICES_MAX	100000	/* of each kind */

/* Copy attribute files of a device directory into an object (null when absent). */
static void
live_device_values(json_t *d, int fd, const char *const *names, size_t n,
    json_t *problems)
{
	json_t *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = live_sysfs_value(fd, names[i], LIVE_SYSFS_VALUE_MAX, problems);
		json_object_set_new(d, names[i], v != NULL ? v : json_null());
	}
}

/* The disk a partition belongs to: the directory above it in the link's target. */
static json_t *
live_block_parent(int classfd, const char *name)
{
	char target[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlinkat(classfd, name, target, sizeof target - 1)) < 0)
		return json_null();
	target[n] = '\0';
	if ((slash = strrchr(target, '/')) == NULL)
		return json_null();
	*slash = '\0';
	slash = strrchr(target, '/');
	return live_string(slash != NULL ? slash + 1 : target,
	    strlen(slash != NULL ? slash + 1 : target));
}

/* Size in bytes from the "size" attribute (512-byte sectors). */
static void
live_block_size(json_t *d)
{
	unsigned long long sectors;
	json_t *size = json_object_get(d, "size");

	if (json_is_string(size) && live_decimal(json_string_value(size), &sectors) &&
	    sectors < (1ULL << 54))
		json_object_set_new(d, "size_bytes", json_integer((json_int_t)(sectors * 512)));
	else
		json_object_set_new(d, "size_bytes", json_null());
}

/* One entry of /sys/class/block. */
static json_t *
live_block_device(int classfd, const char *name)
{
	static const char *own[] = { "dev", "size", "removable", "ro",
	    "partition", "start", "serial", "wwid", "dm/name", "dm/uuid",
	    "device/model", "device/vendor", "device/serial", "device/rev",
	    "queue/rotational" };
	json_t *d, *problems;
	int fd;

	/* /sys/class/block/NAME is a link the kernel made to the device. */
	if ((fd = openat(classfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	d = json_object();
	problems = json_object();
	live_set_bytes(d, "name", name, strlen(name));
	live_device_values(d, fd, own, sizeof own / sizeof own[0], problems);
	live_block_size(d);
	json_object_set_new(d, "disk", json_is_null(json_object_get(d,
	    "partition")) ? json_null() : live_block_parent(classfd, name));
	json_object_set_new(d, "holders", live_sysfs_names(fd, "holders"));
	json_object_set_new(d, "slaves", live_sysfs_names(fd, "slaves"));
	json_object_set_new(d, "errors", problems);
	close(fd);
	return d;
}

/* The connect time of a USB device: now less power/connected_duration (ms). */
static void
live_usb_connected(json_t *d)
{
	unsigned long long ms;
	struct timespec now;
	char text[UTIL_TIME_SIZE];
	json_t *duration = json_object_get(d, "power/connected_duration");

	json_object_set_new(d, "connected_utc", json_null());
	if (!json_is_string(duration) ||
	    !live_decimal(json_string_value(duration), &ms))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_sec -= (time_t)(ms / 1000);
	now.tv_nsec -= (long)(ms % 1000) * 1000000;
	if (now.tv_nsec < 0) {
		now.tv_sec--;
		now.tv_nsec += 1000000000;
	}
	util_time_format(&now, text);
	json_object_set_new(d, "connected_utc", json_string(text));
}

/* One entry of /sys/bus/usb/devices that is a device (not an interface). */
static json_t *
live_usb_device(int busfd, const char *name)
{
	static const char *own[] = { "idVendor", "idProduct", "manufacturer",
	    "product", "serial", "speed", "busnum", "devnum", "devpath",
	    "version", "bDeviceClass", "bcdDevice", "authorized", "removable",
	    "power/connected_duration" };
	json_t *d, *problems;
	int fd;

	if (strchr(name, ':') != NULL)
		return NULL;
	if ((fd = openat(busfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	d = json_object();
	problems = json_object();
	live_set_bytes(d, "name", name, strlen(name));
	live_device_values(d, fd, own, sizeof own / sizeof own[0], problems);
	live_usb_connected(d);
	json_object_set_new(d, "errors", problems);
	close(fd);
	return d;
}

/* Every entry of a /sys directory described by fn into doc[key]. */
static void
live_device_list(json_t *doc, json_t *errors, const char *key,
    const char *path, json_t *(*fn)(int, const char *))
{
	json_t *list = json_array(), *d;
	struct dirent *de;
	bool truncated = false;
	char flag[64];
	DIR *dir;

	if ((dir = opendir(path)) == NULL) {
		if (errno == ENOENT)
			json_object_set_new(doc, key, list);
		else {
			error_set_errno("%s", path);
			live_note(errors);
			json_decref(list);
			json_object_set_new(doc, key, json_null());
		}
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (json_array_size(list) == LIVE_DEVICES_MAX) {
			truncated = true;
			break;
		}
		if ((d = fn(dirfd(dir), de->d_name)) != NULL)
			json_array_append_new(list, d);
	}
	closedir(dir);
	snprintf(flag, sizeof flag, "%s_truncated", key);
	json_object_set_new(doc, flag, json_boolean(truncated));
	json_object_set_new(doc, key, list);
}

/* The devices source: what storage and USB devices are attached. */
static int
live_devices_fill(struct live_run *run)
{
	live_device_list(run->doc, run->errors, "block", "/sys/class/block",
	    live_block_device);
	live_device_list(run->doc, run->errors, "usb", "/sys/bus/usb/devices",
	    live_usb_device);
	if (access("/sys/bus/usb/devices", F_OK) != 0)
		json_object_set_new(run->doc, "usb_note",
		    json_string("no USB bus (/sys/bus/usb/devices absent)"));
	return 0;
}

const struct live_reader live_reader_devices = {
	.origin = "/sys/class/block, /sys/bus/usb/devices",
	.fill = live_devices_fill,
};
