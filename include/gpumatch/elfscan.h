/* Host file scanner: finds the device code and CUDA dependencies of one file.
 * Executables, shared objects, relocatable objects and static archives are
 * read with libelf (only the section headers, the fat binary sections and the
 * dynamic section are touched); standalone .fatbin, .cubin and .ptx files are
 * recognised by their first bytes. Facts only: turning them into requirements
 * is inspect.h's job. */
#ifndef GPUMATCH_ELFSCAN_H
#define GPUMATCH_ELFSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/common.h"
#include "gpumatch/error.h"
#include "gpumatch/fatbin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GM_FILE_OTHER = 0, /* not something gpumatch reads: no error, no facts */
    GM_FILE_EXEC,      /* ELF ET_EXEC, or ET_DYN with an interpreter (PIE) */
    GM_FILE_SHARED,    /* ELF ET_DYN */
    GM_FILE_OBJECT,    /* ELF ET_REL */
    GM_FILE_ARCHIVE,   /* ar archive of objects */
    GM_FILE_FATBIN,    /* standalone fat binary */
    GM_FILE_CUBIN,     /* standalone device ELF */
    GM_FILE_PTX        /* standalone PTX text */
} gm_file_kind;

/* One fat binary section (or a standalone file's synthetic one). */
typedef struct {
    char *member;       /* archive member ("cuda_device_runtime.o"), NULL otherwise */
    char *section;      /* ".nv_fatbin" / "__nv_relfatbin"; NULL for standalone files */
    uint64_t offset;    /* file offset of the section's first byte */
    uint64_t size;
    bool relocatable;   /* __nv_relfatbin: input to device linking */
    /* What a loader (and cuobjdump's default listing) uses from this ELF:
     * .nv_fatbin if the ELF has one, else __nv_relfatbin. */
    bool primary;
    /* Fat binaries found by a magic scan of loadable data (.ldata, .rodata,
     * .data.rel.ro, ...): the program hands them to cuModuleLoadData itself
     * (cuFFT keeps ~24 000 there). Not in cuobjdump's listing. */
    bool embedded;
    gm_fatbin fb;
} gm_fatbin_section;

typedef struct {
    char *path;
    gm_file_kind kind;
    uint64_t size;
    gm_fatbin_section *sections;
    size_t n_sections, cap;
    gm_strlist members;  /* archives: every ELF member, in order */
    gm_strlist needed;   /* every DT_NEEDED, in order (all ELF members) */
    char *soname;
    size_t n_wrappers;   /* .nvFatBinSegment entries carrying the wrapper magic */
    char tool[64];       /* toolkit "13.0.88" from a cubin note / PTX comment, "" if none */
    uint64_t bytes_decompressed;
} gm_elf_scan;

void gm_elf_scan_free(gm_elf_scan *s);

const char *gm_file_kind_name(gm_file_kind k);

#ifdef __cplusplus
}
#endif
#endif
