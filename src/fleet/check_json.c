/* check --json: one requirement's verdicts over a node list. */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include "gpumatch/fleet.h"
#include "internal.h"

char *gm_verdicts_to_json(const gm_node_list *nodes, const gm_verdict *v, const char *req_path,
                          gm_error *err) {
    char nb[32], label[32];
    json_t *o = json_object(), *fits = json_array(), *arr = json_array();
    json_object_set_new(o, "schema_version", json_integer(GM_SCHEMA_VERSION));
    json_object_set_new(o, "requirement", json_string(req_path));
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = gm_node_display_name(n, i, nb, sizeof nb);
        json_t *j = json_object(), *units = json_array();
        json_object_set_new(j, "node", json_string(name));
        json_object_set_new(j, "fits", json_boolean(v[i].ok));
        json_object_set_new(j, "compatible_gpus", json_integer((json_int_t)v[i].n_compatible));
        json_object_set_new(j, "reasons", gm_json_strlist(&v[i].reasons));
        json_object_set_new(j, "notes", gm_json_strlist(&v[i].notes));
        for (size_t k = 0; k < v[i].n_units; k++) {
            const gm_unit_verdict *u = &v[i].units[k];
            const gm_device *d = &n->devices[u->device];
            json_t *uj = json_object();
            gm_unit_label(&v[i], u, label, sizeof label);
            json_object_set_new(uj, "gpu", json_string(label));
            json_object_set_new(uj, "index", json_integer(d->index));
            const char *uuid = u->mig >= 0 ? d->mig[u->mig].uuid : d->uuid;
            json_object_set_new(uj, "uuid", uuid ? json_string(uuid) : json_null());
            json_object_set_new(uj, "compatible", json_boolean(u->ok));
            json_object_set_new(uj, "reasons", gm_json_strlist(&u->reasons));
            json_object_set_new(uj, "notes", gm_json_strlist(&u->notes));
            json_array_append_new(units, uj);
        }
        json_object_set_new(j, "gpus", units);
        json_array_append_new(arr, j);
        if (v[i].ok)
            json_array_append_new(fits, json_string(name));
    }
    json_object_set_new(o, "fits", fits);
    json_object_set_new(o, "nodes", arr);
    char *s = gm_json_dump(o, err);
    json_decref(o);
    return s;
}

static void csv_join(FILE *f, const gm_strlist *a, const gm_strlist *b) {
    char *t = NULL;
    size_t tl = 0;
    FILE *g = open_memstream(&t, &tl);
    if (g) {
        for (size_t i = 0; i < a->n; i++)
            fprintf(g, "%s%s", i ? "; " : "", a->items[i]);
        for (size_t i = 0; b && i < b->n; i++)
            fprintf(g, "%s%s", i || a->n ? "; " : "", b->items[i]);
        fclose(g);
    }
    gm_csv_field(f, t ? t : "");
    free(t);
}

char *gm_verdicts_to_csv(const gm_node_list *nodes, const gm_verdict *v, const char *req_path,
                         bool header, gm_error *err) {
    char nb[32], label[32], cc[GM_VERSION_STR_MAX];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return gm_error_set(err, GM_ENOMEM, "out of memory"), NULL;
    if (header)
        fputs("requirement,node,gpu,model,cc,memory_mib,verdict,reasons,notes\r\n", f);
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = gm_node_display_name(n, i, nb, sizeof nb);
        /* the node row, then one row per GPU or MIG instance, as --details prints them */
        gm_csv_field(f, req_path);
        fputc(',', f);
        gm_csv_field(f, name);
        fprintf(f, ",\"-\",\"\",\"\",,%s,", v[i].ok ? "fits" : "no");
        csv_join(f, &v[i].reasons, NULL);
        fputc(',', f);
        csv_join(f, &v[i].notes, NULL);
        fputs("\r\n", f);
        for (size_t k = 0; k < v[i].n_units; k++) {
            const gm_unit_verdict *u = &v[i].units[k];
            const gm_device *d = &n->devices[u->device];
            long m = u->mig >= 0 ? d->mig[u->mig].memory_mib : d->memory_mib;
            gm_unit_label(&v[i], u, label, sizeof label);
            gm_csv_field(f, req_path);
            fputc(',', f);
            gm_csv_field(f, name);
            fputc(',', f);
            gm_csv_field(f, label);
            fputc(',', f);
            gm_csv_field(f, d->name ? d->name : "");
            fputc(',', f);
            gm_csv_field(f, d->cc.major > 0 ? gm_cc_str(&d->cc, cc) : "");
            if (m >= 0)
                fprintf(f, ",%ld", m);
            else
                fputc(',', f);
            fprintf(f, ",%s,", u->ok ? "compatible" : "incompatible");
            csv_join(f, &u->reasons, NULL);
            fputc(',', f);
            csv_join(f, &u->notes, NULL);
            fputs("\r\n", f);
        }
    }
    if (fclose(f) != 0) {
        free(buf);
        return gm_error_set(err, GM_ENOMEM, "out of memory"), NULL;
    }
    return buf;
}
