/* Fat binary scanning, below gm_inspect (advanced API: fuzzers, tests and
 * tools that read .nv_fatbin sections themselves). The types it fills are in
 * gpumatch/fatbin.h. */
#ifndef GPUMATCH_SYS_FATBIN_H
#define GPUMATCH_SYS_FATBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/error.h"
#include "gpumatch/fatbin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Compressed entries up to this size are decompressed (at every depth) to
 * tell kernel-less modules apart; larger ones count as defining code. */
#define GM_FATBIN_KERNEL_PROBE_MAX (64u * 1024)

/* Compares toolkit versions "13.0.88" / "12.8" numerically ("" is oldest). */
int gm_fatbin_tool_cmp(const char *a, const char *b);

/* Parses [data, data+len). origin names the input in messages ("app:.nv_fatbin");
 * base is added to offsets in messages (the section's file offset). Zero bytes
 * between or after regions (alignment padding) are skipped. */
int gm_fatbin_parse(const void *data, size_t len, const char *origin, uint64_t base,
                    gm_fatbin_depth depth, gm_fatbin *out, gm_error *err);

/* A device ELF image (cubin): header, e_flags and, when full is true and the
 * section headers are inside len, the .note.nv.tkinfo toolkit version. */
int gm_cubin_probe(const void *data, size_t len, bool full, const char *origin, uint64_t base,
                   gm_cubin_info *out, gm_error *err);

/* PTX text: finds `.version X.Y` and `.target sm_XY[a|f]` before the first
 * non-directive line. Reads at most len bytes. */
int gm_ptx_probe(const char *text, size_t len, const char *origin, gm_ptx_info *out,
                 gm_error *err);

/* Decompresses an entry's payload (head only when cap < uncompressed size).
 * Writes up to cap bytes to out and the count to *got. */
int gm_fatbin_entry_decompress(const void *range, size_t range_len, const gm_fatbin_entry *e,
                               void *out, size_t cap, size_t *got, const char *origin,
                               uint64_t base, gm_error *err);

#ifdef __cplusplus
}
#endif
#endif
