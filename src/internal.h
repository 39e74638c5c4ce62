/* Helpers shared by library modules; not part of the public API. */
#ifndef GM_INTERNAL_H
#define GM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/io.h" /* GM_MAX_DOC_BYTES, file reads/writes, gm_fputs_safe */

/* Largest SM number a scanner may report: what gm_target_parse accepts
 * (sm_XY or sm_XYZ), so every target inspect writes can be checked. */
#define GM_SM_MAX 999

char *gm_strdup(const char *s);           /* NULL-safe; NULL on NULL */
char *gm_strndup(const char *s, size_t n);
char *gm_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *gm_xcalloc(size_t n, size_t size);  /* NULL on overflow or OOM */
/* Grows *arr (of *cap elements of size) to hold need; 0 or GM_ENOMEM. */
int gm_grow(void **arr, size_t *cap, size_t need, size_t size);
/* For messages: the text, shortened to at most 40 chars with "..." */
const char *gm_quote(const char *s, char buf[64]);

/* ---- files inside an untrusted tree (util/fs.c) ---- */
struct stat;
/* openat() of a relative path that stays beneath dirfd: openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, else one O_NOFOLLOW openat per
 * component. -1 with errno: ELOOP (a symlink on the way), EXDEV ("..",
 * absolute), or openat's own. O_CLOEXEC is added. */
int gm_open_beneath(int dirfd, const char *path, int flags);
/* The fallback alone (tests run it on kernels that have openat2). */
int gm_open_beneath_walk(int dirfd, const char *path, int flags);
/* Same, read-only, O_NONBLOCK (a FIFO never blocks), and only a regular file
 * (else -1, errno EINVAL); fills st when non-NULL. */
int gm_open_regular_beneath(int dirfd, const char *path, struct stat *st);
/* Wording for the errno of the two calls above ("a symbolic link ..."). */
const char *gm_open_errstr(int e);

/* Runs fn(arg); a SIGBUS on this thread meanwhile (a mapped file truncated
 * under the scan) ends it with GM_EIO and *faulted = true instead of killing
 * the process. What fn had allocated may leak then: callers free their own
 * results; libelf handles opened inside are lost (a rare, bounded event). */
int gm_sigbus_guard(int (*fn)(void *), void *arg, bool *faulted);
/* gm_elfscan_memory over a mapped file, under the guard (elfscan.c). */
#include "gpumatch/sys/elfscan.h"
#include "gpumatch/sys/fatbin.h"
/* Fat binaries (src/fatbin.c): the decompression budget for an input of len
 * bytes, and a parse that draws on a budget shared by several ranges (the
 * sections of one file): spent is what earlier ranges used; *over_budget
 * (may be NULL) says the budget stopped it. gm_fatbin_parse is this with the
 * range's own budget. */
uint64_t gm_fatbin_budget(uint64_t len);
/* release: data is a read-only file mapping whose pages behind the parse may
 * be dropped (gm_release_pages) so resident memory stays at a window. */
int gm_fatbin_parse_within(const void *data, size_t len, const char *origin, uint64_t base,
                           gm_fatbin_depth depth, uint64_t spent, uint64_t budget,
                           bool *over_budget, bool release, gm_fatbin *out, gm_error *err);
/* Drops the whole pages of [base+from, base+to) from this process. Only for
 * read-only file mappings: a page touched again comes back from the page
 * cache, so a scan of a big mapped file keeps a window resident, not the
 * file (mapped pages count in RSS). */
void gm_release_pages(const void *base, size_t from, size_t to);
/* Bytes a mapped scan moves on before dropping what lies behind it. */
#define GM_RELEASE_STEP (4u * 1024 * 1024)
int gm_elfscan_mapped(const void *data, size_t len, const char *name, gm_fatbin_depth depth,
                      gm_elf_scan *out, gm_error *err);

/* ---- untrusted text going out (util/text.c) ---- */
/* gm_fputs_safe (gpumatch/io.h) into a new string; NULL on OOM */
char *gm_escape_ctl(const char *s);
/* Offset of the first byte that breaks UTF-8 (RFC 3629), or -1. */
long gm_utf8_bad_offset(const char *s, size_t n);
/* A JSON string of s, or NULL and GM_EINVAL "WHAT "s": not valid UTF-8 (byte
 * 0xHH at offset N)": jansson cannot carry other bytes, and dropping the
 * string (json_pack / json_string returning NULL) would change the output. */
json_t *gm_json_text(const char *s, const char *what, gm_error *err);
/* The same check alone: 0, or GM_EINVAL with that message (NULL s is fine). */
int gm_utf8_check(const char *s, const char *what, gm_error *err);

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
/* A JSON array of the list's strings (json_string's rules for each). */
json_t *gm_json_strlist(const gm_strlist *l);
/* One RFC 4180 CSV field, always quoted. */
void gm_csv_field(FILE *f, const char *s);

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
