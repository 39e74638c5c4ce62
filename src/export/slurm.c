/* slurm: node -> slurm.conf NodeName line (Gres=, Features=) + gres.conf lines;
 * requirement -> sbatch/srun options (--gres=gpu:N, --constraint=...).
 * Slurm features are plain words and --constraint has no numeric comparison
 * (slurm.conf(5) Features; sbatch(1) --constraint: &, |, parentheses), so
 * numbers become "ladders": a node with driver 550.54.15 gets drvge_<T> for
 * every driver T in gpumatch's toolkit table with T <= 550.54.15, and a job
 * needing driver >= D asks for the smallest table T >= D (tighter, never looser).
 * The same for the CUDA version the driver supports (cudage_12_4) and per-GPU
 * memory (gpumemge_<N>g, the smallest GPU on the node). CCs are exact words (cc80). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "gpumatch/export.h"
#include "gpumatch/tables.h"
#include "internal.h"

static const int mem_ladder_gib[] = {4, 8, 12, 16, 24, 32, 40, 48, 64, 80, 94, 96, 141, 180, 192, 288};
#define N_MEM (sizeof mem_ladder_gib / sizeof mem_ladder_gib[0])

static void drv_word(int64_t v, char *buf, size_t len) {
    snprintf(buf, len, "drvge_%lld_%lld_%02lld", (long long)(v / 10000000000LL),
             (long long)(v / 100000 % 100000), (long long)(v % 100000));
}

/* distinct driver versions of the toolkit table (bundled + minor-compat minimums) */
static size_t drv_ladder(int64_t *out, size_t max) {
    size_t n, k = 0;
    const gm_toolkit_entry *t = gm_table_toolkit(&n);
    for (size_t i = 0; i < n; i++) {
        int64_t v[2] = {gm_drv_int(&t[i].toolkit_driver), gm_drv_int(&t[i].minor_compat_driver)};
        for (int j = 0; j < 2; j++) {
            if (v[j] < 0) continue;
            bool dup = false;
            for (size_t x = 0; x < k; x++) dup |= out[x] == v[j];
            if (!dup && k < max) out[k++] = v[j];
        }
    }
    return k;
}

/* The Features= words of a node. */
static char *node_features(const gm_node *n, gm_error *err) {
    gm_buf f = {0};
    char w[96];
    gm_buf_printf(&f, "gpu");
    /* exact CCs present */
    for (size_t i = 0; i < n->n_devices; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++) seen |= !gm_cc_cmp(&n->devices[k].cc, &n->devices[i].cc);
        if (!seen && n->devices[i].cc.major) gm_buf_printf(&f, ",cc%d", gm_cc_to_sm(&n->devices[i].cc));
    }
    int64_t ladder[128];
    size_t nl = drv_ladder(ladder, 128);
    int64_t drv = gm_drv_int(&n->driver);
    if (drv >= 0) {
        gm_buf_printf(&f, ",drv%d", n->driver.major);
        for (size_t i = 0; i < nl; i++)
            if (ladder[i] <= drv) { drv_word(ladder[i], w, sizeof w); gm_buf_printf(&f, ",%s", w); }
    }
    int32_t cu = gm_node_cuda_int(n);
    if (cu >= 0) {
        size_t nt;
        const gm_toolkit_entry *t = gm_table_toolkit(&nt);
        for (size_t i = 0; i < nt; i++)
            if (gm_cuda_int(&t[i].cuda) <= cu)
                gm_buf_printf(&f, ",cudage_%d_%d", t[i].cuda.major, t[i].cuda.minor);
    }
    long minmem = -1;
    for (size_t i = 0; i < n->n_devices; i++)
        if (n->devices[i].memory_mib >= 0 && (minmem < 0 || n->devices[i].memory_mib < minmem))
            minmem = n->devices[i].memory_mib;
    for (size_t i = 0; i < N_MEM && minmem >= 0; i++)
        if ((long)mem_ladder_gib[i] * 1024 <= minmem) gm_buf_printf(&f, ",gpumemge_%dg", mem_ladder_gib[i]);
    return gm_buf_finish(&f, err);
}

int gm_export_slurm_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0}, g = {0};
    const char *h = n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node";
    gm_buf_printf(&b, "# Slurm node facts for %s (gpumatch export --to slurm)\n", h);
    /* Gres by model word */
    bool first = true;
    for (size_t i = 0; i < n->n_devices; i++) {
        char ti[64], tk[64];
        gm_gpu_type_word(n->devices[i].name, ti, sizeof ti);
        bool seen = false;
        size_t cnt = 0;
        for (size_t k = 0; k < n->n_devices; k++) {
            gm_gpu_type_word(n->devices[k].name, tk, sizeof tk);
            if (!strcmp(ti, tk)) { cnt++; if (k < i) seen = true; }
        }
        if (seen) continue;
        gm_buf_printf(&g, "%sgpu:%s:%zu", first ? "" : ",", ti, cnt);
        first = false;
    }
    char *fs = node_features(n, err), *gs = gm_buf_finish(&g, err);
    if (!fs || !gs) { free(fs); free(gs); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    if (n->n_devices && !gm_node_uniform(n))
        gm_note(&b, notes, "#", "mixed GPU models: Features lists every CC present and the smallest "
                                "GPU's memory; a job constrained on a CC may still get another model's "
                                "GPU unless it asks --gres=gpu:TYPE:N");
    gm_buf_printf(&b, "# slurm.conf\nNodeName=%s%s%s Features=%s\n", h, *gs ? " Gres=" : "", gs, fs);
    gm_buf_printf(&b, "# gres.conf\n");
    for (size_t i = 0; i < n->n_devices; i++) {
        char ti[64];
        gm_gpu_type_word(n->devices[i].name, ti, sizeof ti);
        gm_buf_printf(&b, "NodeName=%s Name=gpu Type=%s File=/dev/nvidia%d\n", h, ti, n->devices[i].index);
    }
    free(fs);
    free(gs);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}

/* Is every &-joined word of term among the cluster's features? */
static bool term_known(const char *term, size_t len, const gm_strlist *vocab) {
    const char *p = term, *end = term + len;
    while (p < end) {
        const char *a = memchr(p, '&', (size_t)(end - p));
        size_t l = (size_t)((a ? a : end) - p);
        bool found = false;
        for (size_t i = 0; i < vocab->n && !found; i++)
            found = strlen(vocab->items[i]) == l && !strncmp(vocab->items[i], p, l);
        if (!found) return false;
        p = a ? a + 1 : end;
    }
    return true;
}

int gm_export_slurm_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err) {
    return gm_export_slurm_req_for(r, NULL, out, notes, err);
}

int gm_export_slurm_req_for(const gm_requirement *r, const gm_node_list *cluster, char **out,
                            gm_strlist *notes, gm_error *err) {
    gm_req_summary s;
    int rc = gm_req_summarize(r, &s, err);
    if (rc) return rc;
    gm_buf b = {0}, c = {0};
    char w[96];
    gm_buf_printf(&b, "# sbatch/srun options (gpumatch export --to slurm)\n");
    for (size_t i = 0; i < s.notes.n; i++) gm_note(&b, notes, "#", s.notes.items[i]);
    /* common part: driver ladder and memory ladder */
    gm_buf common = {0};
    if (s.min_drv != GM_DRV_NONE) {
        int64_t ladder[128], best = -1;
        size_t nl = drv_ladder(ladder, 128);
        for (size_t i = 0; i < nl; i++)
            if (ladder[i] >= s.min_drv && (best < 0 || ladder[i] < best)) best = ladder[i];
        if (best < 0) {
            gm_note(&b, notes, "#", "the driver needed is newer than any in gpumatch's tables: "
                                    "no feature can express it; nothing will match");
            gm_buf_printf(&common, "&gpumatch_unsatisfiable");
        } else {
            drv_word(best, w, sizeof w);
            gm_buf_printf(&common, "&%s", w);
            if (best != s.min_drv) {
                char a[64], bb[64], *t;
                gm_drv_int_str(s.min_drv, a, sizeof a);
                gm_drv_int_str(best, bb, sizeof bb);
                t = gm_asprintf("driver >= %s rounded up to %s (Slurm features are words, not "
                                "numbers): nodes in between are refused", a, bb);
                if (t) gm_note(&b, notes, "#", t);
                free(t);
            }
        }
    }
    if (s.min_mem_mib > 0) {
        size_t i;
        for (i = 0; i < N_MEM && (long)mem_ladder_gib[i] * 1024 < s.min_mem_mib; i++) {}
        if (i == N_MEM) gm_buf_printf(&common, "&gpumatch_unsatisfiable");
        else gm_buf_printf(&common, "&gpumemge_%dg", mem_ladder_gib[i]);
        if (i < N_MEM && (long)mem_ladder_gib[i] * 1024 != s.min_mem_mib) {
            char *t = gm_asprintf("GPU memory >= %ld MiB rounded up to %d GiB", s.min_mem_mib,
                                  mem_ladder_gib[i]);
            if (t) gm_note(&b, notes, "#", t);
            free(t);
        }
    }
    char *cs = gm_buf_finish(&common, err);
    if (!cs) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    /* one OR-term per CC: ccXY&cudage..&common (flat: & binds tighter than |) */
    bool any_open = false;
    size_t terms = 0;
    for (size_t g = 0; g < s.ngroups; g++) {
        const gm_cc_group *G = &s.groups[g];
        int32_t cu = G->need > s.min_cuda ? G->need : s.min_cuda;
        char cw[48] = "";
        if (cu != GM_NEED_NONE) {
            size_t nt;
            const gm_toolkit_entry *t = gm_table_toolkit(&nt);
            int32_t best = GM_NEED_NEVER;
            for (size_t i = 0; i < nt; i++)
                if (gm_cuda_int(&t[i].cuda) >= cu && gm_cuda_int(&t[i].cuda) < best) best = gm_cuda_int(&t[i].cuda);
            if (best == GM_NEED_NEVER) continue;
            snprintf(cw, sizeof cw, "&cudage_%d_%d", best / 1000, best % 1000 / 10);
        }
        any_open |= G->open_above;
        for (size_t i = 0; i < G->n; i++) {
            any_open |= G->major_open[i];
            gm_buf_printf(&c, "%scc%d%s%s", terms++ ? "|" : "", gm_cc_to_sm(&G->ccs[i]), cw, cs);
        }
    }
    free(cs);
    if (any_open)
        gm_note(&b, notes, "#", "compute capabilities newer than gpumatch's tables also run this, "
                                "but features name exact CCs: only known ones are listed");
    gm_note(&b, notes, "#", "features are per node: on a node with mixed GPU models, add "
                            "--gres=gpu:TYPE:N to get the right model");
    char *con = gm_buf_finish(&c, err);
    if (!con) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    if (cluster) {
        /* Slurm refuses a constraint naming a feature no node has ("Invalid
         * feature specification"), so keep the terms the cluster can satisfy:
         * a term with an unknown word matches no node anyway. */
        gm_strlist vocab = {0};
        for (size_t i = 0; i < cluster->n; i++) {
            char *fs = node_features(&cluster->nodes[i], err);
            char *save = NULL;
            for (char *tok = fs ? strtok_r(fs, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
                if (!term_known(tok, strlen(tok), &vocab)) gm_strlist_add(&vocab, tok);
            free(fs);
        }
        gm_buf k = {0};
        size_t kept = 0, dropped = 0;
        for (const char *p = con; *p;) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (term_known(p, l, &vocab)) gm_buf_printf(&k, "%s%.*s", kept++ ? "|" : "", (int)l, p);
            else dropped++;
            p += l + (bar ? 1 : 0);
        }
        gm_strlist_free(&vocab);
        free(con);
        con = gm_buf_finish(&k, err);
        if (!con) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
        char *t = gm_asprintf("%zu alternative%s naming features no node of the given cluster has "
                              "left out (Slurm rejects unknown features)", dropped, dropped == 1 ? "" : "s");
        if (t && dropped) gm_note(&b, notes, "#", t);
        free(t);
        if (!kept) gm_note(&b, notes, "#", "no node of the given cluster can run this: srun/sbatch "
                                           "will refuse the constraint");
    } else {
        gm_note(&b, notes, "#", "Slurm refuses a --constraint naming a feature no node has: give "
                                "--nodes CLUSTER.json to keep only the cluster's features");
    }
    if (!*con) gm_note(&b, notes, "#", "no GPU gpumatch knows can run this: the constraint matches nothing");
    if (s.count > 0) gm_buf_printf(&b, "--gres=gpu:%ld\n", s.count);
    gm_buf_printf(&b, "--constraint=%s\n", *con ? con : "gpumatch_unsatisfiable");
    free(con);
    gm_req_summary_free(&s);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
