/* Matrix reports: text (width-aware), JSON, CSV; and text helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gpumatch/fleet.h"
#include "internal.h"

#define OOM(err) gm_error_set(err, GM_ENOMEM, "out of memory")

char *gm_text_escape(const char *s) {
    if (!s)
        return gm_strdup("");
    size_t n = strlen(s);
    char *o = malloc(n * 4 + 1), *p = o;
    if (!o)
        return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '\n') { *p++ = '\\'; *p++ = 'n'; }
        else if (*c == '\t') { *p++ = '\\'; *p++ = 't'; }
        else if (*c < 0x20 || *c == 0x7f) p += sprintf(p, "\\x%02x", *c);
        else *p++ = (char)*c;
    }
    *p = '\0';
    return o;
}

size_t gm_text_width(const char *s) {
    size_t w = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        w += (*c & 0xc0) != 0x80;
    return w;
}

char *gm_text_elide(const char *s, size_t w) {
    if (!w || gm_text_width(s) <= w)
        return gm_strdup(s);
    size_t cols = 0;
    const unsigned char *c = (const unsigned char *)s;
    /* keep w-1 code points, then the ellipsis */
    while (*c) {
        if ((*c & 0xc0) != 0x80) {
            if (cols == w - 1)
                break;
            cols++;
        }
        c++;
    }
    size_t keep = (size_t)((const char *)c - s);
    char *o = malloc(keep + 4);
    if (!o)
        return NULL;
    memcpy(o, s, keep);
    memcpy(o + keep, "\xe2\x80\xa6", 4);
    return o;
}

/* fprintf of an escaped, elided field padded to w columns (w 0: as is). */
static void put_field(FILE *f, const char *s, size_t w, bool pad) {
    char *e = gm_text_escape(s);
    char *t = e ? gm_text_elide(e, w) : NULL;
    fputs(t ? t : "?", f);
    if (pad && t)
        for (size_t i = gm_text_width(t); i < w; i++)
            fputc(' ', f);
    free(e);
    free(t);
}

static const char *short_state(gm_cell_state s) {
    return s == GM_CELL_FITS ? "fits" : s == GM_CELL_NOTE ? "note" : "no";
}

static void join_to(FILE *f, const gm_strlist *l, const char *sep) {
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%s%s", i ? sep : "", l->items[i]);
}

static char *drv_str(const gm_node *n, char *buf) {
    char a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX];
    gm_cuda_version dc;
    const char *d = gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, a)
                                                         : "unknown";
    if (gm_node_driver_cuda(n, &dc))
        snprintf(buf, 96, "%s (CUDA %s)", d, gm_cuda_version_str(&dc, b));
    else
        snprintf(buf, 96, "%s", d);
    return buf;
}

static const gm_node *rep(const gm_matrix *m, size_t k) {
    return &m->view[m->kinds.kinds[k].members[0]];
}

/* "a100-01" or "a100-01 and 11 more" */
static void members_str(const gm_matrix *m, size_t k, char *buf, size_t len) {
    const gm_node_kind *kd = &m->kinds.kinds[k];
    char nb[32];
    const char *first = gm_node_display_name(&m->view[kd->members[0]], kd->members[0], nb, sizeof nb);
    if (kd->n_members == 1)
        snprintf(buf, len, "%s", first);
    else
        snprintf(buf, len, "%s and %zu more", first, kd->n_members - 1);
}

char *gm_matrix_to_text(const gm_matrix *m, int width, gm_error *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return OOM(err), NULL;
    size_t W = width > 0 ? (size_t)width : 0, nk = m->kinds.n, nodes = m->kinds.n_nodes;
    fprintf(f, "%zu workload%s x %zu node kind%s (%zu node%s)\n", m->n_workloads,
            m->n_workloads == 1 ? "" : "s", nk, nk == 1 ? "" : "s", nodes, nodes == 1 ? "" : "s");
    if (m->what_if_driver) {
        size_t c = 0;
        for (size_t k = 0; k < nk; k++)
            c += m->changed[k];
        char *t = gm_asprintf("what-if: driver %s on pool %s (%zu kind%s); cells show "
                              "before->after where they differ",
                              m->what_if_driver, m->what_if_pool, c, c == 1 ? "" : "s");
        put_field(f, t ? t : "", W, false);
        fputc('\n', f);
        free(t);
    }
    /* kinds table */
    size_t idw = 4, nw = 5;
    for (size_t k = 0; k < nk; k++) {
        size_t l = gm_text_width(m->kinds.kinds[k].id);
        idw = l > idw ? l : idw;
    }
    idw = idw > 24 ? 24 : idw;
    size_t dw = 6;
    for (size_t k = 0; k < nk; k++) {
        char drv[96], drvw[200];
        drv_str(rep(m, k), drv);
        snprintf(drvw, sizeof drvw, "%s%s%s", drv, m->kinds.kinds[k].was_driver ? ", was " : "",
                 m->kinds.kinds[k].was_driver ? m->kinds.kinds[k].was_driver : "");
        dw = strlen(drvw) > dw ? strlen(drvw) : dw;
    }
    fputc('\n', f);
    char line[512];
    snprintf(line, sizeof line, "%-*s %-*s %-*s %s", (int)idw, "KIND", (int)nw, "NODES",
             (int)dw, "DRIVER", "GPUS");
    put_field(f, line, W, false);
    fputc('\n', f);
    for (size_t k = 0; k < nk; k++) {
        const gm_node_kind *kd = &m->kinds.kinds[k];
        char drv[96], mem[160], drvw[200];
        drv_str(rep(m, k), drv);
        if (kd->was_driver)
            snprintf(drvw, sizeof drvw, "%s, was %s", drv, kd->was_driver);
        else
            snprintf(drvw, sizeof drvw, "%s", drv);
        members_str(m, k, mem, sizeof mem);
        char *idq = gm_text_escape(kd->id), *ide = idq ? gm_text_elide(idq, idw) : NULL;
        char *row = gm_asprintf("%s%*s %-*zu %-*s %s  [%s]", ide ? ide : "?",
                                (int)(idw - (ide ? gm_text_width(ide) : 1)), "", (int)nw,
                                kd->n_members, (int)dw, drvw, kd->gpus, mem);
        free(idq);
        free(ide);
        if (row)
            put_field(f, row, W, false);
        free(row);
        fputc('\n', f);
    }
    /* the grid */
    size_t cw = 4, ww = 8;
    for (size_t k = 0; k < nk; k++) {
        size_t l = gm_text_width(m->kinds.kinds[k].id);
        l = l > 24 ? 24 : l;
        cw = l > cw ? l : cw;
    }
    if (m->before)
        cw = cw < 10 ? 10 : cw;
    for (size_t w = 0; w < m->n_workloads; w++) {
        size_t l = gm_text_width(m->workload_names[w]);
        ww = l > ww ? l : ww;
    }
    /* the name column gives way to the cells on a narrow terminal */
    if (W && ww + nk * (cw + 1) + 1 > W)
        ww = W > nk * (cw + 1) + 13 ? W - nk * (cw + 1) - 1 : 12;
    ww = ww > 60 ? 60 : ww;
    fputc('\n', f);
    put_field(f, "WORKLOAD", ww, true);
    for (size_t k = 0; k < nk; k++) {
        fputc(' ', f);
        put_field(f, m->kinds.kinds[k].id, cw, k + 1 < nk);
    }
    fputc('\n', f);
    for (size_t w = 0; w < m->n_workloads; w++) {
        put_field(f, m->workload_names[w], ww, true);
        for (size_t k = 0; k < nk; k++) {
            const gm_cell *c = &m->cells[w * nk + k];
            char cell[32];
            if (m->before && m->before[w * nk + k].state != c->state)
                snprintf(cell, sizeof cell, "%s->%s", short_state(m->before[w * nk + k].state),
                         short_state(c->state));
            else
                snprintf(cell, sizeof cell, "%s", short_state(c->state));
            fputc(' ', f);
            put_field(f, cell, cw, k + 1 < nk);
        }
        fputc('\n', f);
    }
    /* why not, and how */
    bool head = false;
    for (size_t w = 0; w < m->n_workloads; w++)
        for (size_t k = 0; k < nk; k++) {
            const gm_cell *c = &m->cells[w * nk + k];
            if (c->state == GM_CELL_FITS)
                continue;
            if (!head) {
                fprintf(f, "\nreasons (no) and notes:\n");
                head = true;
            }
            char *t = gm_asprintf("  %s on %s:%s", m->workload_names[w], m->kinds.kinds[k].id,
                                  c->state == GM_CELL_NO ? "" : " (fits, with notes)");
            put_field(f, t ? t : "", W, false);
            fputc('\n', f);
            free(t);
            const gm_strlist *l = c->state == GM_CELL_NO ? &c->reasons : &c->notes;
            for (size_t i = 0; i < l->n; i++) {
                t = gm_asprintf("    - %s", l->items[i]);
                put_field(f, t ? t : "", W, false);
                fputc('\n', f);
                free(t);
            }
        }
    fputc('\n', f);
    put_field(f, "legend: fits; note = fits with notes; no = does not fit (reasons above)", W,
              false);
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(buf);
        return OOM(err), NULL;
    }
    return buf;
}

static json_t *cell_json(const gm_cell *c) {
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(gm_cell_state_str(c->state)));
    json_object_set_new(o, "compatible_gpus", json_integer((json_int_t)c->n_compatible));
    json_object_set_new(o, "reasons", gm_json_strlist(&c->reasons));
    json_object_set_new(o, "notes", gm_json_strlist(&c->notes));
    return o;
}

char *gm_matrix_to_json(const gm_matrix *m, gm_error *err) {
    json_t *o = json_object(), *kinds = json_array(), *wl = json_array(), *cells = json_array();
    size_t nk = m->kinds.n;
    json_object_set_new(o, "schema_version", json_integer(GM_SCHEMA_VERSION));
    if (m->what_if_driver) {
        json_t *w = json_object();
        json_object_set_new(w, "driver", json_string(m->what_if_driver));
        json_object_set_new(w, "pool", json_string(m->what_if_pool));
        json_object_set_new(o, "what_if", w);
    } else {
        json_object_set_new(o, "what_if", json_null());
    }
    for (size_t k = 0; k < nk; k++) {
        const gm_node_kind *kd = &m->kinds.kinds[k];
        const gm_node *n = rep(m, k);
        json_t *j = json_object(), *names = json_array(), *ccs = json_array();
        char a[GM_VERSION_STR_MAX], nb[32];
        gm_cuda_version dc;
        json_object_set_new(j, "id", json_string(kd->id));
        json_object_set_new(j, "driver", gm_driver_version_is_set(&n->driver)
                                             ? json_string(gm_driver_version_str(&n->driver, a))
                                             : json_null());
        json_object_set_new(j, "cuda_driver", gm_node_driver_cuda(n, &dc)
                                                  ? json_string(gm_cuda_version_str(&dc, a))
                                                  : json_null());
        for (size_t d = 0; d < n->n_devices; d++) {
            if (!n->devices[d].cc.major)
                continue;
            json_t *s = json_string(gm_cc_str(&n->devices[d].cc, a));
            bool dup = false;
            size_t x;
            json_t *v;
            json_array_foreach(ccs, x, v) dup |= json_equal(v, s);
            if (dup)
                json_decref(s);
            else
                json_array_append_new(ccs, s);
        }
        json_object_set_new(j, "compute_capabilities", ccs);
        json_object_set_new(j, "gpus", json_string(kd->gpus));
        json_object_set_new(j, "gpu_count", json_integer((json_int_t)n->n_devices));
        for (size_t i = 0; i < kd->n_members; i++)
            json_array_append_new(names, json_string(gm_node_display_name(
                                             &m->view[kd->members[i]], kd->members[i], nb, sizeof nb)));
        json_object_set_new(j, "node_count", json_integer((json_int_t)kd->n_members));
        json_object_set_new(j, "nodes", names);
        if (m->changed) {
            json_object_set_new(j, "changed", json_boolean(m->changed[k]));
            json_object_set_new(j, "was_driver", kd->was_driver ? json_string(kd->was_driver) : json_null());
        }
        json_array_append_new(kinds, j);
    }
    for (size_t w = 0; w < m->n_workloads; w++) {
        json_array_append_new(wl, json_string(m->workload_names[w]));
        for (size_t k = 0; k < nk; k++) {
            json_t *c = cell_json(&m->cells[w * nk + k]);
            json_object_set_new(c, "workload", json_integer((json_int_t)w));
            json_object_set_new(c, "kind", json_integer((json_int_t)k));
            if (m->before)
                json_object_set_new(c, "before", cell_json(&m->before[w * nk + k]));
            json_array_append_new(cells, c);
        }
    }
    json_object_set_new(o, "workloads", wl);
    json_object_set_new(o, "kinds", kinds);
    json_object_set_new(o, "cells", cells);
    char *s = gm_json_dump(o, err);
    json_decref(o);
    return s;
}

void gm_csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_list(FILE *f, const gm_strlist *l) {
    char *t = NULL;
    size_t tl = 0;
    FILE *g = open_memstream(&t, &tl);
    if (g) {
        join_to(g, l, "; ");
        fclose(g);
    }
    gm_csv_field(f, t ? t : "");
    free(t);
}

char *gm_matrix_to_csv(const gm_matrix *m, gm_error *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return OOM(err), NULL;
    size_t nk = m->kinds.n;
    fputs("workload,kind,nodes,driver,gpus,state,reasons,notes", f);
    if (m->before)
        fputs(",state_before,reasons_before", f);
    fputs("\r\n", f);
    for (size_t w = 0; w < m->n_workloads; w++)
        for (size_t k = 0; k < nk; k++) {
            const gm_cell *c = &m->cells[w * nk + k];
            char drv[96];
            gm_csv_field(f, m->workload_names[w]);
            fputc(',', f);
            gm_csv_field(f, m->kinds.kinds[k].id);
            fprintf(f, ",%zu,", m->kinds.kinds[k].n_members);
            gm_csv_field(f, drv_str(rep(m, k), drv));
            fputc(',', f);
            gm_csv_field(f, m->kinds.kinds[k].gpus);
            fprintf(f, ",%s,", gm_cell_state_str(c->state));
            csv_list(f, &c->reasons);
            fputc(',', f);
            csv_list(f, &c->notes);
            if (m->before) {
                fprintf(f, ",%s,", gm_cell_state_str(m->before[w * nk + k].state));
                csv_list(f, &m->before[w * nk + k].reasons);
            }
            fputs("\r\n", f);
        }
    if (fclose(f) != 0) {
        free(buf);
        return OOM(err), NULL;
    }
    return buf;
}
