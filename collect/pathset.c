/* Paths already recorded as roots or hard links, so that one path is recorded once. */
#include "config.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "custody/error.h"

#include "collector.h"

/* Order paths for tsearch. */
static int
pathset_compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Add a path: 1 when new, 0 when there already, -1 out of memory. */
int
pathset_add(void **set, const char *path)
{
	char *copy = strdup(path), **found;

	if (copy == NULL)
		return error_set_errno("strdup");
	if ((found = tsearch(copy, set, pathset_compare)) == NULL) {
		free(copy);
		return error_set_errno("tsearch");
	}
	if (*found != copy) {
		free(copy);
		return 0;
	}
	return 1;
}

/* True when the path was added. */
bool
pathset_contains(void *const *set, const char *path)
{
	return tfind(path, set, pathset_compare) != NULL;
}

/* Free every path. */
void
pathset_free(void **set)
{
	tdestroy(*set, free);
	*set = NULL;
}
