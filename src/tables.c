/* Typed views of the generated tables (data/NAME.tsv -> generated/tables_data.c).
 * Rows are parsed once; a row that fails to parse is a build defect that the
 * unit test reports through gm_tables_check(). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/tables.h"
#include "internal.h"
#include "tables_internal.h"

extern const char *const gm_tabledata_toolkit_driver[][3];
extern const size_t gm_tabledata_toolkit_driver_rows;
extern const char *const gm_tabledata_ptx_isa[][2];
extern const size_t gm_tabledata_ptx_isa_rows;
extern const char *const gm_tabledata_arch[][6];
extern const size_t gm_tabledata_arch_rows;

static gm_toolkit_entry *toolkits;
static size_t n_toolkits;
static gm_ptx_entry *ptxs;
static size_t n_ptxs;
static gm_arch_entry *archs;
static size_t n_archs;
static gm_error load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void bad_row(const char *table, size_t row, const gm_error *e) {
    if (!load_error.code)
        gm_error_set(&load_error, GM_EINVAL, "data/%s.tsv row %zu: %s", table, row + 1, e->msg);
}

/* NVIDIA states some minimums as a bare branch (">= 580"): one part. */
static int parse_branch(const char *s, gm_driver_version *v, gm_error *e) {
    if (strchr(s, '.'))
        return gm_driver_version_parse(s, v, e);
    char *end;
    long b = strtol(s, &end, 10);
    if (*end || b <= 0 || b > 99999)
        return gm_error_set(e, GM_EINVAL, "bad driver branch \"%s\"", s);
    *v = (gm_driver_version){(int)b, 0, 0, 1};
    return 0;
}

static void load(void) {
    gm_error e = {0};
    toolkits = gm_xcalloc(gm_tabledata_toolkit_driver_rows, sizeof *toolkits);
    ptxs = gm_xcalloc(gm_tabledata_ptx_isa_rows, sizeof *ptxs);
    archs = gm_xcalloc(gm_tabledata_arch_rows, sizeof *archs);
    if (!toolkits || !ptxs || !archs) {
        gm_error_set(&load_error, GM_ENOMEM, "out of memory loading tables");
        return;
    }
    for (size_t i = 0; i < gm_tabledata_toolkit_driver_rows; i++) {
        const char *const *r = gm_tabledata_toolkit_driver[i];
        gm_toolkit_entry t = {0};
        if (gm_cuda_version_parse(r[0], &t.cuda, &e) < 0 ||
            gm_driver_version_parse(r[1], &t.toolkit_driver, &e) < 0 ||
            (strcmp(r[2], "-") && parse_branch(r[2], &t.minor_compat_driver, &e) < 0)) {
            bad_row("toolkit_driver", i, &e);
            continue;
        }
        toolkits[n_toolkits++] = t;
    }
    for (size_t i = 0; i < gm_tabledata_ptx_isa_rows; i++) {
        const char *const *r = gm_tabledata_ptx_isa[i];
        gm_ptx_entry p = {0};
        if (gm_cuda_version_parse(r[0], &p.isa, &e) < 0 ||
            gm_cuda_version_parse(r[1], &p.first_cuda, &e) < 0) {
            bad_row("ptx_isa", i, &e);
            continue;
        }
        ptxs[n_ptxs++] = p;
    }
    for (size_t i = 0; i < gm_tabledata_arch_rows; i++) {
        const char *const *r = gm_tabledata_arch[i];
        gm_arch_entry a = {0};
        char *end;
        a.arch = r[1];
        a.products = r[5];
        a.family = (int)strtol(r[2], &end, 10);
        if (gm_cc_parse(r[0], &a.cc, &e) < 0 || *end || a.family <= 0 ||
            gm_cuda_version_parse(r[3], &a.first_cuda, &e) < 0 ||
            (strcmp(r[4], "-") && gm_cuda_version_parse(r[4], &a.last_cuda, &e) < 0)) {
            if (!e.code)
                gm_error_set(&e, GM_EINVAL, "bad family \"%s\"", r[2]);
            bad_row("arch", i, &e);
            continue;
        }
        archs[n_archs++] = a;
    }
}

int gm_tables_check(gm_error *err) {
    pthread_once(&once, load);
    if (load_error.code)
        return gm_error_set(err, load_error.code, "%s", load_error.msg);
    return 0;
}

const gm_toolkit_entry *gm_table_toolkit(size_t *n) {
    pthread_once(&once, load);
    *n = n_toolkits;
    return toolkits;
}

const gm_ptx_entry *gm_table_ptx(size_t *n) {
    pthread_once(&once, load);
    *n = n_ptxs;
    return ptxs;
}

const gm_arch_entry *gm_table_arch(size_t *n) {
    pthread_once(&once, load);
    *n = n_archs;
    return archs;
}

const gm_toolkit_entry *gm_toolkit_find(const gm_cuda_version *cuda) {
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    for (size_t i = 0; i < n; i++)
        if (!gm_cuda_version_cmp(&t[i].cuda, cuda))
            return &t[i];
    return NULL;
}

const gm_toolkit_entry *gm_toolkit_newest(void) {
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    return n ? &t[n - 1] : NULL;
}

const gm_driver_version *gm_minor_compat_driver(int cuda_major) {
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].cuda.major == cuda_major && t[i].minor_compat_driver.nparts)
            return &t[i].minor_compat_driver;
    return NULL;
}

bool gm_driver_max_cuda(const gm_driver_version *drv, gm_cuda_version *out) {
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (gm_driver_version_cmp(&t[i].toolkit_driver, drv) <= 0 &&
            (!found || gm_cuda_version_cmp(&t[i].cuda, out) > 0)) {
            *out = t[i].cuda;
            found = true;
        }
    return found;
}

const gm_ptx_entry *gm_ptx_find(const gm_cuda_version *isa) {
    size_t n;
    const gm_ptx_entry *p = gm_table_ptx(&n);
    for (size_t i = 0; i < n; i++)
        if (!gm_cuda_version_cmp(&p[i].isa, isa))
            return &p[i];
    return NULL;
}

bool gm_cuda_max_ptx(const gm_cuda_version *cuda, gm_cuda_version *isa_out) {
    size_t n;
    const gm_ptx_entry *p = gm_table_ptx(&n);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (gm_cuda_version_cmp(&p[i].first_cuda, cuda) <= 0 &&
            (!found || gm_cuda_version_cmp(&p[i].isa, isa_out) > 0)) {
            *isa_out = p[i].isa;
            found = true;
        }
    return found;
}

const gm_arch_entry *gm_arch_find(const gm_cc *cc) {
    size_t n;
    const gm_arch_entry *a = gm_table_arch(&n);
    for (size_t i = 0; i < n; i++)
        if (!gm_cc_cmp(&a[i].cc, cc))
            return &a[i];
    return NULL;
}
