/* Placeholder while the export is written: refuses. */
#include "config.h"

#include "custody/error.h"
#include "ledger.h"

/* Not yet: the export formats are being written. */
int
ledger_export(struct store *s, const char *format, FILE *out)
{
	(void)s, (void)out;
	return error_set("export to %s is not available yet", format);
}
