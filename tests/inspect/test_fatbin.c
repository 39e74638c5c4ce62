/* Fat binary parser, ELF scanner and requirement derivation on the committed
 * nvcc fixtures (expectations from the nvcc flags, see data/README.md) and on
 * malformed variants of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lz4.h>
#include <zstd.h>
#include "gpumatch/sys/elfscan.h"
#include "gpumatch/sys/fatbin.h"
#include "gpumatch/inspect.h"
#include "gpumatch/require.h"

static char *data_path(const char *name) {
    static char buf[4096];
    const char *src = getenv("GM_SRC");
    snprintf(buf, sizeof buf, "%s/tests/inspect/data/%s", src ? src : ".", name);
    return buf;
}

static unsigned char *load(const char *name, size_t *len) {
    FILE *f = fopen(data_path(name), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Targets of all primary regions as "sm_80 compute_80 ..." in file order. */
static void targets_of(const gm_elf_scan *s, char *out, size_t n) {
    out[0] = '\0';
    for (size_t i = 0; i < s->n_sections; i++) {
        if (!s->sections[i].primary)
            continue;
        for (size_t r = 0; r < s->sections[i].fb.n_regions; r++)
            for (size_t e = 0; e < s->sections[i].fb.regions[r].n_entries; e++) {
                char t[GM_VERSION_STR_MAX];
                const gm_fatbin_entry *en = &s->sections[i].fb.regions[r].entries[e];
                size_t l = strlen(out);
                snprintf(out + l, n - l, "%s%s", l ? " " : "", gm_target_str(&en->target, t));
            }
    }
}

static void scan_ok(const char *name, gm_fatbin_depth depth, gm_elf_scan *s) {
    gm_error err = {0};
    int rc = gm_elfscan_file(data_path(name), depth, s, &err);
    if (rc != 0)
        fail_msg("%s: %s", name, err.msg);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Words of s sorted, so target lists compare as multisets. */
static void sort_words(char *s) {
    char *w[64], copy[512];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", s);
    for (char *t = strtok(copy, " "); t && n < 64; t = strtok(NULL, " "))
        w[n++] = t;
    qsort(w, n, sizeof *w, cmp_str);
    char out[512] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", w[i]);
    strcpy(s, out);
}

static void expect_targets(const char *name, gm_file_kind kind, const char *want_in) {
    char want[512];
    snprintf(want, sizeof want, "%s", want_in);
    sort_words(want);
    for (int d = GM_FATBIN_HEADERS; d <= GM_FATBIN_VERIFY; d++) {
        gm_elf_scan s;
        char got[512];
        scan_ok(name, (gm_fatbin_depth)d, &s);
        assert_int_equal(s.kind, kind);
        targets_of(&s, got, sizeof got);
        sort_words(got);
        assert_string_equal(got, want);
        gm_elf_scan_free(&s);
    }
}

static void t_fixture_targets(void **st) {
    (void)st;
    expect_targets("sm80_ptx80_plain.fatbin", GM_FILE_FATBIN, "sm_80 compute_80");
    expect_targets("sm80_ptx80_lz4.fatbin", GM_FILE_FATBIN, "sm_80 compute_80");
    expect_targets("sm90a_sm100f_zstd.fatbin", GM_FILE_FATBIN, "sm_90a sm_100f compute_100f");
    expect_targets("sm90a.cubin", GM_FILE_CUBIN, "sm_90a");
    expect_targets("compute100f.ptx", GM_FILE_PTX, "compute_100f");
    expect_targets("rdc_sm86.o", GM_FILE_OBJECT, "sm_86");
    expect_targets("libk.a", GM_FILE_ARCHIVE, "sm_86");
    expect_targets("app_shared", GM_FILE_EXEC, "sm_75 sm_75");
}

static const gm_fatbin_entry *first_entry(const gm_elf_scan *s, int kind) {
    for (size_t i = 0; i < s->n_sections; i++)
        for (size_t r = 0; r < s->sections[i].fb.n_regions; r++)
            for (size_t e = 0; e < s->sections[i].fb.regions[r].n_entries; e++)
                if (s->sections[i].fb.regions[r].entries[e].kind == kind)
                    return &s->sections[i].fb.regions[r].entries[e];
    return NULL;
}

static void t_fixture_details(void **st) {
    (void)st;
    gm_elf_scan s;
    /* compress-mode=none: nothing compressed; PTX ISA 9.0 is what CUDA 13.0 emits. */
    scan_ok("sm80_ptx80_plain.fatbin", GM_FATBIN_HEADERS, &s);
    const gm_fatbin_entry *c = first_entry(&s, GM_FATBIN_CUBIN), *p = first_entry(&s, GM_FATBIN_PTX);
    assert_non_null(c);
    assert_non_null(p);
    assert_int_equal(c->compression, GM_COMPRESS_NONE);
    assert_true(c->checked && c->cubin.valid);
    assert_int_equal(c->cubin.sm, 80);
    assert_true(c->is64);
    assert_int_equal(p->compression, GM_COMPRESS_NONE);
    assert_int_equal(p->code_version.major, 9);
    assert_int_equal(p->code_version.minor, 0);
    assert_string_equal(p->ptx.target, "sm_80");
    assert_string_equal(s.tool, "13.0.88");
    gm_elf_scan_free(&s);

    scan_ok("sm80_ptx80_lz4.fatbin", GM_FATBIN_CONFIRM, &s);
    p = first_entry(&s, GM_FATBIN_PTX);
    assert_int_equal(p->compression, GM_COMPRESS_LZ4);
    assert_true(p->checked);
    assert_true(p->ptx.has_version);
    assert_string_equal(p->ptx.target, "sm_80");
    gm_elf_scan_free(&s);

    /* Headers only: zstd entries are not checked; the first small one is
     * decompressed once to see that the module defines a kernel (it does). */
    scan_ok("sm90a_sm100f_zstd.fatbin", GM_FATBIN_HEADERS, &s);
    c = first_entry(&s, GM_FATBIN_CUBIN);
    assert_int_equal(c->compression, GM_COMPRESS_ZSTD);
    assert_false(c->checked);
    assert_int_equal(c->kernels, 1);
    assert_false(s.sections[0].fb.regions[0].kernel_less);
    assert_int_equal(s.bytes_decompressed, c->uncompressed_size);
    gm_elf_scan_free(&s);
    scan_ok("sm90a_sm100f_zstd.fatbin", GM_FATBIN_CONFIRM, &s);
    c = first_entry(&s, GM_FATBIN_CUBIN);
    assert_true(c->checked);
    assert_int_equal(c->cubin.sm, c->sm);
    assert_int_equal(c->cubin.osabi, 0x41); /* CUDA 13: new ABI for every SM */
    gm_elf_scan_free(&s);
    scan_ok("sm90a_sm100f_zstd.fatbin", GM_FATBIN_VERIFY, &s);
    assert_string_equal(s.tool, "13.0.88");
    assert_true(s.bytes_decompressed > 0);
    gm_elf_scan_free(&s);

    scan_ok("rdc_sm86.o", GM_FATBIN_HEADERS, &s);
    assert_int_equal(s.n_sections, 1);
    assert_string_equal(s.sections[0].section, "__nv_relfatbin");
    assert_true(s.sections[0].relocatable && s.sections[0].primary);
    gm_elf_scan_free(&s);

    scan_ok("libk.a", GM_FATBIN_HEADERS, &s);
    assert_int_equal(s.members.n, 2);
    assert_string_equal(s.sections[0].member, "rdc_sm86.o");
    gm_elf_scan_free(&s);

    scan_ok("app_shared", GM_FATBIN_HEADERS, &s);
    assert_int_equal(s.needed.n > 0, 1);
    assert_string_equal(s.needed.items[0], "libcudart.so.13");
    assert_int_equal(s.n_wrappers, 2); /* the program's + CUDA 13's device-link fat binary */
    /* The device-link one (first; whole program, NUM_PRELINKED_OBJECTS 0) has
     * a cubin without .text: kernel-less. The program's defines kernel k. */
    assert_int_equal(s.sections[0].fb.n_regions, 2);
    assert_true(s.sections[0].fb.regions[0].kernel_less);
    assert_false(s.sections[0].fb.regions[1].kernel_less);
    gm_elf_scan_free(&s);
}

static void t_runtime_and_requirement(void **st) {
    (void)st;
    gm_inspect in;
    gm_error err = {0};
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    assert_int_equal(gm_inspect_add_file(&in, data_path("app_shared"), &err), 0);
    gm_runtime_guess g = gm_inspect_runtime(&in, &in.files[0]);
    assert_true(g.found);
    assert_int_equal(g.version.major, 13);
    assert_int_equal(g.version.minor, 0); /* only the major is in the name */
    /* A fuller name beside it tells the minor. */
    assert_int_equal(gm_inspect_note_name(&in, "libcudart.so.13.2.51", &err), 0);
    g = gm_inspect_runtime(&in, &in.files[0]);
    assert_int_equal(g.version.minor, 2);
    gm_inspect_free(&in);

    /* Only arch/family-specific images everywhere: the program needs them. */
    gm_requirement r;
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    assert_int_equal(gm_inspect_add_file(&in, data_path("sm90a_sm100f_zstd.fatbin"), &err), 0);
    assert_int_equal(gm_inspect_requirement(&in, &r, &err), 0);
    assert_int_equal(r.n_modules, 1);
    assert_false(r.modules[0].optional);
    gm_requirement_free(&r);
    /* Next to a portable module, the specific one becomes optional. */
    assert_int_equal(gm_inspect_add_file(&in, data_path("sm80_ptx80_plain.fatbin"), &err), 0);
    assert_int_equal(gm_inspect_requirement(&in, &r, &err), 0);
    assert_int_equal(r.n_modules, 2);
    assert_true(r.modules[0].optional);
    assert_false(r.modules[1].optional);
    assert_true(r.modules[1].has_ptx_isa);
    gm_coverage *cov;
    size_t n;
    assert_int_equal(gm_inspect_coverage(&r, &cov, &n, &err), 0);
    bool saw75 = false, saw80 = false, saw90 = false;
    for (size_t i = 0; i < n; i++) {
        if (cov[i].cc.major == 7 && cov[i].cc.minor == 5) {
            saw75 = true;
            assert_int_equal(cov[i].cover, GM_COVER_NONE);
        }
        if (cov[i].cc.major == 8 && cov[i].cc.minor == 0) {
            saw80 = true;
            assert_int_equal(cov[i].cover, GM_COVER_EVERY);
            assert_int_equal(cov[i].n_running, 1);
        }
        if (cov[i].cc.major == 9 && cov[i].cc.minor == 0) {
            saw90 = true; /* sm_90a cubin + compute_80 PTX JIT */
            assert_int_equal(cov[i].cover, GM_COVER_EVERY);
            assert_int_equal(cov[i].n_running, 2);
        }
    }
    assert_true(saw75 && saw80 && saw90);
    free(cov);
    gm_requirement_free(&r);
    gm_inspect_free(&in);
}

/* ---- malformed input ---- */

static void w32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void w64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void expect_fail(const unsigned char *p, size_t len, gm_fatbin_depth d, const char *needle) {
    gm_elf_scan s;
    gm_error err = {0};
    int rc = gm_elfscan_memory(p, len, "bad.fatbin", d, &s, &err);
    if (rc == 0)
        fail_msg("accepted malformed input (expected '%s')", needle);
    assert_int_equal(rc, GM_EFORMAT);
    if (!strstr(err.msg, "bad.fatbin") || !strstr(err.msg, "offset 0x") ||
        (needle && !strstr(err.msg, needle)))
        fail_msg("message '%s' lacks file/offset/'%s'", err.msg, needle ? needle : "");
    gm_elf_scan_free(&s);
}

/* The compact requirement (inspect --json) of a path, its scans folded or not. */
static char *compact_json(const char *path, bool fold, const char *also) {
    gm_inspect in;
    gm_requirement r;
    gm_error err = {0};
    gm_inspect_init(&in, GM_FATBIN_HEADERS);
    in.fold = fold;
    assert_int_equal(gm_inspect_add_path(&in, path, NULL, &err), 0);
    if (also)
        assert_int_equal(gm_inspect_add_path(&in, also, NULL, &err), 0);
    assert_int_equal(in.errors.n, 0);
    assert_int_equal(gm_inspect_requirement_opts(&in, true, &r, &err), 0);
    char *j = gm_requirement_to_json(&r, &err);
    assert_non_null(j);
    gm_requirement_free(&r);
    gm_inspect_free(&in);
    return j;
}

/* Folding each file as it is added keeps what the document is made of: the
 * same document as from the full scans (trees with programs, libraries,
 * objects, archives, standalone device files; CUDA's libraries when here). */
static void t_fold_same_document(void **st) {
    (void)st;
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", data_path(""));
    const char *inputs[][2] = {{dir, NULL},
                               {data_path("app_shared"), NULL},
                               {"/usr/local/cuda/lib64/libcufft.so.12", NULL},
                               {"/usr/local/cuda/lib64/libcudadevrt.a", NULL},
                               {"/usr/local/cuda/lib64/libcublasLt.so.13", NULL}};
    size_t tried = 0;
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        FILE *f = fopen(inputs[i][0], "rb");
        if (!f && i >= 2)
            continue; /* no CUDA toolkit here */
        if (f)
            fclose(f);
        char *a = compact_json(inputs[i][0], false, inputs[i][1]);
        char *b = compact_json(inputs[i][0], true, inputs[i][1]);
        if (strcmp(a, b))
            fail_msg("%s: the folded document differs:\n%s\n---\n%s", inputs[i][0], a, b);
        free(a);
        free(b);
        tried++;
    }
    assert_true(tried >= 2);
}

/* A 3 MiB cubin whose section header table and toolkit note lie past the
 * first MiB (what --verify keeps of the head), filled with text that LZ4 and
 * zstd compress with matches across their buffers; the note is the layout
 * nvcc writes (.note.nv.tkinfo: owner "NVIDIA Corp", type 2000). */
#define BIG_CUBIN (3u << 20)
static unsigned char *big_cubin(size_t *len) {
    static const char tool[] = "Cuda compilation tools, release 12.8, V12.8.93";
    unsigned char *c = calloc(1, BIG_CUBIN);
    assert_non_null(c);
    /* the note just past a refill of the streamed LZ4 decoder's buffer
     * (64 KiB of history + 256 KiB: refills at 320 KiB + k x 256 KiB) */
    size_t note = (320u << 10) + 10 * (256u << 10) + 1024, shoff = BIG_CUBIN - 2 * 64;
    /* pseudo-random runs of 40 000 bytes repeated with changes: matches
     * reach 40 000 bytes back, across the decoder's buffer boundaries */
    uint32_t x = 1;
    for (size_t i = 64; i < shoff; i++) {
        if (i % 40000 == 64)
            x = 1 + (uint32_t)(i / 200000);
        x = x * 1103515245u + 12345u;
        c[i] = (unsigned char)(x >> 16);
    }
    memcpy(c, "\x7f" "ELF", 4);
    c[4] = 2, c[5] = 1, c[6] = 1, c[7] = 0x41; /* ELF64, LSB, new CUDA ABI */
    c[0x12] = 190;                            /* EM_CUDA */
    w32(c + 0x30, 80u << 8);                  /* e_flags: sm_80 */
    w64(c + 0x28, shoff);
    c[0x3A] = 64, c[0x3C] = 2;
    unsigned char *n = c + note;
    w32(n, 12), w32(n + 4, sizeof tool), w32(n + 8, 2000);
    memcpy(n + 12, "NVIDIA Corp", 12);
    memcpy(n + 24, tool, sizeof tool);
    /* the same note 50 000 bytes earlier: the compressors code the real
     * one as a match that far back, so its bytes come from the kept history */
    memcpy(c + note - 50000, n, 24 + sizeof tool);
    unsigned char *sh = c + shoff + 64;
    w32(sh + 4, 7); /* SHT_NOTE */
    w64(sh + 0x18, note);
    w64(sh + 0x20, 24 + ((sizeof tool + 3) & ~3u));
    *len = BIG_CUBIN;
    return c;
}

/* One region holding one compressed cubin entry. */
static unsigned char *wrap_entry(const void *z, size_t zlen, uint64_t flags, uint64_t unc,
                                 size_t *len) {
    size_t pay = (zlen + 7) & ~(size_t)7;
    unsigned char *p = calloc(1, 16 + 64 + pay);
    assert_non_null(p);
    w32(p, GM_FATBIN_MAGIC), p[4] = 1, p[6] = 16;
    w64(p + 8, 64 + pay);
    unsigned char *e = p + 16;
    e[0] = 2, e[2] = 1, e[3] = 1, e[4] = 64; /* cubin, header 64 bytes */
    w64(e + 8, pay);
    w32(e + 0x10, (uint32_t)zlen);
    w32(e + 0x1C, 80);
    w64(e + 0x28, 0x11 | flags);
    w64(e + 0x38, unc);
    memcpy(e + 64, z, zlen);
    *len = 16 + 64 + pay;
    return p;
}

static void verify_tool(const unsigned char *fb, size_t len, const char *want) {
    gm_fatbin out;
    gm_error err = {0};
    if (gm_fatbin_parse(fb, len, "big.fatbin", 0, GM_FATBIN_VERIFY, &out, &err) < 0)
        fail_msg("verify failed: %s", err.msg);
    assert_int_equal(out.n_regions, 1);
    const gm_fatbin_entry *e = &out.regions[0].entries[0];
    assert_true(e->checked);
    assert_int_equal(e->cubin.sm, 80);
    assert_string_equal(e->cubin.tool, want);
    assert_int_equal(out.bytes_decompressed, BIG_CUBIN + 0u);
    gm_fatbin_free(&out);
}

/* --verify streams compressed entries; what it reads at the end of a large
 * image (the notes, on a second pass) must be what the bytes say, for LZ4
 * (liblz4's block format, as fatbinary writes it) and zstd. */
static void t_verify_streamed(void **st) {
    (void)st;
    size_t clen, len;
    unsigned char *c = big_cubin(&clen);
    int lcap = LZ4_compressBound((int)clen);
    char *lz = malloc((size_t)lcap);
    assert_non_null(lz);
    int ln = LZ4_compress_default((const char *)c, lz, (int)clen, lcap);
    assert_true(ln > 0);
    unsigned char *fb = wrap_entry(lz, (size_t)ln, GM_FATBIN_F_LZ4, clen, &len);
    verify_tool(fb, len, "12.8.93");
    /* the in-place reading of the same cubin, uncompressed, agrees */
    gm_cubin_info ci;
    gm_error err = {0};
    assert_int_equal(gm_cubin_probe(c, clen, true, "c", 0, &ci, &err), 0);
    assert_string_equal(ci.tool, "12.8.93");
    /* one byte fewer announced: the longer payload shows */
    free(fb);
    fb = wrap_entry(lz, (size_t)ln, GM_FATBIN_F_LZ4, clen - 1, &len);
    expect_fail(fb, len, GM_FATBIN_VERIFY, "payload decompresses to more than 3145727 bytes");
    /* a block cut short */
    free(fb);
    fb = wrap_entry(lz, (size_t)ln / 2, GM_FATBIN_F_LZ4, clen, &len);
    expect_fail(fb, len, GM_FATBIN_VERIFY, NULL);
    free(fb);
    size_t zcap = ZSTD_compressBound(clen);
    unsigned char *zs = malloc(zcap);
    assert_non_null(zs);
    size_t zn = ZSTD_compress(zs, zcap, c, clen, 3);
    assert_false(ZSTD_isError(zn));
    fb = wrap_entry(zs, zn, GM_FATBIN_F_ZSTD, clen, &len);
    verify_tool(fb, len, "12.8.93");
    free(fb);
    fb = wrap_entry(zs, zn, GM_FATBIN_F_ZSTD, clen + 1, &len);
    expect_fail(fb, len, GM_FATBIN_VERIFY, "payload decompresses to 3145728 bytes, header says 3145729");
    free(fb);
    free(zs);
    free(lz);
    free(c);
}

static void t_truncated(void **st) {
    (void)st;
    size_t len;
    unsigned char *p = load("sm80_ptx80_plain.fatbin", &len);
    for (size_t n = 4; n < len; n++)
        expect_fail(p, n, GM_FATBIN_HEADERS, NULL);
    free(p);
    p = load("sm90a_sm100f_zstd.fatbin", &len);
    for (size_t n = 4; n < len; n += 7)
        expect_fail(p, n, GM_FATBIN_CONFIRM, NULL);
    free(p);
}

static void t_lying_fields(void **st) {
    (void)st;
    size_t len;
    unsigned char *orig = load("sm80_ptx80_plain.fatbin", &len);
    unsigned char *p = malloc(len);
    const size_t E = 16; /* first entry header */
#define MUT(stmt, depth, needle)                                                                   \
    do {                                                                                           \
        memcpy(p, orig, len);                                                                      \
        stmt;                                                                                      \
        expect_fail(p, len, depth, needle);                                                        \
    } while (0)
    MUT(w64(p + 8, len), GM_FATBIN_HEADERS, "claims");                 /* region past end */
    MUT(w64(p + 8, UINT64_MAX), GM_FATBIN_HEADERS, "claims");          /* overflowing size */
    MUT(p[7] = 0xff, GM_FATBIN_HEADERS, "header size");                /* header past end */
    {   /* Bad magic: a standalone file is then not a fat binary at all, but
         * inside a section it is an error. */
        gm_fatbin fb;
        gm_error err = {0};
        memcpy(p, orig, len);
        w32(p, 0xdeadbeef);
        assert_int_equal(gm_fatbin_parse(p, len, "sec", 0x100, GM_FATBIN_HEADERS, &fb, &err),
                         GM_EFORMAT);
        assert_non_null(strstr(err.msg, "sec: offset 0x100: bad fat binary magic"));
    }
    MUT(p[4] = 2, GM_FATBIN_HEADERS, "version");
    MUT(w32(p + E + 4, 8), GM_FATBIN_HEADERS, "header size");          /* entry header too small */
    MUT(w32(p + E + 4, 0xffffffff), GM_FATBIN_HEADERS, "header size");
    MUT(w64(p + E + 8, UINT64_MAX - 32), GM_FATBIN_HEADERS, "payload"); /* wraps on add */
    MUT(w64(p + E + 8, len), GM_FATBIN_HEADERS, "payload");
    MUT(w32(p + E + 0x1C, 75), GM_FATBIN_HEADERS, "e_flags");          /* cubin disagrees */
    MUT(w32(p + E + 0x1C, 0), GM_FATBIN_HEADERS, "SM");
    MUT(w64(p + E + 0x28, 0x11 | 0x100000 | 0x200000), GM_FATBIN_HEADERS, "both");
    MUT(w64(p + E + 0x28, 0x11 | 0x2000 | 0x8000), GM_FATBIN_HEADERS, "both");
    MUT(w32(p + E + 0x14, 0x1000), GM_FATBIN_HEADERS, "options");
    MUT(w32(p + E + 0x20, 0x40); w32(p + E + 0x24, 0x1000), GM_FATBIN_HEADERS, "identifier");
    MUT(p[E] = 7, GM_FATBIN_HEADERS, "kind");
    MUT(memcpy(p + E + 64, "\x7f" "ELX", 4), GM_FATBIN_HEADERS, "ELF magic");
    /* Entry count overflow: a tiny payload size repeated would need more
     * entries than bytes; a zero-size header is refused before that. */
    MUT(w32(p + E + 4, 0); w64(p + E + 8, 0), GM_FATBIN_HEADERS, "header size");
    free(orig);
    free(p);

    /* Compressed entries: corrupt zstd payload; lying compressed size. */
    orig = load("sm90a_sm100f_zstd.fatbin", &len);
    p = malloc(len);
    MUT(memset(p + E + 64 + 8, 0xAA, 64), GM_FATBIN_CONFIRM, "zstd");
    MUT(w32(p + E + 0x10, 0x7fffffff), GM_FATBIN_HEADERS, "compressed size");
    MUT(w64(p + E + 0x38, 0), GM_FATBIN_HEADERS, "uncompressed size");
    MUT(w64(p + E + 0x38, 5), GM_FATBIN_VERIFY, "decompresses");
    free(orig);
    free(p);
#undef MUT
}

/* ELF whose .nv_fatbin section header points past the end of the file. */
static void t_elf_section_past_end(void **st) {
    (void)st;
    size_t len;
    unsigned char *p = load("app_shared", &len);
    uint64_t shoff;
    memcpy(&shoff, p + 0x28, 8);
    uint16_t shnum, shstrndx;
    memcpy(&shnum, p + 0x3C, 2);
    memcpy(&shstrndx, p + 0x3E, 2);
    uint64_t stroff;
    memcpy(&stroff, p + shoff + (uint64_t)shstrndx * 64 + 0x18, 8);
    bool patched = false;
    for (uint16_t i = 0; i < shnum; i++) {
        unsigned char *sh = p + shoff + (uint64_t)i * 64;
        uint32_t name;
        memcpy(&name, sh, 4);
        if (!strcmp((char *)p + stroff + name, ".nv_fatbin")) {
            w64(sh + 0x18, len - 8); /* offset: 8 bytes before the end */
            patched = true;
        }
    }
    assert_true(patched);
    gm_elf_scan s;
    gm_error err = {0};
    assert_int_equal(gm_elfscan_memory(p, len, "app_bad", GM_FATBIN_HEADERS, &s, &err), GM_EFORMAT);
    assert_non_null(strstr(err.msg, "app_bad"));
    assert_non_null(strstr(err.msg, "offset 0x"));
    assert_non_null(strstr(err.msg, "past the end"));
    gm_elf_scan_free(&s);
    /* Truncated ELF files: an error naming the file, never a crash. */
    for (size_t n = 1; n < len; n += 97) {
        int rc = gm_elfscan_memory(p, n, "app_cut", GM_FATBIN_HEADERS, &s, &err);
        if (rc != 0)
            assert_non_null(strstr(err.msg, "app_cut"));
        gm_elf_scan_free(&s);
    }
    free(p);
}

static void t_not_device_code(void **st) {
    (void)st;
    gm_elf_scan s;
    gm_error err = {0};
    const char text[] = "just some text\n";
    assert_int_equal(gm_elfscan_memory(text, sizeof text - 1, "notes.txt", GM_FATBIN_HEADERS, &s,
                                       &err), 0);
    assert_int_equal(s.kind, GM_FILE_OTHER);
    gm_elf_scan_free(&s);
    assert_false(gm_elfscan_sniff(text, sizeof text - 1, "notes.txt"));
    assert_true(gm_elfscan_sniff("\x7f" "ELF\2\1\1\0", 8, "x"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fixture_targets),  cmocka_unit_test(t_fixture_details),
        cmocka_unit_test(t_runtime_and_requirement), cmocka_unit_test(t_truncated),
        cmocka_unit_test(t_lying_fields),     cmocka_unit_test(t_elf_section_past_end),
        cmocka_unit_test(t_not_device_code),  cmocka_unit_test(t_verify_streamed),
        cmocka_unit_test(t_fold_same_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
