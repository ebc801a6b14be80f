/*
 * The nftables ruleset through libnftables: "list ruleset" with JSON,
 * numeric and buffered output, parsed into the document with its counters.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#ifdef HAVE_LIBNFTABLES
#include <nftables/libnftables.h>
#endif

#include "custody/error.h"

#include "live.h"
#include "live-firewall.h"

#ifdef HAVE_LIBNFTABLES

/*
 * Numeric everything (protocols, priorities, symbols such as marks and
 * realms, times, user and group ids), no reverse DNS and no service names:
 * the output then depends on the kernel alone, not on /etc/services,
 * /etc/protocols, /etc/iproute2 or /etc/passwd.
 */
#define FIREWALL_NFT_FLAGS \
	(NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_GUID | \
	NFT_CTX_OUTPUT_NUMERIC_ALL)

/* The kinds of object the ruleset holds, counted for the document. */
static const char *const firewall_nft_kinds[] = {
	"table", "chain", "rule", "set", "map", "element", "flowtable",
	"counter", "quota", "ct helper", "limit", "ct timeout", "ct expectation",
	"synproxy", "secmark",
};

/* Count the objects of each kind, and the elements of sets and maps. */
static int
firewall_nft_count(json_t *obj, json_t *ruleset)
{
	json_t *counts = json_object(), *item, *body, *elem;
	size_t i, k, n[sizeof firewall_nft_kinds / sizeof *firewall_nft_kinds];
	json_int_t elements = 0;

	if (counts == NULL)
		return error_set("out of memory");
	memset(n, 0, sizeof n);
	json_array_foreach(ruleset, i, item)
		for (k = 0; k < sizeof n / sizeof *n; k++) {
			if ((body = json_object_get(item,
			    firewall_nft_kinds[k])) == NULL)
				continue;
			n[k]++;
			elem = json_object_get(body, "elem");
			if (json_is_array(elem))
				elements += (json_int_t)json_array_size(elem);
		}
	for (k = 0; k < sizeof n / sizeof *n; k++)
		if (n[k] > 0 && json_object_set_new(counts,
		    firewall_nft_kinds[k], json_integer((json_int_t)n[k])) != 0)
			goto fail;
	if (json_object_set_new(counts, "set elements",
	    json_integer(elements)) != 0)
		goto fail;
	return json_object_set_new(obj, "counts", counts) == 0 ? 0 :
	    error_set("out of memory");
fail:
	json_decref(counts);
	return error_set("out of memory");
}

/* The text of libnftables' error buffer, trimmed, as a JSON string. */
static json_t *
firewall_nft_error_text(struct nft_ctx *ctx)
{
	const char *text = nft_ctx_get_error_buffer(ctx);
	size_t len;

	if (text == NULL || *text == '\0')
		return json_string("libnftables failed and said nothing");
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	return live_string(text, len);
}

/* Parse the JSON output into "ruleset" and "metainfo". */
static int
firewall_nft_parse(json_t *obj, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *top, *list, *item, *meta;

	top = json_loadb(text, len, JSON_DISABLE_EOF_CHECK, &jerr);
	list = json_object_get(top, "nftables");
	if (!json_is_array(list)) {
		json_decref(top);
		return json_object_set_new(obj, "error", json_sprintf(
		    "libnftables output is not an nftables document: %s",
		    jerr.text)) == 0 ? 0 : error_set("out of memory");
	}
	/* The first object says which libnftables wrote the rest. */
	item = json_array_get(list, 0);
	if ((meta = json_object_get(item, "metainfo")) != NULL) {
		if (json_object_set(obj, "metainfo", meta) != 0 ||
		    json_array_remove(list, 0) != 0)
			goto fail;
	}
	if (json_object_set(obj, "ruleset", list) != 0 ||
	    firewall_nft_count(obj, list) != 0)
		goto fail;
	json_decref(top);
	return 0;
fail:
	json_decref(top);
	return error_set("out of memory");
}

/* Run "list ruleset" and keep its output, within the cap. */
static int
firewall_nft_list(json_t *obj, struct nft_ctx *ctx, size_t cap)
{
	const char *text;
	size_t len;

	nft_ctx_output_set_flags(ctx, FIREWALL_NFT_FLAGS);
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0)
		return json_object_set_new(obj, "error",
		    json_string("libnftables: cannot buffer its output"));
	if (nft_run_cmd_from_buffer(ctx, "list ruleset") != 0)
		return json_object_set_new(obj, "error",
		    firewall_nft_error_text(ctx));
	text = nft_ctx_get_output_buffer(ctx);
	len = text == NULL ? 0 : strlen(text);
	if (json_object_set_new(obj, "output_size",
	    json_integer((json_int_t)len)) != 0)
		return -1;
	if (len > cap)
		return json_object_set_new(obj, "truncated", json_true()) != 0 ||
		    json_object_set_new(obj, "error", json_sprintf("ruleset of "
		    "%zu bytes over the cap of %zu bytes; not kept", len,
		    cap)) != 0 ? -1 : 0;
	if (len == 0)
		return json_object_set_new(obj, "ruleset", json_array());
	return firewall_nft_parse(obj, text, len);
}

/* Fill obj with the nftables ruleset. 0, or -1 when out of memory. */
int
firewall_nft(json_t *obj, size_t cap)
{
	struct nft_ctx *ctx;
	int rc;

	if ((ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		return json_object_set_new(obj, "error", json_sprintf(
		    "libnftables: cannot make a context: %s", strerror(errno)));
	rc = firewall_nft_list(obj, ctx, cap);
	nft_ctx_free(ctx);
	return rc == 0 ? 0 : error_set("out of memory");
}

#else

/* Built without libnftables (configure --without-libnftables). */
int
firewall_nft(json_t *obj, size_t cap)
{
	(void)cap;
	return json_object_set_new(obj, "error", json_string(
	    FIREWALL_NO_LIBNFTABLES)) == 0 ? 0 : error_set("out of memory");
}

#endif
