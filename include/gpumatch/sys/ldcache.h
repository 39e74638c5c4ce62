/* /etc/ld.so.cache reader (old "ld.so-1.7.0" and new "glibc-ld.so.cache1.1"
 * formats), bounds-checked: how the driver's user-space libraries are found. */
#ifndef GPUMATCH_LDCACHE_H
#define GPUMATCH_LDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gpumatch/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *name;      /* key: "libcuda.so.1" */
    char *path;      /* value: "/usr/lib/x86_64-linux-gnu/libcuda.so.1" */
    int32_t flags;   /* FLAG_ELF_LIBC6 | arch bits, as ldconfig writes them */
    uint64_t hwcap;
} gm_ldcache_entry;

/* Which layout a cache used (the combined file carries both; the new part is read). */
typedef enum {
    GM_LDCACHE_OLD = 1,     /* "ld.so-1.7.0" only */
    GM_LDCACHE_NEW = 2,     /* "glibc-ld.so.cache1.1" only (glibc >= 2.32 default) */
    GM_LDCACHE_COMPAT = 3   /* old header + entries, then the new format */
} gm_ldcache_format;

typedef struct {
    gm_ldcache_entry *entries;
    size_t n;
    gm_ldcache_format format;
    char *generator;  /* "ldconfig (GNU libc) ..." from the extension directory; may be NULL */
} gm_ldcache;

/* Entry flag bits (glibc's FLAG_* values in dl-cache.h / ldconfig.h). */
#define GM_LDCACHE_FLAG_TYPE_MASK 0x00ff
#define GM_LDCACHE_FLAG_ELF 0x0001
#define GM_LDCACHE_FLAG_ELF_LIBC6 0x0003
#define GM_LDCACHE_FLAG_ARCH_MASK 0xff00
#define GM_LDCACHE_ARCH_X8664_LIB64 0x0300
#define GM_LDCACHE_ARCH_AARCH64_LIB64 0x0a00
#define GM_LDCACHE_ARCH_POWERPC_LIB64 0x0500

int gm_ldcache_parse(const unsigned char *data, size_t len, const char *origin, gm_ldcache *out,
                     gm_error *err);
int gm_ldcache_load(const char *path, gm_ldcache *out, gm_error *err);
void gm_ldcache_free(gm_ldcache *c);
/* x86-64 (lib64) entry, as opposed to i386 or other ABIs. */
bool gm_ldcache_entry_is_64bit(const gm_ldcache_entry *e);
/* The entry's ABI is the one this library was built for (x86-64 -> 0x0300,
 * aarch64 -> 0x0a00, ppc64le -> 0x0500): what a container of this host loads. */
bool gm_ldcache_entry_is_native(const gm_ldcache_entry *e);
/* "x86-64", "i386/ELF", "aarch64", ... as ldconfig -p prints the ABI. */
const char *gm_ldcache_entry_abi(const gm_ldcache_entry *e);
const char *gm_ldcache_format_name(gm_ldcache_format f);

#ifdef __cplusplus
}
#endif
#endif
