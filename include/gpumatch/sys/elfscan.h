/* The per-file scanner under gm_inspect (advanced API: fuzzers, tests and
 * tools that walk files themselves). Its result, gm_elf_scan, is in
 * gpumatch/elfscan.h. */
#ifndef GPUMATCH_SYS_ELFSCAN_H
#define GPUMATCH_SYS_ELFSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include "gpumatch/elfscan.h"
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scans a file by path (mmap; pages outside headers are not touched unless
 * depth is VERIFY). Files that are not ELF/fatbin/cubin/PTX give kind OTHER. */
/* On failure *out is left empty (freeing it is harmless). */
int gm_elfscan_file(const char *path, gm_fatbin_depth depth, gm_elf_scan *out, gm_error *err);
/* Same over a buffer; name is used in messages and for the .ptx suffix.
 * The buffer is only read. */
int gm_elfscan_memory(const void *data, size_t len, const char *name, gm_fatbin_depth depth,
                      gm_elf_scan *out, gm_error *err);

/* True if the first bytes (at least 8 for a decision) look like input
 * gm_elfscan_* reads; used by walkers to skip other files cheaply. */
bool gm_elfscan_sniff(const void *head, size_t len, const char *name);

#ifdef __cplusplus
}
#endif
#endif
