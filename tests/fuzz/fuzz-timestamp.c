/*
 * Fuzz target: RFC 3161 time-stamp requests and responses. The input is a
 * request's length (2 bytes, big-endian), the request, then the response.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "custody/tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char digest[32], *token;
	size_t request_len, token_len;
	time_t when;

	if (size < 2)
		return 0;
	request_len = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (request_len > size)
		request_len = size;
	(void)tsa_request_digest(data, request_len, digest);
	if (tsa_check_response(data, request_len, data + request_len,
	    size - request_len, NULL, &token, &token_len, &when) == 0)
		free(token);
	return 0;
}
