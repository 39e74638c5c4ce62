/* Test driver for gm_image_walk: prints what the walker sees, one line per
 * file: "F<TAB>path<TAB>bytes read<TAB>POSIX cksum CRC<TAB>mode", so scripts
 * compare against `cksum` of the files the layers were built from.
 * Usage: gm_image_walk [--slurp MAX] [--buf N] [--nosum 1] PATH */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/image.h"

static uint32_t tab[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i << 24;
        for (int k = 0; k < 8; k++)
            c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
        tab[i] = c;
    }
}

static uint32_t crc_add(uint32_t crc, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        crc = (crc << 8) ^ tab[(crc >> 24) ^ p[i]];
    return crc;
}

static uint32_t crc_end(uint32_t crc, uint64_t len) {
    for (; len; len >>= 8) {
        unsigned char b = (unsigned char)(len & 0xff);
        crc = crc_add(crc, &b, 1);
    }
    return ~crc;
}

typedef struct {
    size_t slurp_max; /* 0: stream with buf */
    size_t buf;
    int nosum; /* --nosum 1: read only, for benchmarks */
} opts;

static int visit(void *ctx, gm_image_file *f, gm_error *err) {
    opts *o = ctx;
    uint32_t crc = 0;
    uint64_t total = 0;
    if (o->slurp_max) {
        unsigned char *d;
        size_t n;
        int rc = gm_image_file_slurp(f, o->slurp_max, &d, &n, err);
        if (rc < 0)
            return rc;
        crc = crc_add(crc, d, n);
        total = n;
        free(d);
    } else {
        unsigned char *buf = malloc(o->buf);
        if (!buf)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        for (;;) {
            size_t got = 0;
            int rc = f->read(f, buf, o->buf, &got, err);
            if (rc < 0) {
                free(buf);
                return rc;
            }
            if (!got)
                break;
            if (!o->nosum)
                crc = crc_add(crc, buf, got);
            total += got;
        }
        free(buf);
    }
    if (total != f->size)
        return gm_error_set(err, GM_EFORMAT, "%s: size %" PRIu64 " but %" PRIu64 " bytes read",
                            f->path, f->size, total);
    printf("F\t%s\t%" PRIu64 "\t%" PRIu32 "\t%04o\n", f->path, total, crc_end(crc, total),
           (unsigned)f->mode);
    return 0;
}

int main(int argc, char **argv) {
    opts o = {0, 4096, 0};
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--slurp"))
            o.slurp_max = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--nosum"))
            o.nosum = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--buf"))
            o.buf = strtoull(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (i + 1 != argc || o.buf == 0) {
        fprintf(stderr, "usage: gm_image_walk [--slurp MAX] [--buf N] PATH\n");
        return 2;
    }
    crc_init();
    gm_image_info info = {0};
    gm_error err = {0};
    int rc = gm_image_walk(argv[i], visit, &o, &info, &err);
    printf("kind\t%s\n", info.kind ? info.kind : "-");
    printf("reference\t%s\n", info.reference ? info.reference : "-");
    printf("layers\t%zu\nfiles\t%zu\nskipped\t%zu\n", info.n_layers, info.n_files, info.n_skipped);
    for (size_t k = 0; k < info.env.n; k++)
        printf("env\t%s\n", info.env.items[k]);
    gm_image_info_free(&info);
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
