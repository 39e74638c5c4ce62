/* check --json: one requirement's verdicts over a node list. */
#include <jansson.h>
#include "gpumatch/fleet.h"
#include "internal.h"

static json_t *strlist_json(const gm_strlist *l) {
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

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
        json_object_set_new(j, "reasons", strlist_json(&v[i].reasons));
        json_object_set_new(j, "notes", strlist_json(&v[i].notes));
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
            json_object_set_new(uj, "reasons", strlist_json(&u->reasons));
            json_object_set_new(uj, "notes", strlist_json(&u->notes));
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
