/* /etc/ld.so.cache reader. Layouts (glibc elf/dl-cache.h, checked against
 * files written by `ldconfig -c old|new|compat`):
 *   old:  "ld.so-1.7.0" (11 bytes) + pad, u32 nlibs, nlibs x {i32 flags,
 *         u32 key, u32 value}; string offsets count from the end of the entries.
 *   new:  "glibc-ld.so.cache" "1.1", u32 nlibs, u32 len_strings, u8 endian flag,
 *         3 pad, u32 extension_offset, 3 x u32 unused (48 bytes), then nlibs x
 *         {i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap} (24 bytes);
 *         string offsets count from the new header. The extension directory
 *         (magic 0xeaa42174) sits at a file offset.
 *   compat: the old part, padded to 8, then the new part.
 * The file is untrusted: every count and offset is checked before use. Only
 * little-endian caches are read (ldconfig writes the host's byte order). */
#include "gpumatch/sys/ldcache.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN 11
#define OLD_HDR 16
#define OLD_ENTRY 12
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_MAGIC_LEN 20
#define NEW_HDR 48
#define NEW_ENTRY 24
#define EXT_MAGIC 0xeaa42174u
#define EXT_TAG_GENERATOR 0u
#define ENDIAN_UNSET 0
#define ENDIAN_LITTLE 2
#define ENDIAN_BIG 3
/* ld.so.cache files are tens of KiB; anything near this is not one. */
#define MAX_CACHE_BYTES (64u * 1024u * 1024u)
/* A key or path longer than PATH_MAX cannot be opened by the loader. */
#define MAX_CACHE_STRING 4096u
/* Entries may share strings (ldconfig merges a key into its path's tail), but
 * copies are bounded: at most this many times the string table, plus 1 MiB
 * (docs/limits.md), so a small file cannot claim gigabytes. */
#define MAX_CACHE_COPY_FACTOR 4u

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* The NUL-terminated string at absolute offset off, which must lie in [lo, hi). */
static int get_string(const unsigned char *d, size_t lo, size_t hi, uint64_t off, const char *origin,
                      size_t entry_off, const char *what, char **out, gm_error *err) {
    if (off < lo || off >= hi)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: %s string at offset %llu is outside the string "
                            "table [%zu, %zu)",
                            origin, entry_off, what, (unsigned long long)off, lo, hi);
    size_t span = hi - (size_t)off;
    const unsigned char *nul = memchr(d + off, 0, span < MAX_CACHE_STRING ? span : MAX_CACHE_STRING);
    if (!nul && span >= MAX_CACHE_STRING)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: %s string at offset %llu is longer than %u bytes",
                            origin, entry_off, what, (unsigned long long)off, MAX_CACHE_STRING);
    if (!nul)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: %s string at offset %llu is not terminated before "
                            "offset %zu",
                            origin, entry_off, what, (unsigned long long)off, hi);
    *out = gm_strndup((const char *)d + off, (size_t)(nul - (d + off)));
    return *out ? 0 : gm_error_set(err, GM_ENOMEM, "%s: out of memory", origin);
}

void gm_ldcache_free(gm_ldcache *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->entries[i].name);
        free(c->entries[i].path);
    }
    free(c->entries);
    free(c->generator);
    memset(c, 0, sizeof *c);
}

/* Reads n entries of entry_size at table; strings in [slo, shi) at base + offset. */
static int read_entries(const unsigned char *d, size_t table, uint32_t n, size_t entry_size,
                        size_t base, size_t slo, size_t shi, const char *origin, gm_ldcache *out,
                        gm_error *err) {
    out->entries = gm_xcalloc(n ? n : 1, sizeof *out->entries);
    if (!out->entries)
        return gm_error_set(err, GM_ENOMEM, "%s: out of memory for %u entries", origin, n);
    size_t copied = 0, budget = (size_t)MAX_CACHE_COPY_FACTOR * (shi - slo) + (1u << 20);
    for (uint32_t i = 0; i < n; i++) {
        size_t eo = table + (size_t)i * entry_size;
        gm_ldcache_entry *e = &out->entries[i];
        e->flags = (int32_t)rd32(d + eo);
        e->hwcap = entry_size == NEW_ENTRY ? rd64(d + eo + 16) : 0;
        out->n = i + 1; /* so gm_ldcache_free sees partially filled entries */
        int rc = get_string(d, slo, shi, (uint64_t)base + rd32(d + eo + 4), origin, eo, "key",
                            &e->name, err);
        if (rc == 0)
            rc = get_string(d, slo, shi, (uint64_t)base + rd32(d + eo + 8), origin, eo, "value",
                            &e->path, err);
        if (rc)
            return rc;
        copied += strlen(e->name) + strlen(e->path) + 2;
        if (copied > budget)
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset %zu: entries share strings more than %u times the "
                                "string table (%zu bytes): not an ld.so.cache ldconfig writes",
                                origin, eo, MAX_CACHE_COPY_FACTOR, shi - slo);
    }
    return 0;
}

/* The generator string from the extension directory. Optional: a damaged
 * directory is an error only when it claims to be one (right magic). */
static int read_extensions(const unsigned char *d, size_t len, uint32_t ext_off, const char *origin,
                           gm_ldcache *out, gm_error *err) {
    if (ext_off == 0)
        return 0;
    if ((size_t)ext_off > len || len - ext_off < 8)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: extension directory offset %u is beyond the end of the file "
                            "(%zu bytes)",
                            origin, ext_off, len);
    if (rd32(d + ext_off) != EXT_MAGIC)
        return gm_error_set(err, GM_EFORMAT, "%s: offset %u: bad extension directory magic 0x%08x",
                            origin, ext_off, rd32(d + ext_off));
    uint32_t count = rd32(d + ext_off + 4);
    size_t room = (len - ext_off - 8) / 16;
    if (count > room)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %u: extension directory claims %u sections, room for %zu",
                            origin, ext_off + 4, count, room);
    for (uint32_t i = 0; i < count; i++) {
        size_t so = (size_t)ext_off + 8 + (size_t)i * 16;
        uint32_t tag = rd32(d + so), off = rd32(d + so + 8), size = rd32(d + so + 12);
        if ((size_t)off > len || size > len - off)
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset %zu: extension section %u [%u, +%u) is beyond the end "
                                "of the file (%zu bytes)",
                                origin, so, i, off, size, len);
        if (tag == EXT_TAG_GENERATOR && !out->generator) {
            out->generator = gm_strndup((const char *)d + off, size);
            if (!out->generator)
                return gm_error_set(err, GM_ENOMEM, "%s: out of memory", origin);
            out->generator[strnlen(out->generator, size)] = 0;
        }
    }
    return 0;
}

static int parse_new(const unsigned char *d, size_t len, size_t at, const char *origin,
                     gm_ldcache *out, gm_error *err) {
    if (len - at < NEW_HDR)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: truncated new-format header (%zu bytes, need %d)",
                            origin, at, len - at, NEW_HDR);
    uint8_t endian = d[at + 28] & 3;
    if (endian == ENDIAN_BIG)
        return gm_error_set(err, GM_EUNSUPPORTED, "%s: offset %zu: big-endian cache not supported",
                            origin, at + 28);
    if (endian != ENDIAN_UNSET && endian != ENDIAN_LITTLE)
        return gm_error_set(err, GM_EFORMAT, "%s: offset %zu: invalid endianness flag %u", origin,
                            at + 28, d[at + 28]);
    uint32_t n = rd32(d + at + 20), len_strings = rd32(d + at + 24);
    size_t table = at + NEW_HDR, room = (len - table) / NEW_ENTRY;
    if (n > room)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: %u entries claimed, the file has room for %zu",
                            origin, at + 20, n, room);
    size_t strings = table + (size_t)n * NEW_ENTRY;
    if (len_strings > len - strings)
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset %zu: string table of %u bytes at offset %zu runs past the "
                            "end of the file (%zu bytes)",
                            origin, at + 24, len_strings, strings, len);
    int rc = read_entries(d, table, n, NEW_ENTRY, at, strings, strings + len_strings, origin, out, err);
    if (rc == 0)
        rc = read_extensions(d, len, rd32(d + at + 32), origin, out, err);
    return rc;
}

int gm_ldcache_parse(const unsigned char *data, size_t len, const char *origin, gm_ldcache *out,
                     gm_error *err) {
    if (!origin)
        origin = "ld.so.cache";
    memset(out, 0, sizeof *out);
    int rc;
    if (len >= NEW_MAGIC_LEN && memcmp(data, NEW_MAGIC, NEW_MAGIC_LEN) == 0) {
        out->format = GM_LDCACHE_NEW;
        rc = parse_new(data, len, 0, origin, out, err);
    } else if (len >= OLD_MAGIC_LEN && memcmp(data, OLD_MAGIC, OLD_MAGIC_LEN) == 0) {
        if (len < OLD_HDR)
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset 0: truncated old-format header (%zu bytes, need %d)",
                                origin, len, OLD_HDR);
        uint32_t n = rd32(data + 12);
        size_t room = (len - OLD_HDR) / OLD_ENTRY;
        if (n > room)
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset 12: %u entries claimed, the file has room for %zu",
                                origin, n, room);
        size_t end = OLD_HDR + (size_t)n * OLD_ENTRY;
        size_t aligned = (end + 7) & ~(size_t)7;
        if (aligned + NEW_MAGIC_LEN <= len && memcmp(data + aligned, NEW_MAGIC, NEW_MAGIC_LEN) == 0) {
            out->format = GM_LDCACHE_COMPAT;
            rc = parse_new(data, len, aligned, origin, out, err);
        } else if (aligned + 17 <= len && memcmp(data + aligned, NEW_MAGIC, 17) == 0) {
            if (len - aligned < NEW_HDR)
                return gm_error_set(err, GM_EFORMAT,
                                    "%s: offset %zu: truncated new-format header (%zu bytes, need %d)",
                                    origin, aligned, len - aligned, NEW_HDR);
            return gm_error_set(err, GM_EUNSUPPORTED,
                                "%s: offset %zu: new-format cache version \"%.3s\" (expected 1.1)",
                                origin, aligned, (const char *)data + aligned + 17);
        } else {
            out->format = GM_LDCACHE_OLD;
            rc = read_entries(data, OLD_HDR, n, OLD_ENTRY, end, end, len, origin, out, err);
        }
    } else if (len >= 17 && memcmp(data, NEW_MAGIC, 17) == 0) {
        if (len < NEW_HDR)
            return gm_error_set(err, GM_EFORMAT,
                                "%s: offset 0: truncated new-format header (%zu bytes, need %d)",
                                origin, len, NEW_HDR);
        return gm_error_set(err, GM_EUNSUPPORTED,
                            "%s: offset 17: new-format cache version \"%.3s\" (expected 1.1)", origin,
                            (const char *)data + 17);
    } else {
        return gm_error_set(err, GM_EFORMAT,
                            "%s: offset 0: not an ld.so.cache (no \"" OLD_MAGIC
                            "\" or \"" NEW_MAGIC "\" magic)",
                            origin);
    }
    if (rc)
        gm_ldcache_free(out);
    return rc;
}

int gm_ldcache_load(const char *path, gm_ldcache *out, gm_error *err) {
    char *buf = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = gm_read_file(path, MAX_CACHE_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    rc = gm_ldcache_parse((const unsigned char *)buf, len, path, out, err);
    free(buf);
    return rc;
}

bool gm_ldcache_entry_is_64bit(const gm_ldcache_entry *e) {
    switch (e->flags & GM_LDCACHE_FLAG_ARCH_MASK) {
    case 0x0100: /* sparc64 */
    case 0x0200: /* ia64 */
    case 0x0300: /* x86-64 */
    case 0x0400: /* s390x */
    case 0x0500: /* ppc64 */
    case 0x0700: /* mips64 n64 */
    case 0x0a00: /* aarch64 */
    case 0x0f00: /* riscv64 soft-float */
    case 0x1000: /* riscv64 double */
    case 0x1100: /* loongarch64 soft */
    case 0x1200: /* loongarch64 double */
        return true;
    default:
        return false;
    }
}

bool gm_ldcache_entry_is_native(const gm_ldcache_entry *e) {
    int arch = e->flags & GM_LDCACHE_FLAG_ARCH_MASK;
    if ((e->flags & GM_LDCACHE_FLAG_TYPE_MASK) != GM_LDCACHE_FLAG_ELF_LIBC6)
        return false;
#if defined(__x86_64__) && !defined(__ILP32__)
    return arch == GM_LDCACHE_ARCH_X8664_LIB64;
#elif defined(__aarch64__)
    return arch == GM_LDCACHE_ARCH_AARCH64_LIB64;
#elif defined(__powerpc64__)
    return arch == GM_LDCACHE_ARCH_POWERPC_LIB64;
#else
    return arch == 0;
#endif
}

const char *gm_ldcache_entry_abi(const gm_ldcache_entry *e) {
    switch (e->flags & GM_LDCACHE_FLAG_ARCH_MASK) {
    case 0x0000:
        return (e->flags & GM_LDCACHE_FLAG_TYPE_MASK) == GM_LDCACHE_FLAG_ELF_LIBC6 ? "libc6"
                                                                                   : "ELF";
    case 0x0100: return "sparc64";
    case 0x0200: return "ia64";
    case 0x0300: return "x86-64";
    case 0x0400: return "s390x";
    case 0x0500: return "ppc64";
    case 0x0600: return "mips64-n32";
    case 0x0700: return "mips64-n64";
    case 0x0800: return "x32";
    case 0x0900: return "arm-hf";
    case 0x0a00: return "aarch64";
    case 0x0b00: return "arm-sf";
    case 0x0f00: return "riscv64-soft";
    case 0x1000: return "riscv64-double";
    case 0x1100: return "loongarch64-soft";
    case 0x1200: return "loongarch64-double";
    default: return "other";
    }
}

const char *gm_ldcache_format_name(gm_ldcache_format f) {
    switch (f) {
    case GM_LDCACHE_OLD: return "ld.so-1.7.0";
    case GM_LDCACHE_NEW: return "glibc-ld.so.cache1.1";
    case GM_LDCACHE_COMPAT: return "ld.so-1.7.0+glibc-ld.so.cache1.1";
    default: return "unknown";
    }
}
