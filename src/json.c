// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The one JSON writer (json.h). */
#define _GNU_SOURCE
#include <string.h>
#include <inttypes.h>
#include <time.h>
#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->depth = 0;
	j->need_comma = false;
	j->pretty = pretty;
	j->field = NULL;
	j->field_ctx = NULL;
}

void json_init_fields(struct json *j, json_field_fn fn, void *ctx)
{
	json_init(j, NULL, false);
	j->field = fn;
	j->field_ctx = ctx;
}

/* A field sink takes the scalar instead of the stream: true when it did. */
static bool to_field(struct json *j, const char *key, const char *val, size_t len)
{
	if (!j->field)
		return false;
	j->field(j->field_ctx, key ? key : "", val, len);
	return true;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and out-of-range code points are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Each call stages its output (separator, key, value) in a small buffer and
 * hands it to stdio in one fwrite: per character and per token stdio calls
 * were most of the cost of an event storm. Nothing stays staged between
 * calls, so callers may still write to the FILE between them.
 */
struct jbuf {
	FILE *f;
	size_t n;
	char b[512];
};

static void jb_flush(struct jbuf *b)
{
	if (b->n)
		fwrite_unlocked(b->b, 1, b->n, b->f);
	b->n = 0;
}

static void jb_put(struct jbuf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b)) {
		jb_flush(b);
		if (n > sizeof(b->b)) {
			fwrite_unlocked(p, 1, n, b->f);
			return;
		}
	}
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void jb_putc(struct jbuf *b, char c)
{
	if (b->n == sizeof(b->b))
		jb_flush(b);
	b->b[b->n++] = c;
}

static void jb_puts(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* Bytes that go out as they are: printable ASCII but the two JSON escapes. */
static inline bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Runs of plain bytes and valid UTF-8 are copied whole. */
static void jb_string(struct jbuf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, n;

	jb_putc(b, '"');
	while (i < len) {
		unsigned char c = s[i];

		if (json_plain(c)) {
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_seq(s + i, len - i))) {
			i += n;
			continue;
		}
		jb_put(b, s + run, i - run);
		switch (c) {
		case '"': jb_puts(b, "\\\""); break;
		case '\\': jb_puts(b, "\\\\"); break;
		case '\n': jb_puts(b, "\\n"); break;
		case '\r': jb_puts(b, "\\r"); break;
		case '\t': jb_puts(b, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

				jb_put(b, esc, sizeof(esc));
			} else {
				jb_puts(b, "\\ufffd");	/* invalid UTF-8 */
			}
		}
		run = ++i;
	}
	jb_put(b, s + run, i - run);
	jb_putc(b, '"');
}

void json_write_string(FILE *f, const char *str, size_t len)
{
	struct jbuf b = { .f = f };

	jb_string(&b, str, len);
	jb_flush(&b);
}

static void jb_indent(struct jbuf *b, int depth)
{
	jb_putc(b, '\n');
	for (int i = 0; i < depth; i++)
		jb_puts(b, "  ");
}

static void json_sep(struct json *j, struct jbuf *b, const char *key)
{
	b->f = j->f;
	b->n = 0;
	if (j->need_comma)
		jb_putc(b, ',');
	if (j->pretty && j->depth)
		jb_indent(b, j->depth);
	if (key) {
		jb_string(b, key, strlen(key));
		jb_puts(b, j->pretty ? ": " : ":");
	}
	j->need_comma = true;
}

static void json_open(struct json *j, const char *key, char c)
{
	struct jbuf b;

	if (j->field) {
		j->depth++;
		return;
	}

	json_sep(j, &b, key);
	jb_putc(&b, c);
	jb_flush(&b);
	j->depth++;
	j->need_comma = false;
}

static void json_close(struct json *j, char c)
{
	struct jbuf b = { .f = j->f };

	if (j->field) {
		j->depth--;
		return;
	}
	j->depth--;
	if (j->pretty && j->need_comma)
		jb_indent(&b, j->depth);
	jb_putc(&b, c);
	j->need_comma = true;
	if (!j->depth) {
		jb_putc(&b, '\n');
		j->need_comma = false;
	}
	jb_flush(&b);
}

void json_obj_begin(struct json *j, const char *key) { json_open(j, key, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { json_open(j, key, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

void json_strn(struct json *j, const char *key, const char *val, size_t len)
{
	struct jbuf b;

	if (to_field(j, key, val, len))
		return;
	json_sep(j, &b, key);
	jb_string(&b, val, len);
	jb_flush(&b);
}

void json_str(struct json *j, const char *key, const char *val)
{
	if (!val) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, val, strlen(val));
}

/* Decimal digits by hand: fprintf's format parsing dominated number output. */
static void jb_u64(struct jbuf *b, uint64_t v, bool neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	jb_put(b, p, buf + sizeof(buf) - p);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	struct jbuf b;
	char num[24];

	if (j->field) {
		to_field(j, key, num, snprintf(num, sizeof(num), "%" PRIu64, val));
		return;
	}
	json_sep(j, &b, key);
	jb_u64(&b, val, false);
	jb_flush(&b);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	struct jbuf b;
	char num[24];

	if (j->field) {
		to_field(j, key, num, snprintf(num, sizeof(num), "%" PRId64, val));
		return;
	}
	json_sep(j, &b, key);
	jb_u64(&b, val < 0 ? -(uint64_t)val : (uint64_t)val, val < 0);
	jb_flush(&b);
}

void json_double(struct json *j, const char *key, double val)
{
	struct jbuf b;
	char num[32];

	if (to_field(j, key, num, snprintf(num, sizeof(num), "%.6g", val)))
		return;
	json_sep(j, &b, key);
	jb_put(&b, num, snprintf(num, sizeof(num), "%.6g", val));
	jb_flush(&b);
}

void json_bool(struct json *j, const char *key, bool val)
{
	struct jbuf b;

	if (to_field(j, key, val ? "true" : "false", val ? 4 : 5))
		return;
	json_sep(j, &b, key);
	jb_puts(&b, val ? "true" : "false");
	jb_flush(&b);
}

void json_null(struct json *j, const char *key)
{
	struct jbuf b;

	if (to_field(j, key, "null", 4))
		return;
	json_sep(j, &b, key);
	jb_puts(&b, "null");
	jb_flush(&b);
}

void json_time(struct json *j, const char *key, int64_t real_ns)
{
	/* Storms write thousands a second: the date and time of day are formatted
	 * once per second (per thread), the nanoseconds by hand. Before the epoch
	 * only from a broken clock: floor division keeps the fraction positive,
	 * as RFC 3339 wants. */
	static __thread int64_t cached_sec = INT64_MIN;
	static __thread char cached[32];
	int64_t sec = real_ns / 1000000000LL, ns = real_ns % 1000000000LL;
	char buf[48];
	size_t n;

	if (ns < 0) {
		ns += 1000000000LL;
		sec--;
	}
	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
			json_null(j, key);	/* not an RFC 3339 year */
			return;
		}
		snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_sec = sec;
	}
	n = strlen(cached);
	memcpy(buf, cached, n);
	for (int i = 8; i >= 0; i--, ns /= 10)
		buf[n + i] = '0' + ns % 10;
	buf[n + 9] = 'Z';
	json_strn(j, key, buf, n + 10);
}
