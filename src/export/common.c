/* Requirement summaries for the exporters, built on the core's compiled
 * thresholds (src/core/core.h); no rule is decided here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/tables.h"

/* ---------------------------------------------------------- summary */
#include <ctype.h>
#include "internal.h"

void gm_drv_int_str(int64_t v, char *buf, size_t len) {
    snprintf(buf, len, "%lld.%lld.%02lld", (long long)(v / 10000000000LL),
             (long long)(v / 100000 % 100000), (long long)(v % 100000));
}

void gm_cuda_int_str(int32_t v, char *buf, size_t len) {
    snprintf(buf, len, "%d.%d", v / 1000, v % 1000 / 10);
}

int32_t gm_cuda_for_driver(int64_t v) {
    size_t n;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    int32_t best = GM_NEED_NEVER;
    for (size_t i = 0; i < n; i++)
        if (gm_drv_int(&t[i].toolkit_driver) >= v && gm_cuda_int(&t[i].cuda) < best)
            best = gm_cuda_int(&t[i].cuda);
    return best;
}

void gm_semver(const char *dotted, char *buf, size_t len) {
    long p[3] = {0, 0, 0};
    int k = 0;
    const char *s = dotted;
    while (*s && k < 3) {
        p[k++] = strtol(s, (char **)&s, 10);
        if (*s == '.') s++;
        else break;
    }
    snprintf(buf, len, "%ld.%ld.%ld", p[0], p[1], p[2]);
}

void gm_gpu_type_word(const char *name, char *buf, size_t len) {
    const char *s = name ? name : "gpu";
    static const char *const skip[] = {"nvidia ", "tesla ", "geforce ", "quadro ", NULL};
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; skip[i]; i++)
            if (!strncasecmp(s, skip[i], strlen(skip[i]))) { s += strlen(skip[i]); again = true; }
    }
    size_t o = 0;
    for (; *s && *s != ' ' && *s != '-' && o + 1 < len; s++)
        if (isalnum((unsigned char)*s)) buf[o++] = (char)tolower((unsigned char)*s);
    if (o == 0 && len > 3) { memcpy(buf, "gpu", 3); o = 3; }
    buf[o] = '\0';
}

bool gm_node_uniform(const gm_node *n) {
    for (size_t i = 1; i < n->n_devices; i++) {
        const gm_device *a = &n->devices[0], *b = &n->devices[i];
        if (gm_cc_cmp(&a->cc, &b->cc) || a->memory_mib != b->memory_mib ||
            strcmp(a->name ? a->name : "", b->name ? b->name : ""))
            return false;
    }
    return true;
}

void gm_req_summary_free(gm_req_summary *s) {
    for (size_t i = 0; i < s->ngroups; i++) {
        free(s->groups[i].ccs);
        free(s->groups[i].major_open);
    }
    free(s->groups);
    gm_strlist_free(&s->notes);
    memset(s, 0, sizeof *s);
}

/* Parses one condition "key>=value" of the first all->= group; false when the
 * group has anything else (then the group is skipped). */
static bool nvreq_group_bounds(const char *g, size_t glen, int64_t *drv, int32_t *cuda, gm_cc *arch,
                               bool *has_arch) {
    char cond[128];
    const char *p = g, *end = g + glen;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        size_t l = (size_t)((c ? c : end) - p);
        if (l == 0 || l >= sizeof cond) return false;
        memcpy(cond, p, l);
        cond[l] = '\0';
        char *op = strstr(cond, ">=");
        if (!op) return false;
        *op = '\0';
        const char *val = op + 2;
        gm_error e = {0};
        if (!strcasecmp(cond, "cuda")) {
            gm_cuda_version v;
            if (gm_cuda_version_parse(val, &v, &e)) return false;
            if (gm_cuda_int(&v) > *cuda) *cuda = gm_cuda_int(&v);
        } else if (!strcasecmp(cond, "driver")) {
            gm_driver_version v;
            if (gm_driver_version_parse(val, &v, &e)) return false;
            if (gm_drv_int(&v) > *drv) *drv = gm_drv_int(&v);
        } else if (!strcasecmp(cond, "arch")) {
            gm_cc v;
            if (gm_cc_parse(val, &v, &e)) return false;
            if (!*has_arch || gm_cc_cmp(&v, arch) > 0) *arch = v;
            *has_arch = true;
        } else {
            return false;
        }
        p = c ? c + 1 : end;
    }
    return true;
}

int gm_req_summarize(const gm_requirement *r, gm_req_summary *s, gm_error *err) {
    memset(s, 0, sizeof *s);
    gm_req_node_need nn;
    gm_req_node_thresholds(r, &nn);
    char a[64], b[64];
    s->min_drv = nn.min_drv;
    s->min_cuda = nn.min_cuda;
    s->count = r->device_count;
    s->min_mem_mib = r->min_memory_mib;
    if (nn.rt_drv != GM_DRV_NONE) {
        if (nn.rt_drv != GM_DRV_NEVER) {
            /* gm_match accepts the runtime when the driver reaches rt_drv (or a
             * probed CUDA version reaches it, which implies the same driver) */
            if (nn.rt_drv > s->min_drv) s->min_drv = nn.rt_drv;
        } else if (nn.rt_cuda > s->min_cuda) {
            s->min_cuda = nn.rt_cuda;
        }
    }
    gm_cc arch = {0, 0};
    bool has_arch = false;
    if (!r->nvidia_disable_require)
        for (size_t i = 0; i < r->nvidia_require.n; i++) {
            const char *e = r->nvidia_require.items[i], *p = e;
            bool used = false;
            size_t dropped = 0;
            while (*p) {
                while (*p == ' ') p++;
                if (!*p) break;
                const char *q = strchr(p, ' ');
                size_t l = q ? (size_t)(q - p) : strlen(p);
                int64_t d = GM_DRV_NONE;
                int32_t c = GM_NEED_NONE;
                gm_cc ar = {0, 0};
                bool ha = false;
                if (!used && nvreq_group_bounds(p, l, &d, &c, &ar, &ha)) {
                    used = true;
                    if (d > s->min_drv) s->min_drv = d;
                    if (c > s->min_cuda) s->min_cuda = c;
                    if (ha && (!has_arch || gm_cc_cmp(&ar, &arch) > 0)) arch = ar, has_arch = true;
                } else {
                    dropped++;
                }
                p += l;
            }
            if (!used) {
                if (gm_strlist_addf(&s->notes, "NVIDIA_REQUIRE value \"%s\" has no group of "
                                    "cuda/driver/arch >= conditions: not expressed; the container "
                                    "runtime still checks it at start", e) < 0)
                    return gm_error_set(err, GM_ENOMEM, "out of memory");
            } else if (dropped &&
                       gm_strlist_addf(&s->notes, "NVIDIA_REQUIRE value \"%s\": only its first "
                                       "expressible alternative is used (%zu other alternative%s "
                                       "dropped: conservative)", e, dropped, dropped == 1 ? "" : "s") < 0) {
                return gm_error_set(err, GM_ENOMEM, "out of memory");
            }
        }
    /* per known CC: what the driver must support */
    size_t na;
    const gm_arch_entry *ae = gm_table_arch(&na);
    for (size_t i = 0; i < na; i++) {
        const gm_cc *cc = &ae[i].cc;
        if (has_arch && gm_cc_cmp(cc, &arch) < 0) continue;
        int32_t need = gm_req_cc_need(r, cc);
        if (need == GM_NEED_NEVER) continue;
        size_t g;
        for (g = 0; g < s->ngroups && s->groups[g].need != need; g++) {}
        if (g == s->ngroups) {
            gm_cc_group *ng = realloc(s->groups, (s->ngroups + 1) * sizeof *ng);
            if (!ng) return gm_error_set(err, GM_ENOMEM, "out of memory");
            s->groups = ng;
            memset(&s->groups[g], 0, sizeof *ng);
            s->groups[g].need = need;
            s->ngroups++;
        }
        gm_cc_group *G = &s->groups[g];
        gm_cc *nc = realloc(G->ccs, (G->n + 1) * sizeof *nc);
        bool *no = nc ? realloc(G->major_open, (G->n + 1) * sizeof *no) : NULL;
        if (nc) G->ccs = nc;
        if (!nc || !no) return gm_error_set(err, GM_ENOMEM, "out of memory");
        G->major_open = no;
        gm_cc later = {cc->major, 99};
        G->ccs[G->n] = *cc;
        G->major_open[G->n++] = gm_req_cc_need(r, &later) == need;
    }
    gm_cc future = {99, 0};
    for (size_t g = 0; g < s->ngroups; g++) {
        gm_cc_group *G = &s->groups[g];
        /* open within the major only if every known CC above it in that major is
         * in the group too (a Tegra CC such as 8.7 may sit between 8.6 and 8.9) */
        for (size_t k = 0; k < G->n; k++)
            for (size_t i = 0; i < na && G->major_open[k]; i++) {
                const gm_cc *o = &ae[i].cc;
                if (o->major != G->ccs[k].major || o->minor <= G->ccs[k].minor) continue;
                bool in = false;
                for (size_t j = 0; j < G->n; j++) in |= !gm_cc_cmp(&G->ccs[j], o);
                G->major_open[k] = in;
            }
        /* open above: a far-future CC runs it too, and so does every known
         * CC from the group's lowest one upwards */
        bool open = gm_req_cc_need(r, &future) == G->need;
        for (size_t i = 0; i < na && open; i++) {
            if (gm_cc_cmp(&ae[i].cc, &G->ccs[0]) < 0) continue;
            bool in = false;
            for (size_t k = 0; k < G->n; k++) in |= !gm_cc_cmp(&G->ccs[k], &ae[i].cc);
            open = in;
        }
        G->open_above = open;
    }
    if (s->ngroups == 0 &&
        gm_strlist_add(&s->notes, "no GPU gpumatch knows can run this requirement") < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    (void)a;
    (void)b;
    return 0;
}

void gm_dnf_free(gm_dnf *d) {
    for (size_t i = 0; i < d->n; i++) gm_strlist_free(&d->c[i]);
    free(d->c);
    memset(d, 0, sizeof *d);
}

void gm_dnf_add(gm_dnf *d, ...) {
    gm_strlist *nc = realloc(d->c, (d->n + 1) * sizeof *nc);
    if (!nc) { d->oom = true; return; }
    d->c = nc;
    memset(&d->c[d->n], 0, sizeof *nc);
    va_list ap;
    va_start(ap, d);
    for (const char *a; (a = va_arg(ap, const char *));)
        if (gm_strlist_add(&d->c[d->n], a) < 0) d->oom = true;
    va_end(ap);
    d->n++;
}

void gm_dnf_and(gm_dnf *d, const gm_dnf *e) {
    if (e->oom) d->oom = true;
    if (e->n == 0) return;
    if (d->n == 0) {
        for (size_t j = 0; j < e->n; j++) {
            gm_dnf_add(d, NULL);
            for (size_t k = 0; k < e->c[j].n; k++)
                if (gm_strlist_add(&d->c[d->n - 1], e->c[j].items[k]) < 0) d->oom = true;
        }
        return;
    }
    gm_dnf out = {0};
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < e->n; j++) {
            gm_dnf_add(&out, NULL);
            gm_strlist *t = &out.c[out.n - 1];
            for (size_t k = 0; k < d->c[i].n; k++)
                if (gm_strlist_add(t, d->c[i].items[k]) < 0) out.oom = true;
            for (size_t k = 0; k < e->c[j].n; k++)
                if (gm_strlist_add(t, e->c[j].items[k]) < 0) out.oom = true;
        }
    bool oom = d->oom || out.oom;
    gm_dnf_free(d);
    *d = out;
    d->oom = oom;
}

void gm_note(gm_buf *b, gm_strlist *notes, const char *comment, const char *text) {
    if (b) gm_buf_printf(b, "%s note: %s\n", comment, text);
    if (notes) gm_strlist_add(notes, text);
}
