/* Workloads x node kinds, each cell one gm_match verdict condensed; what-if
 * re-runs gm_match on node copies with the pool's driver changed. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/fleet.h"
#include "internal.h"

#define OOM(err) gm_error_set(err, GM_ENOMEM, "out of memory")

const char *gm_cell_state_str(gm_cell_state s) {
    switch (s) {
    case GM_CELL_FITS: return "fits";
    case GM_CELL_NOTE: return "fits-with-note";
    default: return "no";
    }
}

void gm_cell_free(gm_cell *c) {
    if (!c)
        return;
    gm_strlist_free(&c->reasons);
    gm_strlist_free(&c->notes);
    memset(c, 0, sizeof *c);
}

/* Distinct unit texts, each with the labels of the units it applies to. */
static int group_units(const gm_verdict *v, bool notes, bool only_ok, const char *prefix,
                       gm_strlist *out) {
    gm_strlist texts = {0}, labels = {0};
    size_t counts[64] = {0}, considered = 0;
    int rc = 0;
    for (size_t i = 0; i < v->n_units && !rc; i++) {
        const gm_unit_verdict *u = &v->units[i];
        if (only_ok && !u->ok)
            continue;
        const gm_strlist *l = notes ? &u->notes : &u->reasons;
        considered++;
        char lab[32];
        gm_unit_label(v, u, lab, sizeof lab);
        for (size_t j = 0; j < l->n && !rc; j++) {
            size_t t = 0;
            while (t < texts.n && strcmp(texts.items[t], l->items[j]))
                t++;
            if (t < 64)
                counts[t]++;
            if (t == texts.n) {
                if (gm_strlist_add(&texts, l->items[j]) < 0 || gm_strlist_add(&labels, lab) < 0)
                    rc = GM_ENOMEM;
            } else {
                char *s = gm_asprintf("%s%s%s", labels.items[t],
                                      strchr(lab, ':') || strchr(labels.items[t], ':') ? ", " : ",",
                                      lab);
                if (!s) {
                    rc = GM_ENOMEM;
                } else {
                    free(labels.items[t]);
                    labels.items[t] = s;
                }
            }
        }
    }
    for (size_t t = 0; t < texts.n && !rc; t++) {
        /* "all 8 GPUs" reads better than "GPU 0,1,2,3,4,5,6,7" */
        bool all = t < 64 && considered > 2 && counts[t] == considered &&
                   !strchr(labels.items[t], ':');
        if ((all ? gm_strlist_addf(out, "%sall %zu GPUs: %s", prefix, considered, texts.items[t])
                 : gm_strlist_addf(out, "%sGPU %s: %s", prefix, labels.items[t], texts.items[t])) < 0)
            rc = GM_ENOMEM;
    }
    gm_strlist_free(&texts);
    gm_strlist_free(&labels);
    return rc;
}

int gm_cell_from_verdict(const gm_verdict *v, gm_cell *c, gm_error *err) {
    memset(c, 0, sizeof *c);
    c->n_compatible = v->n_compatible;
    for (size_t i = 0; i < v->reasons.n; i++)
        if (gm_strlist_add(&c->reasons, v->reasons.items[i]) < 0)
            goto oom;
    for (size_t i = 0; i < v->notes.n; i++)
        if (gm_strlist_add(&c->notes, v->notes.items[i]) < 0)
            goto oom;
    /* a node that fits: how its usable GPUs run the code, and why others can't */
    if (group_units(v, false, false, v->ok ? "unusable " : "", v->ok ? &c->notes : &c->reasons) < 0)
        goto oom;
    if (group_units(v, true, v->ok, "", &c->notes) < 0)
        goto oom;
    c->state = !v->ok ? GM_CELL_NO : c->notes.n ? GM_CELL_NOTE : GM_CELL_FITS;
    return 0;
oom:
    gm_cell_free(c);
    return OOM(err);
}

void gm_matrix_free(gm_matrix *m) {
    if (!m)
        return;
    size_t n = m->n_workloads * m->kinds.n;
    for (size_t i = 0; m->cells && i < n; i++)
        gm_cell_free(&m->cells[i]);
    for (size_t i = 0; m->before && i < n; i++)
        gm_cell_free(&m->before[i]);
    for (size_t i = 0; m->workload_names && i < m->n_workloads; i++)
        free(m->workload_names[i]);
    free(m->cells);
    free(m->before);
    free(m->changed);
    free(m->workload_names);
    free(m->view);
    free(m->what_if_driver);
    free(m->what_if_pool);
    gm_node_kinds_free(&m->kinds);
    memset(m, 0, sizeof *m);
}

static int cell_for(const gm_node *n, const gm_requirement *r, gm_cell *c, gm_error *err) {
    gm_verdict v;
    int rc = gm_match(n, r, &v, err);
    if (rc < 0)
        return rc;
    rc = gm_cell_from_verdict(&v, c, err);
    gm_verdict_free(&v);
    return rc;
}

int gm_matrix_run(const gm_node_list *nodes, const gm_requirement *reqs, char *const *names,
                  size_t n_reqs, const gm_what_if *wi, gm_matrix *m, gm_error *err) {
    memset(m, 0, sizeof *m);
    int rc = GM_ENOMEM;
    gm_node_kinds orig = {0};
    bool *moved = NULL;
    char **was = NULL;
    m->n_workloads = n_reqs;
    m->workload_names = gm_xcalloc(n_reqs ? n_reqs : 1, sizeof *m->workload_names);
    m->view = gm_xcalloc(nodes->n ? nodes->n : 1, sizeof *m->view);
    if (!m->workload_names || !m->view)
        goto oom;
    for (size_t w = 0; w < n_reqs; w++)
        if (!(m->workload_names[w] = gm_strdup(names[w] ? names[w] : "workload")))
            goto oom;
    /* shallow copies: members stay owned by `nodes`, only driver fields change */
    memcpy(m->view, nodes->nodes, nodes->n * sizeof *m->view);
    gm_node_list view = {m->view, nodes->n};
    if (wi && wi->driver) {
        gm_driver_version d;
        if ((rc = gm_driver_version_parse(wi->driver, &d, err)) < 0) {
            gm_error_prefix(err, "--what-if: ");
            goto fail;
        }
        if (!wi->pool || !*wi->pool) {
            rc = gm_error_set(err, GM_EINVAL, "--what-if needs --pool NAME (a kind or a glob on hostnames)");
            goto fail;
        }
        if ((rc = gm_node_kinds_build(nodes, &orig, err)) < 0)
            goto fail;
        moved = gm_xcalloc(nodes->n ? nodes->n : 1, sizeof *moved);
        was = gm_xcalloc(nodes->n ? nodes->n : 1, sizeof *was);
        m->what_if_driver = gm_strdup(wi->driver);
        m->what_if_pool = gm_strdup(wi->pool);
        if (!moved || !was || !m->what_if_driver || !m->what_if_pool)
            goto oom;
        size_t hit = 0;
        for (size_t i = 0; i < nodes->n; i++) {
            const gm_node *n = &nodes->nodes[i];
            const char *kid = orig.kinds[orig.kind_of[i]].id;
            if (!fnmatch(wi->pool, kid, 0) || (n->hostname && !fnmatch(wi->pool, n->hostname, 0)) ||
                (n->instance_type && !fnmatch(wi->pool, n->instance_type, 0))) {
                char a[GM_VERSION_STR_MAX];
                moved[i] = true;
                hit++;
                was[i] = gm_strdup(gm_driver_version_is_set(&n->driver)
                                       ? gm_driver_version_str(&n->driver, a) : "unknown");
                if (!was[i])
                    goto oom;
                m->view[i].driver = d;
                /* the CUDA version is then the new driver's, from the toolkit table */
                m->view[i].has_cuda_driver = false;
                memset(&m->view[i].cuda_driver, 0, sizeof m->view[i].cuda_driver);
            }
        }
        if (!hit) {
            char q[64];
            rc = gm_error_set(err, GM_EINVAL,
                              "--pool %s matches no node kind, hostname or instance type",
                              gm_quote(wi->pool, q));
            goto fail;
        }
    }
    if ((rc = gm_node_kinds_build(&view, &m->kinds, err)) < 0)
        goto fail;
    if (moved) {
        /* a changed node never shares a kind with an unchanged one, nor with
         * one that had another driver before: split such kinds */
        gm_node_kinds split = {0};
        size_t nk = 0, cap = 0;
        size_t *map = gm_xcalloc(nodes->n ? nodes->n : 1, sizeof *map);
        if (!map)
            goto oom;
        split.kind_of = map;
        split.n_nodes = nodes->n;
        for (size_t k = 0; k < m->kinds.n; k++) {
            gm_node_kind *kd = &m->kinds.kinds[k];
            size_t first = nk;
            for (size_t j = 0; j < kd->n_members; j++) {
                size_t i = kd->members[j], t = first;
                for (; t < nk; t++) {
                    size_t r = split.kinds[t].members[0];
                    if (moved[r] == moved[i] &&
                        (!moved[i] || !strcmp(was[r], was[i])))
                        break;
                }
                if (t == nk) {
                    if (gm_grow((void **)&split.kinds, &cap, nk + 1, sizeof *split.kinds) < 0)
                        goto split_oom;
                    memset(&split.kinds[nk], 0, sizeof split.kinds[nk]);
                    split.kinds[nk].members = gm_xcalloc(kd->n_members, sizeof(size_t));
                    split.kinds[nk].gpus = gm_strdup(kd->gpus);
                    split.kinds[nk].id = t == first ? gm_strdup(kd->id)
                                                    : gm_asprintf("%s.%zu", kd->id, t - first + 1);
                    split.kinds[nk].was_driver = moved[i] ? gm_strdup(was[i]) : NULL;
                    split.n = ++nk;
                    if (!split.kinds[t].members || !split.kinds[t].gpus || !split.kinds[t].id ||
                        (moved[i] && !split.kinds[t].was_driver))
                        goto split_oom;
                }
                split.kinds[t].members[split.kinds[t].n_members++] = i;
                map[i] = t;
            }
        }
        gm_node_kinds_free(&m->kinds);
        m->kinds = split;
        goto split_done;
    split_oom:
        gm_node_kinds_free(&split);
        goto oom;
    split_done:;
    }
    size_t nk = m->kinds.n, ncell = n_reqs * nk;
    m->cells = gm_xcalloc(ncell ? ncell : 1, sizeof *m->cells);
    if (!m->cells)
        goto oom;
    if (moved) {
        m->before = gm_xcalloc(ncell ? ncell : 1, sizeof *m->before);
        m->changed = gm_xcalloc(nk ? nk : 1, sizeof *m->changed);
        if (!m->before || !m->changed)
            goto oom;
    }
    for (size_t w = 0; w < n_reqs; w++)
        for (size_t k = 0; k < nk; k++) {
            size_t rep = m->kinds.kinds[k].members[0];
            if ((rc = cell_for(&m->view[rep], &reqs[w], &m->cells[w * nk + k], err)) < 0)
                goto fail;
            if (moved) {
                m->changed[k] = moved[rep];
                if ((rc = cell_for(&nodes->nodes[rep], &reqs[w], &m->before[w * nk + k], err)) < 0)
                    goto fail;
            }
        }
    rc = 0;
    goto out;
oom:
    rc = OOM(err);
fail:
    gm_matrix_free(m);
out:
    gm_node_kinds_free(&orig);
    if (was)
        for (size_t i = 0; i < nodes->n; i++)
            free(was[i]);
    free(was);
    free(moved);
    return rc;
}
