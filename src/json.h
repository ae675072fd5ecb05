/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one JSON writer: every JSON document splicewatch prints goes through it. */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A field sink (json_init_fields): key and value of one scalar, the value as
 * text: a string's bytes as they are (len bytes, not NUL-terminated, not
 * escaped), a number in decimal, true, false or null. */
typedef void (*json_field_fn)(void *ctx, const char *key, const char *val, size_t len);

struct json {
	FILE *f;
	int depth;
	bool need_comma;
	bool pretty;
	json_field_fn field;	/* set: scalars go to it, nothing is written */
	void *field_ctx;
};

void json_init(struct json *j, FILE *f, bool pretty);
/* No JSON text: every scalar a writer below is given goes to fn instead, with
 * its key (objects and arrays give nothing: the fields of a flat object, as
 * the journal output wants them). */
void json_init_fields(struct json *j, json_field_fn fn, void *ctx);
void json_obj_begin(struct json *j, const char *key);	/* key NULL at top level / in arrays */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_strn(struct json *j, const char *key, const char *val, size_t len);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* A wall-clock time (ns since the epoch) as an RFC 3339 UTC string with nine
 * fractional digits, "2026-12-04T15:43:32.123456789Z": exact, where an integer
 * above 2^53 is not in jq or JavaScript. */
void json_time(struct json *j, const char *key, int64_t real_ns);
/* Writes a JSON string literal for arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
void json_write_string(FILE *f, const char *s, size_t len);

#endif
