/* io.h: bounded reads and atomic writes of whole files, and safe printing of
 * untrusted text; what the CLI and other consumers use to load documents
 * and write outputs the way the library does. */
#ifndef GPUMATCH_IO_H
#define GPUMATCH_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "gpumatch/error.h"

/* Upper bound on documents gpumatch reads whole (JSON, XML, text). */
#define GM_MAX_DOC_BYTES (64u * 1024u * 1024u)

/* Reads a whole file (<= max bytes), NUL-terminated; *out is the caller's
 * to free; nothing is allocated on failure. */
int gm_read_file(const char *path, size_t max, char **out, size_t *len, gm_error *err);
/* Writes via temp file + rename in the same directory, so readers never see
 * a partial file and a failed write leaves the old file in place. */
int gm_write_file_atomic(const char *path, const char *data, size_t len, gm_error *err);
/* The same for a stream: write to the FILE, then gm_atomic_commit (ok=false
 * discards it). The replaced file's mode and owner are kept. gm_atomic_commit
 * closes f and frees tmp in every case. */
FILE *gm_atomic_open(const char *path, char **tmp, gm_error *err);
int gm_atomic_commit(FILE *f, char *tmp, const char *path, bool ok, gm_error *err);

/* Writes s with control characters escaped (\n, \t, \r, \xHH): for human
 * output of names read from images, documents and hosts. */
void gm_fputs_safe(FILE *f, const char *s);

/* true if typed is a likely typo of word (at most two edits, fewer than half
 * its letters; a truncation to more than half counts as one edit) and closer than *best, which it then lowers: for "did you
 * mean" over a list of verbs, options or fields (start *best at 3). */
bool gm_close_word(const char *typed, const char *word, size_t *best);

#endif
