/* Typed views of the generated tables (data/NAME.tsv -> generated/tables_data.c).
 * Rows are parsed once; a row that fails to parse is a build defect that the
 * unit test reports through gm_tables_check(). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/tables.h"
#include "internal.h"
#include "tables_internal.h"

extern const char *const gm_tabledata_toolkit_driver[][4];
extern const size_t gm_tabledata_toolkit_driver_rows;
extern const char *const gm_tabledata_ptx_isa[][3];
extern const size_t gm_tabledata_ptx_isa_rows;
extern const char *const gm_tabledata_arch[][7];
extern const size_t gm_tabledata_arch_rows;
extern const char *const gm_tabledata_family[][4];
extern const size_t gm_tabledata_family_rows;
extern const char *const gm_tabledata_driver_branch[][3];
extern const size_t gm_tabledata_driver_branch_rows;

static gm_toolkit_entry *toolkits;
static size_t n_toolkits;
static gm_ptx_entry *ptxs;
static size_t n_ptxs;
static gm_arch_entry *archs;
static size_t n_archs;
static gm_family_entry *families;
static size_t n_families;
static gm_branch_entry *branches;
static size_t n_branches;
static gm_error load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void bad_row(const char *table, size_t row, const gm_error *e) {
    if (!load_error.code)
        gm_error_set(&load_error, GM_EINVAL, "data/%s.tsv row %zu: %s", table, row + 1, e->msg);
}

/* NVIDIA states some versions as a bare branch (">= 580", "r615"): one part. */
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

static int need_source(const char *s, gm_error *e) {
    if (!*s || !strcmp(s, "-"))
        return gm_error_set(e, GM_EINVAL, "row cites no source");
    return 0;
}

static int parse_members(const char *s, gm_family_entry *f, gm_error *e) {
    char buf[128];
    if (strlen(s) >= sizeof buf)
        return gm_error_set(e, GM_EINVAL, "member list too long");
    strcpy(buf, s);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (f->n_members == GM_FAMILY_MAX_MEMBERS)
            return gm_error_set(e, GM_EINVAL, "more than %d members", GM_FAMILY_MAX_MEMBERS);
        if (gm_cc_parse(t, &f->members[f->n_members++], e) < 0)
            return GM_EINVAL;
    }
    return f->n_members ? 0 : gm_error_set(e, GM_EINVAL, "no members");
}

static void load(void) {
    gm_error e = {0};
    toolkits = gm_xcalloc(gm_tabledata_toolkit_driver_rows, sizeof *toolkits);
    ptxs = gm_xcalloc(gm_tabledata_ptx_isa_rows, sizeof *ptxs);
    archs = gm_xcalloc(gm_tabledata_arch_rows, sizeof *archs);
    families = gm_xcalloc(gm_tabledata_family_rows, sizeof *families);
    branches = gm_xcalloc(gm_tabledata_driver_branch_rows, sizeof *branches);
    if (!toolkits || !ptxs || !archs || !families || !branches) {
        gm_error_set(&load_error, GM_ENOMEM, "out of memory loading tables");
        return;
    }
    for (size_t i = 0; i < gm_tabledata_toolkit_driver_rows; i++) {
        const char *const *r = gm_tabledata_toolkit_driver[i];
        gm_toolkit_entry t = {0};
        t.source = r[3];
        if (gm_cuda_version_parse(r[0], &t.cuda, &e) < 0 ||
            (strcmp(r[1], "?") && parse_branch(r[1], &t.toolkit_driver, &e) < 0) ||
            (strcmp(r[2], "-") && parse_branch(r[2], &t.minor_compat_driver, &e) < 0) ||
            need_source(r[3], &e) < 0) {
            bad_row("toolkit_driver", i, &e);
            continue;
        }
        toolkits[n_toolkits++] = t;
    }
    for (size_t i = 0; i < gm_tabledata_ptx_isa_rows; i++) {
        const char *const *r = gm_tabledata_ptx_isa[i];
        gm_ptx_entry p = {0};
        p.source = r[2];
        if (gm_cuda_version_parse(r[0], &p.isa, &e) < 0 ||
            gm_cuda_version_parse(r[1], &p.first_cuda, &e) < 0 || need_source(r[2], &e) < 0) {
            bad_row("ptx_isa", i, &e);
            continue;
        }
        ptxs[n_ptxs++] = p;
    }
    for (size_t i = 0; i < gm_tabledata_arch_rows; i++) {
        const char *const *r = gm_tabledata_arch[i];
        gm_arch_entry a = {0};
        a.arch = r[1];
        a.products = r[5];
        a.source = r[6];
        a.tegra = !strcmp(r[2], "yes");
        if (gm_cc_parse(r[0], &a.cc, &e) < 0 ||
            (!a.tegra && strcmp(r[2], "no") && gm_error_set(&e, GM_EINVAL, "tegra must be yes or no")) ||
            gm_cuda_version_parse(r[3], &a.first_cuda, &e) < 0 ||
            (strcmp(r[4], "-") && gm_cuda_version_parse(r[4], &a.last_cuda, &e) < 0) ||
            need_source(r[6], &e) < 0) {
            bad_row("arch", i, &e);
            continue;
        }
        archs[n_archs++] = a;
    }
    for (size_t i = 0; i < gm_tabledata_family_rows; i++) {
        const char *const *r = gm_tabledata_family[i];
        gm_family_entry f = {0};
        gm_target t;
        f.source = r[3];
        char name[32];
        snprintf(name, sizeof name, "sm_%s", r[0]);
        if (gm_target_parse(name, &t, &e) < 0 ||
            (t.variant != GM_VARIANT_FAMILY && gm_error_set(&e, GM_EINVAL, "not an f target")) ||
            parse_members(r[1], &f, &e) < 0 || gm_cuda_version_parse(r[2], &f.first_cuda, &e) < 0 ||
            need_source(r[3], &e) < 0) {
            bad_row("family", i, &e);
            continue;
        }
        f.target = t.cc;
        families[n_families++] = f;
    }
    for (size_t i = 0; i < gm_tabledata_driver_branch_rows; i++) {
        const char *const *r = gm_tabledata_driver_branch[i];
        gm_branch_entry b = {0};
        b.source = r[2];
        if (parse_branch(r[0], &b.driver, &e) < 0 || gm_cuda_version_parse(r[1], &b.cuda, &e) < 0 ||
            need_source(r[2], &e) < 0 ||
            (n_branches && gm_driver_version_cmp(&branches[n_branches - 1].driver, &b.driver) >= 0 &&
             gm_error_set(&e, GM_EINVAL, "rows must ascend by driver"))) {
            bad_row("driver_branch", i, &e);
            continue;
        }
        branches[n_branches++] = b;
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
    const gm_branch_entry *b = gm_table_branch(&n);
    bool found = false;
    for (size_t i = 0; i < n && gm_driver_version_cmp(&b[i].driver, drv) <= 0; i++) {
        *out = b[i].cuda;
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

bool gm_cuda_emitted_ptx(const gm_cuda_version *cuda, gm_cuda_version *isa_out) {
    size_t n;
    const gm_ptx_entry *p = gm_table_ptx(&n);
    if (!n || gm_cuda_version_cmp(cuda, &p[n - 1].first_cuda) > 0)
        return false;
    return gm_cuda_max_ptx(cuda, isa_out);
}

const gm_family_entry *gm_table_family(size_t *n) {
    pthread_once(&once, load);
    *n = n_families;
    return families;
}

const gm_branch_entry *gm_table_branch(size_t *n) {
    pthread_once(&once, load);
    *n = n_branches;
    return branches;
}

const gm_family_entry *gm_family_find(const gm_cc *target) {
    size_t n;
    const gm_family_entry *f = gm_table_family(&n);
    for (size_t i = 0; i < n; i++)
        if (!gm_cc_cmp(&f[i].target, target))
            return &f[i];
    return NULL;
}

bool gm_family_has(const gm_family_entry *f, const gm_cc *cc) {
    for (size_t i = 0; i < f->n_members; i++)
        if (!gm_cc_cmp(&f->members[i], cc))
            return true;
    return false;
}

bool gm_cc_is_tegra(const gm_cc *cc) {
    const gm_arch_entry *a = gm_arch_find(cc);
    return a && a->tegra;
}

const gm_arch_entry *gm_arch_find(const gm_cc *cc) {
    size_t n;
    const gm_arch_entry *a = gm_table_arch(&n);
    for (size_t i = 0; i < n; i++)
        if (!gm_cc_cmp(&a[i].cc, cc))
            return &a[i];
    return NULL;
}
