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

typedef struct {
    gm_ldcache_entry *entries;
    size_t n;
} gm_ldcache;

int gm_ldcache_parse(const unsigned char *data, size_t len, const char *origin, gm_ldcache *out,
                     gm_error *err);
int gm_ldcache_load(const char *path, gm_ldcache *out, gm_error *err);
void gm_ldcache_free(gm_ldcache *c);
/* x86-64 (lib64) entry, as opposed to i386 or other ABIs. */
bool gm_ldcache_entry_is_64bit(const gm_ldcache_entry *e);

#ifdef __cplusplus
}
#endif
#endif
