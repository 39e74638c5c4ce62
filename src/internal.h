/* Helpers shared by library modules; not part of the public API. */
#ifndef GM_INTERNAL_H
#define GM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"

/* Upper bound on documents gpumatch reads whole (JSON, XML, text). */
#define GM_MAX_DOC_BYTES (64u * 1024u * 1024u)

char *gm_strdup(const char *s);           /* NULL-safe; NULL on NULL */
char *gm_strndup(const char *s, size_t n);
char *gm_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *gm_xcalloc(size_t n, size_t size);  /* NULL on overflow or OOM */
/* Grows *arr (of *cap elements of size) to hold need; 0 or GM_ENOMEM. */
int gm_grow(void **arr, size_t *cap, size_t need, size_t size);
/* For messages: the text, shortened to at most 40 chars with "..." */
const char *gm_quote(const char *s, char buf[64]);

/* Reads a whole file (<= max bytes), NUL-terminated. */
int gm_read_file(const char *path, size_t max, char **out, size_t *len, gm_error *err);
/* Writes via temp file + rename in the same directory, so readers never see
 * a partial file and a failed write leaves the old file in place. */
int gm_write_file_atomic(const char *path, const char *data, size_t len, gm_error *err);

/* ---- strict JSON reading: every error names origin and JSON path ---- */
typedef struct {
    const char *origin; /* file name for messages */
} gm_jctx;

json_t *gm_json_loadb(const char *text, size_t len, const gm_jctx *c, gm_error *err);
/* Error if obj has a key not in allowed (NULL-terminated). */
int gm_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                       const gm_jctx *c, gm_error *err);
/* Field readers: missing -> *present=false (if present non-NULL) or error when required. */
int gm_json_str(const json_t *obj, const char *key, const char *path, bool required,
                const char **out, const gm_jctx *c, gm_error *err);
int gm_json_long(const json_t *obj, const char *key, const char *path, bool required, long min,
                 long max, long *out, bool *present, const gm_jctx *c, gm_error *err);
int gm_json_bool(const json_t *obj, const char *key, const char *path, bool *out, bool *present,
                 const gm_jctx *c, gm_error *err);
/* A version-like field given as string or number ("8.0" or 8.0 or 12040). Text in buf. */
int gm_json_verstr(const json_t *obj, const char *key, const char *path, bool required,
                   char *buf, size_t buflen, bool *present, const gm_jctx *c, gm_error *err);
int gm_json_err(gm_error *err, const gm_jctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A document that is a list: `[...]`, `{"KEY": [...]}`, or (single_ok) one object.
 * Calls each() per element with its JSON path; stops at the first error. */
typedef int (*gm_json_each_fn)(void *ctx, const json_t *elem, const char *path, const gm_jctx *c,
                               gm_error *err);
int gm_json_parse_list(const char *text, size_t len, const char *origin, const char *key,
                       bool single_ok, const char *what, gm_json_each_fn each, void *ctx,
                       gm_error *err);
/* Reads path (bounded) and hands its text to parse(text, len, origin=path, out, err). */
typedef int (*gm_parse_fn)(const char *text, size_t len, const char *origin, void *out,
                           gm_error *err);
int gm_load_with(const char *path, gm_parse_fn parse, void *out, gm_error *err);
/* json_dumps with gpumatch's formatting (indent 2, key order kept) + newline. */
char *gm_json_dump(json_t *j, gm_error *err);

/* Growable text buffer. */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} gm_buf;
void gm_buf_printf(gm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the text (caller frees) or NULL with GM_ENOMEM in err. */
char *gm_buf_finish(gm_buf *b, gm_error *err);

#endif
