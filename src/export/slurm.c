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
#include "export/units.h"
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

/* gres Type of a unit: the model word, MIG instances "<model>_<profile>"
 * (as Slurm's AutoDetect=nvml names them). */
static void unit_type(const gm_xunit *u, char *buf, size_t len) {
    char t[64];
    gm_gpu_type_word(u->d->name, t, sizeof t);
    if (u->m) snprintf(buf, len, "%s_%s", t, u->m->profile ? u->m->profile : "mig");
    else snprintf(buf, len, "%s", t);
}

/* The Features= words of a node. */
static char *node_features(const gm_node *n, gm_error *err) {
    gm_buf f = {0};
    char w[96];
    gm_buf_printf(&f, "gpu");
    /* the CC, only when every GPU has it: --gres=gpu:N may hand out any GPU
     * of the node, so a word true of one GPU would let a job onto another */
    bool one_cc = n->n_devices > 0 && n->devices[0].cc.major;
    for (size_t i = 1; i < n->n_devices; i++) one_cc &= !gm_cc_cmp(&n->devices[0].cc, &n->devices[i].cc);
    if (one_cc) gm_buf_printf(&f, ",cc%d", gm_cc_to_sm(&n->devices[0].cc));
    /* no GPU in MIG mode: --gres=gpu:N>1 cannot be given MIG slices here */
    bool mig = false;
    for (size_t i = 0; i < n->n_devices; i++) mig |= gm_dev_is_mig(&n->devices[i]);
    if (!mig) gm_buf_printf(&f, ",nomig");
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
    /* the smallest schedulable unit (a MIG slice counts) */
    gm_xunit *u;
    size_t nu;
    if (gm_xunits(n, &u, &nu) < 0) f.oom = true;
    long minmem = -1;
    for (size_t i = 0; !f.oom && i < nu; i++) {
        long m = gm_xunit_mem(&u[i]);
        if (m >= 0 && (minmem < 0 || m < minmem)) minmem = m;
    }
    free(u);
    for (size_t i = 0; i < N_MEM && minmem >= 0; i++)
        if ((long)mem_ladder_gib[i] * 1024 <= minmem) gm_buf_printf(&f, ",gpumemge_%dg", mem_ladder_gib[i]);
    return gm_buf_finish(&f, err);
}

int gm_export_slurm_node_parts(const gm_node *n, char **conf, char **gres, gm_strlist *notes,
                               gm_error *err) {
    gm_buf b = {0}, g = {0}, r = {0};
    const char *h = n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node";
    *conf = *gres = NULL;
    gm_xunit *u;
    size_t nu;
    if (gm_xunits(n, &u, &nu) < 0) return gm_error_set(err, GM_ENOMEM, "out of memory");
    /* Gres by type word */
    for (size_t i = 0; i < nu; i++) {
        char ti[96], tk[96];
        unit_type(&u[i], ti, sizeof ti);
        bool seen = false;
        size_t cnt = 0;
        for (size_t k = 0; k < nu; k++) {
            unit_type(&u[k], tk, sizeof tk);
            if (!strcmp(ti, tk)) { cnt++; if (k < i) seen = true; }
        }
        if (!seen) gm_buf_printf(&g, "%sgpu:%s:%zu", g.len ? "," : "", ti, cnt);
    }
    char *fs = node_features(n, err), *gs = gm_buf_finish(&g, err);
    if (!fs || !gs) { free(fs); free(gs); free(u); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    if (n->n_devices && !gm_node_uniform(n))
        gm_note(&b, notes, "#", "mixed GPU models: Features has a ccXY word only when every GPU has "
                                "that CC, and the smallest GPU's memory, since a job may get any GPU "
                                "of the node (stricter)");
    gm_buf_printf(&b, "NodeName=%s%s%s Features=%s\n", h, *gs ? " Gres=" : "", gs, fs);
    for (size_t i = 0; i < nu; i++) {
        char ti[96];
        int minor = gm_device_minor(u[i].d);
        unit_type(&u[i], ti, sizeof ti);
        if (!u[i].m) {
            /* /dev/nvidia<minor>: the kernel's number, not the index */
            gm_buf_printf(&r, "NodeName=%s Name=gpu Type=%s File=/dev/nvidia%d\n", h, ti, minor);
        } else if (u[i].m->gi >= 0 && u[i].m->ci >= 0) {
            /* gres.conf(5): a MIG slice needs its parent and its GI/CI caps */
            gm_buf_printf(&r, "NodeName=%s Name=gpu Type=%s MultipleFiles=/dev/nvidia%d,"
                              "/dev/nvidia-caps/nvidia-cap%d,/dev/nvidia-caps/nvidia-cap%d\n",
                          h, ti, minor, gm_mig_gi_cap_minor(minor, u[i].m->gi),
                          gm_mig_ci_cap_minor(minor, u[i].m->gi, u[i].m->ci));
        } else {
            gm_note(&r, notes, "#", "a MIG instance without GI/CI ids: its gres.conf line is left out "
                                    "(use AutoDetect=nvml)");
        }
    }
    for (size_t i = 0; i < n->n_devices; i++)
        if (gm_dev_is_mig(&n->devices[i])) {
            gm_note(&r, notes, "#", "MIG capability minors follow the driver's mig-minors layout; "
                                    "check /proc/driver/nvidia-caps/mig-minors or use AutoDetect=nvml");
            break;
        }
    free(fs);
    free(gs);
    free(u);
    *conf = gm_buf_finish(&b, err);
    *gres = gm_buf_finish(&r, err);
    if (!*conf || !*gres) { free(*conf); free(*gres); *conf = *gres = NULL; return GM_ENOMEM; }
    return 0;
}

int gm_export_slurm_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    char *conf, *gres;
    int rc = gm_export_slurm_node_parts(n, &conf, &gres, notes, err);
    if (rc) return rc;
    const char *h = n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node";
    *out = gm_asprintf("# Slurm node facts for %s (gpumatch export --to slurm)\n"
                       "# slurm.conf\nGresTypes=gpu\n%s# gres.conf\n%s", h, conf, gres);
    free(conf);
    free(gres);
    if (!*out) return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
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
    gm_buf_printf(&b, "# sbatch options (gpumatch export --to slurm)\n");
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
    if (!gm_core_unit_usable(true, s.count)) { /* the core's MIG rule */
        /* --gres=gpu:N may hand out MIG slices, and CUDA sees one per process */
        gm_buf_printf(&common, "&nomig");
        gm_note(&b, notes, "#", "more than one GPU: only nodes without GPUs in MIG mode (feature "
                                "nomig), since a CUDA process sees one MIG device");
    }
    char *cs = gm_buf_finish(&common, err);
    if (!cs) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    /* one OR-term per CC: ccXY&cudage..&common (grouped with parentheses below) */
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
    gm_note(&b, notes, "#", "features are per node: nodes with mixed GPU models carry no ccXY word "
                            "and are not selected (stricter)");
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
    /* sbatch(1): features are parsed strictly left to right, so a&b|c&d is
     * ((a&b)|c)&d; parentheses group each alternative */
    gm_buf q = {0};
    for (const char *p = con; *p;) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        bool and = memchr(p, '&', l) != NULL;
        gm_buf_printf(&q, "%s%s%.*s%s", p == con ? "" : "|", and ? "(" : "", (int)l, p, and ? ")" : "");
        p += l + (bar ? 1 : 0);
    }
    char *qs = gm_buf_finish(&q, err);
    if (!qs) { free(con); gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    const char *cv = *qs ? qs : "gpumatch_unsatisfiable";
    /* #SBATCH lines are read by sbatch, not a shell: no quoting needed there;
     * on a command line the & and | must be quoted */
    if (s.count > 0) gm_buf_printf(&b, "#SBATCH --gres=gpu:%ld\n", s.count);
    gm_buf_printf(&b, "#SBATCH --constraint=%s\n", cv);
    gm_buf_printf(&b, "# srun/sbatch options: ");
    if (s.count > 0) gm_buf_printf(&b, "--gres=gpu:%ld ", s.count);
    gm_buf_printf(&b, "--constraint='%s'\n", cv); /* feature words never hold a quote */
    free(qs);
    free(con);
    gm_req_summary_free(&s);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
