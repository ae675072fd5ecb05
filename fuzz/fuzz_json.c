// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the JSON writer (src/json.c): arbitrary bytes through
 * json_write_string() must give one strict JSON string literal (RFC 8259: valid
 * UTF-8, no raw control characters, only the standard escapes, no lone
 * surrogates) that decodes to the input with each byte of an invalid UTF-8
 * sequence replaced by U+FFFD. A whole object (json_obj_begin, json_strn as key
 * and value, json_obj_end) must also be one line. The checker is written from the
 * RFC, independently of json.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_json: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

/* Length of the valid UTF-8 sequence at s, 0 if invalid (RFC 3629, table 3-7). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static void put_utf8(unsigned char **o, uint32_t cp)
{
	unsigned char *p = *o;

	if (cp < 0x80) {
		*p++ = cp;
	} else if (cp < 0x800) {
		*p++ = 0xc0 | cp >> 6;
		*p++ = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		*p++ = 0xe0 | cp >> 12;
		*p++ = 0x80 | ((cp >> 6) & 0x3f);
		*p++ = 0x80 | (cp & 0x3f);
	} else {
		*p++ = 0xf0 | cp >> 18;
		*p++ = 0x80 | ((cp >> 12) & 0x3f);
		*p++ = 0x80 | ((cp >> 6) & 0x3f);
		*p++ = 0x80 | (cp & 0x3f);
	}
	*o = p;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

/* Parses the string literal at s[0..n) strictly; returns the bytes consumed and
 * the decoded UTF-8 in out (which must hold 4 * n bytes). Aborts if invalid. */
static size_t parse_string(const unsigned char *s, size_t n, unsigned char *out, size_t *outlen)
{
	unsigned char *o = out;
	size_t i = 1, k;
	uint32_t cp, lo;

	CHECK(n >= 2 && s[0] == '"');
	for (;;) {
		CHECK(i < n);
		if (s[i] == '"')
			break;
		CHECK(s[i] >= 0x20);	/* RFC 8259: control characters must be escaped */
		if (s[i] != '\\') {
			k = utf8_len(s + i, n - i);
			CHECK(k);	/* the output is valid UTF-8 */
			memcpy(o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		CHECK(i + 1 < n);
		switch (s[i + 1]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			CHECK(i + 6 <= n && !hex4(s + i + 2, &cp));
			if (cp >= 0xd800 && cp <= 0xdbff) {
				CHECK(i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u' &&
				      !hex4(s + i + 8, &lo) && lo >= 0xdc00 && lo <= 0xdfff);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			CHECK(cp < 0xdc00 || cp > 0xdfff);	/* no lone surrogate */
			put_utf8(&o, cp);
			i += 6;
			continue;
		default:
			CHECK(!"invalid escape");
		}
		i += 2;
	}
	*outlen = o - out;
	return i + 1;
}

/* What the decoded string must be: valid sequences kept, invalid bytes U+FFFD. */
static size_t expected(const unsigned char *s, size_t n, unsigned char *out)
{
	unsigned char *o = out;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(s + i, n - i);

		if (!k) {
			put_utf8(&o, 0xfffd);
			i++;
			continue;
		}
		memcpy(o, s + i, k);
		o += k;
		i += k;
	}
	return o - out;
}

static char *render(void (*fn)(FILE *, const uint8_t *, size_t), const uint8_t *d, size_t n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	CHECK(f);
	fn(f, d, n);
	CHECK(!fclose(f));
	return buf;
}

static void one_string(FILE *f, const uint8_t *d, size_t n)
{
	json_write_string(f, (const char *)d, n);
}

static void one_object(FILE *f, const uint8_t *d, size_t n)
{
	struct json j;
	char key[32];
	size_t kl = n < sizeof(key) - 1 ? n : sizeof(key) - 1;

	/* A key is a C string: the input up to the first NUL, at most 31 bytes. */
	memcpy(key, d, kl);
	key[kl] = 0;
	json_init(&j, f, n & 1);
	json_obj_begin(&j, NULL);
	json_strn(&j, key, (const char *)d, n);
	json_u64(&j, "n", n);
	json_arr_begin(&j, "a");
	json_strn(&j, NULL, (const char *)d, n / 2);
	json_arr_end(&j);
	json_obj_end(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len, used, dl, el;
	unsigned char *dec = malloc(4 * size + 16), *exp = malloc(4 * size + 16);
	char *s;

	CHECK(dec && exp);
	s = render(one_string, data, size, &len);
	used = parse_string((unsigned char *)s, len, dec, &dl);
	CHECK(used == len);	/* exactly one literal, nothing after it */
	el = expected(data, size, exp);
	CHECK(dl == el && !memcmp(dec, exp, dl));
	free(s);

	/* An object with the bytes as key and values: compact form is one line. */
	s = render(one_object, data, size, &len);
	CHECK(len >= 3 && s[0] == '{' && s[len - 1] == '\n');
	if (!(size & 1))
		CHECK(memchr(s, '\n', len) == s + len - 1);
	free(s);
	free(dec);
	free(exp);
	return 0;
}
