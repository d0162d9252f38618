/*
 * ids.c - object identifiers.
 *
 * A curator's --id, or a generated one.  Either way an identifier is 1 to
 * 128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit:
 * safe in a URL path, a file name and an OAI-PMH identifier
 * (oai:NAMESPACE:ID) without escaping.  Identifiers never change once
 * assigned.
 *
 * Generated identifiers are "v" followed by a ULID in lower-case Crockford
 * base32 (26 characters: 48 bits of milliseconds since 1970, then 80
 * random bits), so they sort by creation time and never collide in
 * practice, even across machines.
 */
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "ingest.h"

int
ing_id_check(const char *id, struct vl_err *err)
{
	size_t i, n = id ? strlen(id) : 0;

	if (n == 0 || n > 128)
		return vl_err_set(err, VL_E_INVAL,
				  "identifier '%s' must be 1 to 128 characters",
				  id ? id : "");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("._-", c)))
			return vl_err_set(err, VL_E_INVAL,
					  "identifier '%s' may use only "
					  "letters, digits, '.', '_' and '-', "
					  "and must start with a letter or "
					  "digit",
					  id);
	}
	return 0;
}

int
ing_id_generate(char out[ING_ID_GEN_LEN], struct vl_err *err)
{
	static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char rnd[10];
	struct timespec ts;
	uint64_t ms;
	int i, bit;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return vl_err_set(err, VL_E_IO,
				  "no random bytes for an "
				  "identifier");
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	out[0] = 'v';
	/* 10 characters of time (50 bits, the top 2 always zero). */
	for (i = 0; i < 10; i++)
		out[1 + i] = b32[(ms >> (45 - 5 * i)) & 31];
	/* 16 characters of randomness: 80 bits, 5 at a time. */
	for (i = 0; i < 16; i++) {
		unsigned v = 0;
		int b;

		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			v = (v << 1) | ((rnd[bit / 8] >> (7 - bit % 8)) & 1);
		}
		out[11 + i] = b32[v];
	}
	out[27] = '\0';
	return 0;
}
