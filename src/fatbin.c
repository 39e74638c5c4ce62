/* Fat binary parser: pure, bounds-checked, over a memory range. */
#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zstd.h>
#include "gpumatch/sys/fatbin.h"
#include "internal.h"

#define ENTRY_MIN_HEADER 64u
/* How much of a PTX text to look at for .version/.target (they follow a short
 * comment block) and how much of a cubin to decompress for its ELF header. */
#define PTX_HEAD 4096u
#define CUBIN_HEAD 64u
/* Full decompression refuses anything larger (a lying size must not make us
 * allocate gigabytes). The largest cubin in CUDA 13.0's libraries is < 64 MiB. */
#define MAX_UNCOMPRESSED (512ull * 1024 * 1024)
/* Regions plus entries in one parsed range (a section or a .fatbin file). Each
 * costs about 400 bytes here, so this bounds memory near 50 MiB whatever the
 * range holds (64-byte empty entries would otherwise cost 6x the input). */
#define MAX_ENTRIES (1u << 17)
/* Total decompressed bytes per input (a .fatbin file, or all sections of one
 * ELF file or archive, see gm_fatbin_parse_within): the larger of a floor and a
 * ratio of the input's size. Real cubins compress 3-10x; a zstd frame of
 * zeros 30000x, so a few KB could otherwise ask for terabytes of work. */
#define DECOMPRESS_FLOOR (1ull << 30)
#define DECOMPRESS_RATIO 64u

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

const char *gm_fatbin_kind_name(int kind) {
    switch (kind) {
    case GM_FATBIN_PTX: return "ptx";
    case GM_FATBIN_CUBIN: return "cubin";
    case GM_FATBIN_NVVM: return "nvvm";
    default: return "?";
    }
}

const char *gm_compression_name(gm_compression c) {
    switch (c) {
    case GM_COMPRESS_LZ4: return "lz4";
    case GM_COMPRESS_ZSTD: return "zstd";
    default: return "none";
    }
}

static int ferr(gm_error *err, const char *origin, uint64_t off, const char *what) {
    return gm_error_set(err, GM_EFORMAT, "%s: offset 0x%llx: %s", origin ? origin : "fatbin",
                        (unsigned long long)off, what);
}

/* "Cuda compilation tools, release 13.0, V13.0.88" -> "13.0.88" (bounded scan). */
static void find_tool(const char *s, size_t len, char out[64]) {
    static const char key[] = "Cuda compilation tools, release ";
    size_t kl = sizeof key - 1;
    if (out[0] || len < kl)
        return;
    for (size_t i = 0; i + kl <= len; i++) {
        if (s[i] != 'C' || memcmp(s + i, key, kl) != 0)
            continue;
        size_t j = i + kl;
        while (j < len && s[j] != 'V' && s[j] != '\0' && s[j] != '\n')
            j++;
        if (j >= len || s[j] != 'V')
            return;
        j++;
        size_t n = 0;
        while (j + n < len && n < 63 && ((s[j + n] >= '0' && s[j + n] <= '9') || s[j + n] == '.'))
            n++;
        if (n == 0)
            return;
        memcpy(out, s + j, n);
        out[n] = '\0';
        return;
    }
}

/* ---- cubin (device ELF) ---- */

/* The section header table of a cubin of len bytes whose ELF header is h:
 * 0 and *shnum = 0 when it has none, an error when it lies outside. */
static int cubin_shdrs(const unsigned char *h, uint64_t len, uint64_t *shoff, uint16_t *shnum,
                       const char *origin, uint64_t base, gm_error *err) {
    *shoff = rd64(h + 0x28);
    *shnum = rd16(h + 0x3C);
    if (*shnum && (rd16(h + 0x3A) != 64 || *shoff > len || (uint64_t)*shnum * 64 > len - *shoff))
        return ferr(err, origin, base, "cubin section header table lies outside the cubin");
    return 0;
}

/* The notes of one SHT_NOTE section's bytes: toolkit and -arch option. */
static void note_section(const unsigned char *n, size_t size, gm_cubin_info *out) {
    const unsigned char *end = n + size;
    while ((size_t)(end - n) >= 12) {
        uint32_t namesz = rd32(n), descsz = rd32(n + 4), type = rd32(n + 8);
        size_t nal = ((size_t)namesz + 3) & ~(size_t)3, dal = ((size_t)descsz + 3) & ~(size_t)3;
        if (namesz > (size_t)(end - n) || descsz > (size_t)(end - n) ||
            12 + nal + dal > (size_t)(end - n))
            break;
        const char *desc = (const char *)n + 12 + nal;
        if (type == 2000 && namesz >= 11 && memcmp(n + 12, "NVIDIA Corp", 11) == 0) {
            find_tool(desc, descsz, out->tool);
            static const char ak[] = "-arch ";
            for (size_t k = 0; k + sizeof ak - 1 < descsz && !out->arch_option[0]; k++) {
                if (memcmp(desc + k, ak, sizeof ak - 1) != 0)
                    continue;
                size_t s = k + sizeof ak - 1, m = 0;
                while (s + m < descsz && m < 31 && desc[s + m] != ' ' && desc[s + m] != '\0')
                    m++;
                memcpy(out->arch_option, desc + s, m);
                out->arch_option[m] = '\0';
            }
        }
        n += 12 + nal + dal;
    }
}

/* SHT_NOTE sections inside the cubin: the i-th's range, false otherwise. */
static bool note_range(const unsigned char *shdrs, uint16_t i, uint64_t len, uint64_t *off,
                       uint64_t *size) {
    const unsigned char *sh = shdrs + (uint64_t)i * 64;
    if (rd32(sh + 4) != 7 /* SHT_NOTE */)
        return false;
    *off = rd64(sh + 0x18);
    *size = rd64(sh + 0x20);
    return *off <= len && *size <= len - *off;
}

static int cubin_notes(const unsigned char *p, size_t len, gm_cubin_info *out, const char *origin,
                       uint64_t base, gm_error *err) {
    uint64_t shoff, off, size;
    uint16_t shnum;
    int rc = cubin_shdrs(p, len, &shoff, &shnum, origin, base, err);
    for (uint16_t i = 0; rc == 0 && i < shnum; i++)
        if (note_range(p + shoff, i, len, &off, &size))
            note_section(p + off, (size_t)size, out);
    return rc;
}

int gm_cubin_probe(const void *data, size_t len, bool full, const char *origin, uint64_t base,
                   gm_cubin_info *out, gm_error *err) {
    const unsigned char *p = data;
    memset(out, 0, sizeof *out);
    if (len < 64)
        return ferr(err, origin, base, "cubin shorter than an ELF64 header");
    if (memcmp(p, "\x7f" "ELF", 4) != 0)
        return ferr(err, origin, base, "cubin does not start with the ELF magic");
    if (p[4] != 2 || p[5] != 1)
        return ferr(err, origin, base, "cubin is not 64-bit little-endian ELF");
    if (rd16(p + 0x12) != 190)
        return ferr(err, origin, base, "cubin e_machine is not EM_CUDA (190)");
    out->osabi = p[7];
    out->abi_version = p[8];
    out->e_flags = rd32(p + 0x30);
    if (out->osabi == 0x33) {
        out->sm = (int)(out->e_flags & 0xff);
        out->arch_specific = out->e_flags & 0x800;
    }
    else if (out->osabi == 0x41)
        out->sm = (int)((out->e_flags >> 8) & 0xff);
    else {
        char m[80];
        snprintf(m, sizeof m, "cubin has unknown CUDA ELF ABI 0x%02x", out->osabi);
        return ferr(err, origin, base, m);
    }
    out->valid = true;
    return full ? cubin_notes(p, len, out, origin, base, err) : 0;
}

/* ---- PTX text ---- */

static bool parse_isa(const char *s, size_t n, gm_cuda_version *v) {
    int maj = 0, min = 0;
    size_t i = 0, d = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) maj = maj * 10 + (s[i++] - '0'), d++;
    if (d == 0 || i >= n || s[i] != '.')
        return false;
    i++;
    d = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) min = min * 10 + (s[i++] - '0'), d++;
    if (d == 0)
        return false;
    v->major = maj;
    v->minor = min;
    return true;
}

int gm_ptx_probe(const char *text, size_t len, const char *origin, gm_ptx_info *out,
                 gm_error *err) {
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n' && text[e] != '\0')
            e++;
        const char *l = text + i;
        size_t n = e - i;
        while (n && (*l == ' ' || *l == '\t' || *l == '\r')) l++, n--;
        while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r')) n--;
        if (n == 0) {
        } else if (n >= 2 && l[0] == '/' && l[1] == '/') {
            find_tool(l, n, out->tool);
        } else if (n > 9 && memcmp(l, ".version", 8) == 0 && (l[8] == ' ' || l[8] == '\t')) {
            size_t k = 9;
            while (k < n && (l[k] == ' ' || l[k] == '\t')) k++;
            if (!parse_isa(l + k, n - k, &out->version))
                return gm_error_set(err, GM_EFORMAT, "%s: PTX .version line is malformed",
                                    origin);
            out->has_version = true;
        } else if (n > 8 && memcmp(l, ".target", 7) == 0 && (l[7] == ' ' || l[7] == '\t')) {
            size_t k = 8, m = 0;
            while (k < n && (l[k] == ' ' || l[k] == '\t')) k++;
            while (k + m < n && m < sizeof out->target - 1 && l[k + m] != ',' && l[k + m] != ' ')
                m++;
            memcpy(out->target, l + k, m);
            out->target[m] = '\0';
            out->has_target = true;
        } else if (n >= 13 && memcmp(l, ".address_size", 13) == 0) {
        } else {
            break; /* first real statement: the header is over */
        }
        if (out->has_version && out->has_target)
            break;
        if (e >= len || text[e] == '\0')
            break;
        i = e + 1;
    }
    return 0;
}

/* ---- decompression ---- */

typedef struct {
    ZSTD_DCtx *zd;
    uint64_t bytes, budget; /* budget 0: unbounded (the caller caps the output) */
    bool over;              /* the budget stopped it */
} dctx;

uint64_t gm_fatbin_budget(uint64_t len) {
    return len > DECOMPRESS_FLOOR / DECOMPRESS_RATIO ? len * DECOMPRESS_RATIO : DECOMPRESS_FLOOR;
}

/* 0, or the error when cap more bytes would pass the budget. */
static int over_budget(dctx *c, uint64_t cap, const char *origin, uint64_t off, gm_error *err) {
    if (!c->budget || cap <= c->budget - c->bytes)
        return 0;
    char m[160];
    c->over = true;
    snprintf(m, sizeof m,
             "decompressing this entry would pass the decompression budget of %llu bytes "
             "(%llu done)", (unsigned long long)c->budget, (unsigned long long)c->bytes);
    return ferr(err, origin, off, m);
}

static int decompress(dctx *c, const unsigned char *src, size_t slen, const gm_fatbin_entry *e,
                      unsigned char *dst, size_t cap, size_t *got, const char *origin,
                      uint64_t base, gm_error *err) {
    uint64_t off = base + e->offset + e->header_size;
    *got = 0;
    if (cap == 0)
        return 0;
    int over = e->compression != GM_COMPRESS_NONE ? over_budget(c, cap, origin, off, err) : 0;
    if (over < 0)
        return over;
    if (e->compression == GM_COMPRESS_LZ4) {
        if (slen > INT32_MAX || cap > INT32_MAX)
            return ferr(err, origin, off, "LZ4 payload too large");
        int r = LZ4_decompress_safe_partial((const char *)src, (char *)dst, (int)slen, (int)cap,
                                            (int)cap);
        if (r < 0)
            return ferr(err, origin, off, "LZ4 payload is corrupt");
        *got = (size_t)r;
    } else if (e->compression == GM_COMPRESS_ZSTD) {
        if (!c->zd && !(c->zd = ZSTD_createDCtx()))
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
        /* Bound the window so a lying frame header cannot make zstd allocate much. */
        ZSTD_DCtx_setParameter(c->zd, ZSTD_d_windowLogMax, 27);
        ZSTD_inBuffer in = {src, slen, 0};
        ZSTD_outBuffer ob = {dst, cap, 0};
        while (ob.pos < ob.size) {
            size_t r = ZSTD_decompressStream(c->zd, &ob, &in);
            if (ZSTD_isError(r)) {
                char m[128];
                snprintf(m, sizeof m, "zstd payload is corrupt (%s)", ZSTD_getErrorName(r));
                return ferr(err, origin, off, m);
            }
            if (r == 0 || (in.pos == in.size && ob.pos < ob.size))
                break; /* frame done, or input exhausted */
        }
        *got = ob.pos;
    } else {
        size_t n = slen < cap ? slen : cap;
        memcpy(dst, src, n);
        *got = n;
    }
    c->bytes += *got;
    return 0;
}

/* ---- streamed decompression (--verify): a fixed buffer, whatever the size ---- */

#define STREAM_CHUNK (256u * 1024)
/* What --verify keeps of a decompressed image: its first VERIFY_HEAD bytes
 * (ELF header, PTX header lines, notes inside them), the cubin's section
 * header table (at most 65 535 x 64 bytes) and notes outside the head, up to
 * VERIFY_HEAD bytes of them (real ones are < 1 KB); the rest only passes. */
#define VERIFY_HEAD (1u << 20)
#define MAX_CAPTURES 8

typedef struct {
    uint64_t off, len;
    unsigned char *buf;
} capture;

typedef struct {
    bool cubin;                /* add the section header table once the ELF header is in */
    unsigned char *head;       /* VERIFY_HEAD bytes */
    size_t head_n;
    capture cap[MAX_CAPTURES]; /* [0]: section headers, then notes */
    size_t n_cap;
    uint64_t total;
} vsink;

static void vsink_free(vsink *v) {
    free(v->head);
    for (size_t i = 0; i < v->n_cap; i++)
        free(v->cap[i].buf);
    memset(v, 0, sizeof *v);
}

static int vsink_add(vsink *v, uint64_t off, uint64_t len) {
    if (v->n_cap == MAX_CAPTURES || len == 0)
        return 0;
    capture *c = &v->cap[v->n_cap];
    if (!(c->buf = calloc(1, (size_t)len)))
        return GM_ENOMEM;
    c->off = off;
    c->len = len;
    v->n_cap++;
    return 0;
}

/* Takes bytes [v->total, v->total + n) of the image. */
static int vsink_put(vsink *v, const unsigned char *b, size_t n) {
    uint64_t at = v->total;
    if (at < VERIFY_HEAD) {
        size_t k = n < VERIFY_HEAD - at ? n : (size_t)(VERIFY_HEAD - at);
        memcpy(v->head + at, b, k);
        v->head_n = (size_t)at + k;
    }
    v->total += n;
    if (v->cubin && v->n_cap == 0 && v->head_n >= 64) {
        v->cubin = false;
        uint64_t shoff = rd64(v->head + 0x28);
        uint16_t shnum = rd16(v->head + 0x3C);
        /* The table is checked against the size once it is known; what of
         * it went by already is in the head (this is the first chunk). */
        if (shnum && rd16(v->head + 0x3A) == 64) {
            if (vsink_add(v, shoff, (uint64_t)shnum * 64) < 0)
                return GM_ENOMEM;
            capture *c = &v->cap[0];
            if (c->off < v->head_n)
                memcpy(c->buf, v->head + c->off,
                       (size_t)(c->off + c->len < v->head_n ? c->len : v->head_n - c->off));
        }
    }
    for (size_t i = 0; i < v->n_cap; i++) {
        capture *c = &v->cap[i];
        uint64_t lo = c->off > at ? c->off : at, hi = c->off + c->len < at + n ? c->off + c->len
                                                                                : at + n;
        if (lo < hi)
            memcpy(c->buf + (lo - c->off), b + (lo - at), (size_t)(hi - lo));
    }
    return 0;
}

/* LZ4 block format (lz4's doc/lz4_Block_format.md): sequences of a token,
 * literals and a match copied from at most 65 535 bytes back, so a window of
 * 64 KiB behind the output is all a streamed decoder keeps. Decodes until
 * cap bytes or the end of the block; -1 when the block is malformed. */
#define LZ4_HISTORY 65536u

typedef struct {
    unsigned char buf[LZ4_HISTORY + STREAM_CHUNK];
    size_t pos, flushed;
    uint64_t total, cap;
    vsink *v;
} lz4_out;

static int lz4_flush(lz4_out *o) {
    int rc = vsink_put(o->v, o->buf + o->flushed, o->pos - o->flushed);
    o->flushed = o->pos;
    if (o->pos == sizeof o->buf) { /* keep the history, reuse the rest */
        memmove(o->buf, o->buf + o->pos - LZ4_HISTORY, LZ4_HISTORY);
        o->pos = o->flushed = LZ4_HISTORY;
    }
    return rc;
}

/* A length of 15 goes on in bytes, each added, until one is not 255. */
static int lz4_len_ext(const unsigned char *src, size_t slen, size_t *i, size_t *len) {
    unsigned char x;
    do {
        if (*i >= slen)
            return -1;
        *len += (x = src[(*i)++]);
    } while (x == 255);
    return 0;
}

static long lz4_stream(const unsigned char *src, size_t slen, lz4_out *o) {
    size_t i = 0;
    while (i < slen && o->total < o->cap) {
        unsigned tok = src[i++];
        size_t lit = tok >> 4, ml = tok & 15;
        if (lit == 15 && lz4_len_ext(src, slen, &i, &lit) < 0)
            return -1;
        if (lit > slen - i)
            return -1;
        while (lit && o->total < o->cap) {
            size_t k = sizeof o->buf - o->pos;
            if (k > lit)
                k = lit;
            if (k > o->cap - o->total)
                k = (size_t)(o->cap - o->total);
            memcpy(o->buf + o->pos, src + i, k);
            o->pos += k, o->total += k, i += k, lit -= k;
            if (o->pos == sizeof o->buf && lz4_flush(o) < 0)
                return GM_ENOMEM;
        }
        if (i == slen || o->total == o->cap)
            break; /* the last sequence has literals only */
        if (slen - i < 2)
            return -1;
        size_t dist = (size_t)src[i] | (size_t)src[i + 1] << 8;
        i += 2;
        if (ml == 15 && lz4_len_ext(src, slen, &i, &ml) < 0)
            return -1;
        ml += 4;
        if (dist == 0 || dist > o->total)
            return -1;
        while (ml && o->total < o->cap) {
            o->buf[o->pos] = o->buf[o->pos - dist]; /* overlapping copies repeat bytes */
            o->pos++, o->total++, ml--;
            if (o->pos == sizeof o->buf && lz4_flush(o) < 0)
                return GM_ENOMEM;
        }
    }
    return lz4_flush(o) < 0 ? GM_ENOMEM : 0;
}

/* Decompresses a payload through v, at most cap bytes; *got is the count. */
static int decompress_stream(dctx *c, const unsigned char *src, size_t slen,
                             const gm_fatbin_entry *e, uint64_t cap, vsink *v, uint64_t *got,
                             const char *origin, uint64_t base, gm_error *err) {
    uint64_t off = base + e->offset + e->header_size;
    *got = 0;
    int over = over_budget(c, cap, origin, off, err);
    if (over < 0)
        return over;
    if (e->compression == GM_COMPRESS_LZ4) {
        lz4_out *o = malloc(sizeof *o);
        if (!o)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        o->pos = o->flushed = 0;
        o->total = 0;
        o->cap = cap;
        o->v = v;
        long r = lz4_stream(src, slen, o);
        *got = o->total;
        free(o);
        if (r == GM_ENOMEM)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        if (r < 0)
            return ferr(err, origin, off, "LZ4 payload is corrupt");
    } else {
        unsigned char *chunk = malloc(STREAM_CHUNK);
        if (!chunk || (!c->zd && !(c->zd = ZSTD_createDCtx()))) {
            free(chunk);
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
        ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
        ZSTD_DCtx_setParameter(c->zd, ZSTD_d_windowLogMax, 27);
        ZSTD_inBuffer in = {src, slen, 0};
        int rc = 0;
        while (*got < cap) {
            ZSTD_outBuffer ob = {chunk, cap - *got < STREAM_CHUNK ? (size_t)(cap - *got)
                                                                  : STREAM_CHUNK, 0};
            size_t r = ZSTD_decompressStream(c->zd, &ob, &in);
            if (ZSTD_isError(r)) {
                char m[128];
                snprintf(m, sizeof m, "zstd payload is corrupt (%s)", ZSTD_getErrorName(r));
                rc = ferr(err, origin, off, m);
                break;
            }
            *got += ob.pos;
            if (vsink_put(v, chunk, ob.pos) < 0) {
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                break;
            }
            if (r == 0 || (in.pos == in.size && ob.pos < ob.size))
                break; /* frame done, or input exhausted */
        }
        free(chunk);
        if (rc < 0)
            return rc;
    }
    c->bytes += *got;
    return 0;
}

static void payload_span(const gm_fatbin_entry *e, size_t *slen) {
    *slen = e->compression != GM_COMPRESS_NONE && e->compressed_size ? e->compressed_size
                                                                     : (size_t)e->payload_size;
}

int gm_fatbin_entry_decompress(const void *range, size_t range_len, const gm_fatbin_entry *e,
                               void *out, size_t cap, size_t *got, const char *origin,
                               uint64_t base, gm_error *err) {
    size_t slen;
    payload_span(e, &slen);
    if (e->offset > range_len || e->header_size > range_len - e->offset ||
        slen > range_len - e->offset - e->header_size)
        return ferr(err, origin, base + e->offset, "entry lies outside the range");
    dctx c = {0};
    int rc = decompress(&c, (const unsigned char *)range + e->offset + e->header_size, slen, e,
                        out, cap, got, origin, base, err);
    ZSTD_freeDCtx(c.zd);
    return rc;
}

/* ---- entries ---- */

static int target_from(gm_fatbin_entry *e, const char *origin, uint64_t off, gm_error *err) {
    if (e->sm < 10 || e->sm > GM_SM_MAX)
        return ferr(err, origin, off, "entry has an implausible SM number");
    bool a = e->flags & GM_FATBIN_F_ARCH, f = e->flags & GM_FATBIN_F_FAMILY;
    if (a && f)
        return ferr(err, origin, off, "entry is flagged both arch- and family-specific");
    e->target.kind = e->kind == GM_FATBIN_PTX ? GM_KIND_PTX : GM_KIND_CUBIN;
    e->target.cc.major = e->sm / 10;
    e->target.cc.minor = e->sm % 10;
    e->target.variant = a ? GM_VARIANT_ARCH : f ? GM_VARIANT_FAMILY : GM_VARIANT_PLAIN;
    return 0;
}

/* "sm_100f" -> sm number and variant; false if it is not that shape. */
static bool split_target(const char *s, int *sm, char *variant) {
    if (strncmp(s, "sm_", 3) != 0 && strncmp(s, "compute_", 8) != 0)
        return false;
    s += s[0] == 's' ? 3 : 8;
    int v = 0, d = 0;
    while (*s >= '0' && *s <= '9' && d < 5) v = v * 10 + (*s++ - '0'), d++;
    if (d == 0)
        return false;
    *variant = 0;
    if (*s == 'a' || *s == 'f')
        *variant = *s++;
    if (*s)
        return false;
    *sm = v;
    return true;
}

/* The checks of an entry against its image's own header (cubin e_flags,
 * PTX .target/.version), once e->cubin or e->ptx is read. */
static int check_facts(gm_fatbin_entry *e, gm_fatbin_region *reg, const char *origin,
                       uint64_t base, gm_error *err) {
    char m[128];
    if (e->kind == GM_FATBIN_CUBIN) {
        if (e->cubin.sm != e->sm) {
            snprintf(m, sizeof m, "entry header says sm_%d but its cubin's e_flags (0x%08x) say sm_%d",
                     e->sm, e->cubin.e_flags, e->cubin.sm);
            return ferr(err, origin, base + e->offset, m);
        }
        if (gm_fatbin_tool_cmp(e->cubin.tool, reg->tool) > 0)
            memcpy(reg->tool, e->cubin.tool, sizeof reg->tool);
    } else {
        int sm;
        char v;
        if (e->ptx.has_target && split_target(e->ptx.target, &sm, &v) &&
            (sm != e->sm || v != (char)e->target.variant)) {
            snprintf(m, sizeof m, "entry header says sm_%d%s but its PTX says .target %s", e->sm,
                     e->target.variant ? (e->target.variant == 'a' ? "a" : "f") : "",
                     e->ptx.target);
            return ferr(err, origin, base + e->offset, m);
        }
        if (e->ptx.has_version && (e->ptx.version.major != e->code_version.major ||
                                   e->ptx.version.minor != e->code_version.minor)) {
            snprintf(m, sizeof m, "entry header says PTX ISA %d.%d but its PTX says .version %d.%d",
                     e->code_version.major, e->code_version.minor, e->ptx.version.major,
                     e->ptx.version.minor);
            return ferr(err, origin, base + e->offset, m);
        }
        if (gm_fatbin_tool_cmp(e->ptx.tool, reg->tool) > 0)
            memcpy(reg->tool, e->ptx.tool, sizeof reg->tool);
    }
    e->checked = true;
    return 0;
}

/* --verify of a compressed entry: the whole payload is decompressed through
 * a fixed buffer (one byte more than announced, so a longer one shows); the
 * checks read what vsink kept. Notes outside the head take a second pass. */
static int verify_compressed(dctx *c, const unsigned char *src, size_t slen,
                             gm_fatbin_entry *e, gm_fatbin_region *reg, const char *origin,
                             uint64_t base, gm_error *err) {
    uint64_t poff = base + e->offset + e->header_size, got;
    if (e->uncompressed_size == 0 || e->uncompressed_size > MAX_UNCOMPRESSED)
        return ferr(err, origin, base + e->offset, "compressed entry has an implausible uncompressed size");
    vsink v = {.cubin = e->kind == GM_FATBIN_CUBIN, .head = malloc(VERIFY_HEAD)};
    if (!v.head)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = decompress_stream(c, src, slen, e, e->uncompressed_size + 1, &v, &got, origin, base,
                               err);
    if (rc == 0 && got != e->uncompressed_size) {
        char m[128];
        snprintf(m, sizeof m, "payload decompresses to %s%llu bytes, header says %llu",
                 got > e->uncompressed_size ? "more than " : "",
                 (unsigned long long)(got > e->uncompressed_size ? e->uncompressed_size : got),
                 (unsigned long long)e->uncompressed_size);
        rc = ferr(err, origin, poff, m);
    }
    if (rc == 0 && e->kind == GM_FATBIN_PTX)
        rc = gm_ptx_probe((const char *)v.head, v.head_n, origin, &e->ptx, err);
    if (rc == 0 && e->kind == GM_FATBIN_CUBIN &&
        (rc = gm_cubin_probe(v.head, v.head_n, false, origin, poff, &e->cubin, err)) == 0) {
        uint64_t shoff, off, size;
        uint16_t shnum;
        rc = cubin_shdrs(v.head, got, &shoff, &shnum, origin, poff, err);
        const unsigned char *sh = rc == 0 && shnum && v.n_cap ? v.cap[0].buf : NULL;
        /* Notes all inside the head are read from it; otherwise a second pass
         * keeps them (VERIFY_HEAD bytes at most), read in table order. */
        bool outside = false;
        for (uint16_t i = 0; sh && i < shnum; i++)
            outside |= note_range(sh, i, got, &off, &size) && off + size > v.head_n;
        vsink again = {0};
        uint64_t kept = 0;
        for (uint16_t i = 0; sh && i < shnum; i++) {
            if (!note_range(sh, i, got, &off, &size))
                continue;
            if (!outside)
                note_section(v.head + off, (size_t)size, &e->cubin);
            else if (size <= VERIFY_HEAD - kept && vsink_add(&again, off, size) == 0)
                kept += size;
        }
        if (again.n_cap) {
            uint64_t spent = c->bytes, got2;
            c->bytes -= got; /* the same bytes again: not new work for the budget */
            if (!(again.head = malloc(VERIFY_HEAD)))
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            else if ((rc = decompress_stream(c, src, slen, e, got, &again, &got2, origin, base,
                                             err)) == 0)
                for (size_t k = 0; k < again.n_cap; k++)
                    note_section(again.cap[k].buf, (size_t)again.cap[k].len, &e->cubin);
            c->bytes = spent;
            vsink_free(&again);
        }
    }
    vsink_free(&v);
    return rc < 0 ? rc : check_facts(e, reg, origin, base, err);
}

static int check_entry(dctx *c, const unsigned char *range, size_t len, gm_fatbin_entry *e,
                       gm_fatbin_region *reg, gm_fatbin_depth depth, const char *origin,
                       uint64_t base, gm_error *err) {
    const unsigned char *src = range + e->offset + e->header_size;
    size_t slen;
    payload_span(e, &slen);
    uint64_t poff = base + e->offset + e->header_size;
    bool compressed = e->compression != GM_COMPRESS_NONE;
    unsigned char head[PTX_HEAD];
    const unsigned char *img;
    size_t ilen, got;
    int rc;
    (void)len;
    if (e->kind != GM_FATBIN_CUBIN && e->kind != GM_FATBIN_PTX)
        return 0;
    if (compressed && depth == GM_FATBIN_HEADERS)
        return 0;
    if (depth == GM_FATBIN_VERIFY && compressed)
        return verify_compressed(c, src, slen, e, reg, origin, base, err);
    if (compressed) {
        size_t want = e->kind == GM_FATBIN_CUBIN ? CUBIN_HEAD : PTX_HEAD;
        if ((rc = decompress(c, src, slen, e, head, want, &got, origin, base, err)) < 0)
            return rc;
        img = head;
        ilen = got;
    } else {
        img = src;
        ilen = slen;
    }
    if (e->kind == GM_FATBIN_CUBIN) {
        /* Notes need the section table at the cubin's end: read them once per
         * region in place, or everywhere when verifying. */
        bool full = depth == GM_FATBIN_VERIFY || (!compressed && !reg->tool[0]);
        if ((rc = gm_cubin_probe(img, ilen, full, origin, poff, &e->cubin, err)) < 0)
            return rc;
    } else {
        size_t n = ilen < PTX_HEAD || depth == GM_FATBIN_VERIFY ? ilen : PTX_HEAD;
        if ((rc = gm_ptx_probe((const char *)img, n, origin, &e->ptx, err)) < 0)
            return rc;
    }
    return check_facts(e, reg, origin, base, err);
}

static int parse_entry(const unsigned char *p, size_t len, size_t off, size_t end,
                       gm_fatbin_entry *e, const char *origin, uint64_t base, gm_error *err) {
    char m[160];
    uint64_t at = base + off;
    if (end - off < ENTRY_MIN_HEADER) {
        snprintf(m, sizeof m, "truncated entry header: %zu bytes left, need %u", end - off,
                 ENTRY_MIN_HEADER);
        return ferr(err, origin, at, m);
    }
    const unsigned char *h = p + off;
    memset(e, 0, sizeof *e);
    e->kernels = -1;
    e->offset = off;
    e->kind = rd16(h);
    e->header_size = rd32(h + 4);
    e->payload_size = rd64(h + 8);
    e->compressed_size = rd32(h + 0x10);
    uint32_t opt = rd32(h + 0x14);
    e->code_version.minor = rd16(h + 0x18);
    e->code_version.major = rd16(h + 0x1A);
    e->sm = (int)rd32(h + 0x1C);
    uint32_t id_off = rd32(h + 0x20), id_len = rd32(h + 0x24);
    e->flags = rd64(h + 0x28);
    e->uncompressed_size = rd64(h + 0x38);
    (void)len;
    if (e->kind != GM_FATBIN_PTX && e->kind != GM_FATBIN_CUBIN && e->kind != GM_FATBIN_NVVM) {
        snprintf(m, sizeof m, "unknown entry kind %u", e->kind);
        return ferr(err, origin, at, m);
    }
    if (e->header_size < ENTRY_MIN_HEADER || e->header_size > end - off) {
        snprintf(m, sizeof m, "entry header size %u outside [%u, %zu]", e->header_size,
                 ENTRY_MIN_HEADER, end - off);
        return ferr(err, origin, at, m);
    }
    if (e->payload_size > end - off - e->header_size) {
        snprintf(m, sizeof m, "entry payload of %llu bytes runs past the fat binary (%zu left)",
                 (unsigned long long)e->payload_size, end - off - e->header_size);
        return ferr(err, origin, at, m);
    }
    if (opt && (opt < ENTRY_MIN_HEADER || opt >= e->header_size))
        return ferr(err, origin, at, "entry options offset points outside its header");
    if (id_off && (id_off > e->header_size || id_len > e->header_size - id_off))
        return ferr(err, origin, at, "entry identifier points outside its header");
    if (id_off && id_len) {
        /* A source path ("/src/k.cu", padded "k.cu "): keep the file name. */
        const unsigned char *id = h + id_off;
        size_t n = strnlen((const char *)id, id_len), b = 0;
        while (n && (id[n - 1] == ' ' || id[n - 1] == '\t'))
            n--;
        for (size_t i = 0; i < n; i++)
            if (id[i] == '/')
                b = i + 1;
        n -= b;
        if (n > sizeof e->ident - 1)
            n = sizeof e->ident - 1;
        memcpy(e->ident, id + b, n);
        e->ident[n] = '\0';
    }
    bool lz4 = e->flags & GM_FATBIN_F_LZ4, zstd = e->flags & GM_FATBIN_F_ZSTD;
    if (lz4 && zstd)
        return ferr(err, origin, at, "entry is flagged both LZ4- and zstd-compressed");
    e->compression = lz4 ? GM_COMPRESS_LZ4 : zstd ? GM_COMPRESS_ZSTD : GM_COMPRESS_NONE;
    if (e->compression != GM_COMPRESS_NONE) {
        if (e->compressed_size > e->payload_size) {
            snprintf(m, sizeof m, "compressed size %u exceeds payload size %llu",
                     e->compressed_size, (unsigned long long)e->payload_size);
            return ferr(err, origin, at, m);
        }
        if (e->uncompressed_size == 0)
            return ferr(err, origin, at, "compressed entry has no uncompressed size");
    }
    e->is64 = e->flags & GM_FATBIN_F_64BIT;
    e->debug = e->flags & GM_FATBIN_F_DEBUG;
    return target_from(e, origin, at, err);
}

int gm_fatbin_tool_cmp(const char *a, const char *b) {
    for (;;) {
        bool ea = !a || !*a, eb = !b || !*b;
        if (ea || eb)
            return ea && eb ? 0 : ea ? -1 : 1;
        unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
        if (x != y)
            return x < y ? -1 : 1;
        a += *a == '.';
        b += *b == '.';
    }
}

/* 1 if a device ELF has a `.text` or `.text.*` section (functions), 0 if its
 * section table says none, -1 if the table cannot be read. */
static int cubin_code(const unsigned char *p, size_t len) {
    if (len < 64 || memcmp(p, "\x7f" "ELF", 4) != 0 || p[4] != 2)
        return -1;
    uint64_t shoff = rd64(p + 0x28);
    uint16_t shentsize = rd16(p + 0x3A), shnum = rd16(p + 0x3C), shstrndx = rd16(p + 0x3E);
    if (shnum == 0 || shentsize != 64 || shoff > len || (uint64_t)shnum * 64 > len - shoff ||
        shstrndx >= shnum)
        return -1;
    const unsigned char *st = p + shoff + (uint64_t)shstrndx * 64;
    uint64_t soff = rd64(st + 0x18), ssize = rd64(st + 0x20);
    if (soff > len || ssize > len - soff)
        return -1;
    for (uint16_t i = 1; i < shnum; i++) {
        uint32_t nm = rd32(p + shoff + (uint64_t)i * 64);
        if (nm >= ssize)
            return -1;
        const char *n = (const char *)p + soff + nm;
        size_t room = (size_t)(ssize - nm);
        if (room >= 6 && memcmp(n, ".text", 5) == 0 && (n[5] == '\0' || n[5] == '.'))
            return 1;
    }
    return 0;
}

static bool ptx_entry(const unsigned char *p, size_t len) {
    static const char key[] = ".entry";
    for (size_t i = 0; i + sizeof key - 1 <= len; i++) {
        const unsigned char *q = memchr(p + i, '.', len - i);
        if (!q)
            return false;
        i = (size_t)(q - p);
        if (len - i >= sizeof key - 1 && memcmp(q, key, sizeof key - 1) == 0)
            return true;
    }
    return false;
}

/* Decides kernel_less for a region; stops at the first entry with code. */
static int region_kernels(dctx *c, const unsigned char *range, gm_fatbin_region *r,
                          const char *origin, uint64_t base, gm_error *err) {
    bool any = false, none = true;
    for (size_t i = 0; i < r->n_entries && none; i++) {
        gm_fatbin_entry *e = &r->entries[i];
        if (e->kind != GM_FATBIN_CUBIN && e->kind != GM_FATBIN_PTX)
            continue;
        any = true;
        const unsigned char *src = range + e->offset + e->header_size, *img = src;
        size_t slen, ilen;
        unsigned char *buf = NULL;
        payload_span(e, &slen);
        ilen = slen;
        if (e->compression != GM_COMPRESS_NONE) {
            if (e->uncompressed_size > GM_FATBIN_KERNEL_PROBE_MAX) {
                e->kernels = -1;
                none = false;
                break;
            }
            if (!(buf = malloc((size_t)e->uncompressed_size + 1)))
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            int rc = decompress(c, src, slen, e, buf, (size_t)e->uncompressed_size, &ilen, origin,
                                base, err);
            if (rc < 0) {
                free(buf);
                return rc;
            }
            img = buf;
        }
        e->kernels = e->kind == GM_FATBIN_CUBIN ? cubin_code(img, ilen) : ptx_entry(img, ilen);
        free(buf);
        none = e->kernels == 0;
    }
    r->kernel_less = any && none;
    return 0;
}

void gm_release_pages(const void *base, size_t from, size_t to) {
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t pg = ps > 0 ? (uintptr_t)ps : 4096;
    uintptr_t a = ((uintptr_t)base + from + pg - 1) & ~(pg - 1), b = ((uintptr_t)base + to) & ~(pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

void gm_fatbin_free(gm_fatbin *fb) {
    if (!fb)
        return;
    for (size_t i = 0; i < fb->n_regions; i++)
        free(fb->regions[i].entries);
    free(fb->regions);
    memset(fb, 0, sizeof *fb);
}

static int too_many(gm_error *err, const char *origin, uint64_t off) {
    char m[128];
    snprintf(m, sizeof m, "more than %u fat binary regions and entries (the limit)", MAX_ENTRIES);
    return ferr(err, origin, off, m);
}

int gm_fatbin_parse(const void *data, size_t len, const char *origin, uint64_t base,
                    gm_fatbin_depth depth, gm_fatbin *out, gm_error *err) {
    return gm_fatbin_parse_within(data, len, origin, base, depth, 0, gm_fatbin_budget(len), NULL,
                                  false, out, err);
}

int gm_fatbin_parse_within(const void *data, size_t len, const char *origin, uint64_t base,
                           gm_fatbin_depth depth, uint64_t spent, uint64_t budget,
                           bool *over_budget, bool release, gm_fatbin *out, gm_error *err) {
    const unsigned char *p = data;
    size_t off = 0, released = 0;
    dctx c = {0};
    int rc = 0;
    size_t items = 0;
    char m[160];
    memset(out, 0, sizeof *out);
    if (!origin)
        origin = "fatbin";
    c.bytes = spent < budget ? spent : budget;
    c.budget = budget;
    if (over_budget)
        *over_budget = false;
    while (off < len) {
        if (p[off] == 0) { /* alignment padding between regions */
            off++;
            continue;
        }
        if (len - off < 16) {
            rc = ferr(err, origin, base + off, "truncated fat binary header");
            goto fail;
        }
        if (rd32(p + off) != GM_FATBIN_MAGIC) {
            snprintf(m, sizeof m, "bad fat binary magic 0x%08x (expected 0x%08x)", rd32(p + off),
                     GM_FATBIN_MAGIC);
            rc = ferr(err, origin, base + off, m);
            goto fail;
        }
        uint16_t ver = rd16(p + off + 4), hs = rd16(p + off + 6);
        uint64_t size = rd64(p + off + 8);
        if (ver != 1) {
            snprintf(m, sizeof m, "unsupported fat binary version %u", ver);
            rc = ferr(err, origin, base + off, m);
            goto fail;
        }
        if (hs < 16 || hs > len - off) {
            snprintf(m, sizeof m, "fat binary header size %u outside [16, %zu]", hs, len - off);
            rc = ferr(err, origin, base + off, m);
            goto fail;
        }
        if (size > len - off - hs) {
            snprintf(m, sizeof m, "fat binary claims %llu bytes but only %zu remain",
                     (unsigned long long)size, len - off - hs);
            rc = ferr(err, origin, base + off, m);
            goto fail;
        }
        if (++items > MAX_ENTRIES) {
            rc = too_many(err, origin, base + off);
            goto fail;
        }
        if ((rc = gm_grow((void **)&out->regions, &out->cap, out->n_regions + 1,
                          sizeof *out->regions)) < 0) {
            gm_error_set(err, GM_ENOMEM, "out of memory");
            goto fail;
        }
        gm_fatbin_region *r = &out->regions[out->n_regions++];
        memset(r, 0, sizeof *r);
        r->offset = off;
        r->size = hs + size;
        r->version = ver;
        size_t e = off + hs, end = off + hs + (size_t)size;
        while (e < end) {
            if (++items > MAX_ENTRIES) {
                rc = too_many(err, origin, base + e);
                goto fail;
            }
            if ((rc = gm_grow((void **)&r->entries, &r->cap, r->n_entries + 1,
                              sizeof *r->entries)) < 0) {
                gm_error_set(err, GM_ENOMEM, "out of memory");
                goto fail;
            }
            gm_fatbin_entry *en = &r->entries[r->n_entries];
            if ((rc = parse_entry(p, len, e, end, en, origin, base, err)) < 0)
                goto fail;
            r->n_entries++;
            if ((rc = check_entry(&c, p, len, en, r, depth, origin, base, err)) < 0)
                goto fail;
            e += en->header_size + (size_t)en->payload_size;
            if (release && e - released >= GM_RELEASE_STEP) {
                gm_release_pages(p, released, e);
                released = e;
            }
        }
        if ((rc = region_kernels(&c, p, r, origin, base, err)) < 0)
            goto fail;
        /* Most embedded regions hold one entry (cuFFT: 24 000 of them):
         * give back gm_grow's spare slots (376 bytes each). */
        if (r->cap > r->n_entries && r->n_entries) {
            gm_fatbin_entry *t = realloc(r->entries, r->n_entries * sizeof *t);
            if (t) {
                r->entries = t;
                r->cap = r->n_entries;
            }
        }
        off = end;
    }
    if (release)
        gm_release_pages(p, released, len);
    out->bytes_decompressed = c.bytes - (spent < budget ? spent : budget);
    ZSTD_freeDCtx(c.zd);
    return 0;
fail:
    if (over_budget)
        *over_budget = c.over;
    ZSTD_freeDCtx(c.zd);
    gm_fatbin_free(out);
    return rc;
}
