/* The node document: parse (strict) and print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/node.h"
#include "gpumatch/tables.h"
#include "internal.h"

/* Identical machines one inventory entry may stand for (docs/limits.md): plan
 * keeps a few bytes per machine, so the claim must not size memory. */
#define GM_NODE_MAX_COUNT (1L << 20)

void gm_device_init(gm_device *d) {
    memset(d, 0, sizeof *d);
    d->memory_mib = -1;
    d->minor = -1;
    d->persistence_mode = GM_TRI_UNKNOWN;
}

void gm_node_init(gm_node *n) {
    memset(n, 0, sizeof *n);
    n->price = -1;
    n->count = 1;
}

static void device_free(gm_device *d) {
    free(d->uuid);
    free(d->name);
    free(d->brand);
    free(d->pci_bus_id);
    for (size_t i = 0; i < d->n_mig; i++) {
        free(d->mig[i].uuid);
        free(d->mig[i].profile);
    }
    free(d->mig);
}

void gm_node_free(gm_node *n) {
    if (!n)
        return;
    for (size_t i = 0; i < n->n_devices; i++)
        device_free(&n->devices[i]);
    free(n->devices);
    free(n->hostname);
    free(n->instance_type);
    gm_node_init(n);
}

void gm_node_list_free(gm_node_list *l) {
    for (size_t i = 0; i < l->n; i++)
        gm_node_free(&l->nodes[i]);
    free(l->nodes);
    l->nodes = NULL;
    l->n = 0;
}

bool gm_node_driver_cuda(const gm_node *n, gm_cuda_version *out) {
    if (n->has_cuda_driver) {
        *out = n->cuda_driver;
        return true;
    }
    if (gm_driver_version_is_set(&n->driver))
        return gm_driver_max_cuda(&n->driver, out);
    return false;
}

int gm_device_minor(const gm_device *d) { return d->minor >= 0 ? d->minor : d->index; }

static const char *mig_names[] = {"unknown", "unsupported", "disabled", "enabled"};

const char *gm_mig_mode_str(gm_mig_mode m) {
    return (unsigned)m < 4 ? mig_names[m] : "unknown";
}

static int parse_mig_mode(const json_t *o, const char *key, const char *path, gm_mig_mode *out,
                          const gm_jctx *c, gm_error *err) {
    const char *s;
    if (gm_json_str(o, key, path, false, &s, c, err) < 0)
        return GM_EINVAL;
    *out = GM_MIG_UNKNOWN;
    if (!s)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, mig_names[i])) {
            *out = (gm_mig_mode)i;
            return 0;
        }
    return gm_json_err(err, c, path, "field \"%s\": \"%s\" is not one of unknown, unsupported, "
                                     "disabled, enabled", key, s);
}

static int dup_str(const json_t *o, const char *key, const char *path, char **out,
                   const gm_jctx *c, gm_error *err) {
    const char *s;
    if (gm_json_str(o, key, path, false, &s, c, err) < 0)
        return GM_EINVAL;
    if (s && !(*out = strdup(s)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

static int parse_mig(const json_t *o, const char *path, gm_mig_instance *m, const gm_jctx *c,
                     gm_error *err) {
    static const char *const keys[] = {"uuid", "profile", "memory_mib", "gi", "ci", NULL};
    long v;
    bool has;
    m->memory_mib = -1;
    m->gi = m->ci = -1;
    if (gm_json_check_keys(o, path, keys, c, err) < 0 || dup_str(o, "uuid", path, &m->uuid, c, err) < 0 ||
        dup_str(o, "profile", path, &m->profile, c, err) < 0 ||
        gm_json_long(o, "memory_mib", path, false, 0, 1L << 40, &m->memory_mib, NULL, c, err) < 0)
        return GM_EINVAL;
    if (gm_json_long(o, "gi", path, false, 0, 1 << 20, &v, &has, c, err) < 0)
        return GM_EINVAL;
    if (has)
        m->gi = (int)v;
    if (gm_json_long(o, "ci", path, false, 0, 1 << 20, &v, &has, c, err) < 0)
        return GM_EINVAL;
    if (has)
        m->ci = (int)v;
    return 0;
}

static int parse_device(const json_t *o, const char *path, size_t pos, gm_device *d,
                        const gm_jctx *c, gm_error *err) {
    static const char *const keys[] = {"index", "minor", "uuid", "name", "brand", "pci_bus_id",
                                       "compute_capability", "memory_mib", "mig_mode",
                                       "mig_pending", "persistence_mode", "mig_devices", NULL};
    char buf[GM_VERSION_STR_MAX + 64];
    long idx;
    bool has, b;
    if (gm_json_check_keys(o, path, keys, c, err) < 0)
        return GM_EINVAL;
    if (gm_json_long(o, "index", path, false, 0, 1 << 20, &idx, &has, c, err) < 0)
        return GM_EINVAL;
    d->index = has ? (int)idx : (int)pos;
    /* 255 is nvidiactl's minor, above it the driver's other nodes */
    if (gm_json_long(o, "minor", path, false, 0, 254, &idx, &has, c, err) < 0)
        return GM_EINVAL;
    if (has)
        d->minor = (int)idx;
    if (dup_str(o, "uuid", path, &d->uuid, c, err) < 0 || dup_str(o, "name", path, &d->name, c, err) < 0 ||
        dup_str(o, "brand", path, &d->brand, c, err) < 0 ||
        dup_str(o, "pci_bus_id", path, &d->pci_bus_id, c, err) < 0)
        return GM_EINVAL;
    /* Absent = unknown (a probe source that cannot tell); kept as 0.0. */
    if (gm_json_verstr(o, "compute_capability", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has && gm_cc_parse(buf, &d->cc, err) < 0)
        return gm_error_prefix(err, "%s: %s.compute_capability: ", c->origin, path);
    if (gm_json_long(o, "memory_mib", path, false, 0, 1L << 40, &d->memory_mib, NULL, c, err) < 0 ||
        parse_mig_mode(o, "mig_mode", path, &d->mig_mode, c, err) < 0 ||
        parse_mig_mode(o, "mig_pending", path, &d->mig_pending, c, err) < 0 ||
        gm_json_bool(o, "persistence_mode", path, &b, &has, c, err) < 0)
        return GM_EINVAL;
    if (has)
        d->persistence_mode = b ? GM_TRI_YES : GM_TRI_NO;
    json_t *mig = json_object_get(o, "mig_devices");
    if (mig && !json_is_null(mig)) {
        if (!json_is_array(mig))
            return gm_json_err(err, c, path, "field \"mig_devices\" must be an array");
        size_t n = json_array_size(mig);
        d->mig = gm_xcalloc(n, sizeof *d->mig);
        if (!d->mig)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            char p[160];
            snprintf(p, sizeof p, "%s.mig_devices[%zu]", path, i);
            d->n_mig = i + 1;
            if (parse_mig(json_array_get(mig, i), p, &d->mig[i], c, err) < 0)
                return GM_EINVAL;
        }
    }
    return 0;
}

static int parse_node(const json_t *o, const char *path, gm_node *n, const gm_jctx *c,
                      gm_error *err) {
    static const char *const keys[] = {"hostname", "driver_version", "cuda_driver_version",
                                       "devices", "instance_type", "price", "count", "schema_version", NULL};
    char buf[GM_VERSION_STR_MAX + 64];
    bool has;
    if (gm_json_check_keys(o, path, keys, c, err) < 0 ||
        dup_str(o, "hostname", path, &n->hostname, c, err) < 0 ||
        dup_str(o, "instance_type", path, &n->instance_type, c, err) < 0)
        return GM_EINVAL;
    if (gm_json_verstr(o, "driver_version", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has && gm_driver_version_parse(buf, &n->driver, err) < 0)
        return gm_error_prefix(err, "%s: %s.driver_version: ", c->origin, path);
    if (gm_json_verstr(o, "cuda_driver_version", path, false, buf, sizeof buf, &has, c, err) < 0)
        return GM_EINVAL;
    if (has) {
        if (gm_cuda_version_parse(buf, &n->cuda_driver, err) < 0)
            return gm_error_prefix(err, "%s: %s.cuda_driver_version: ", c->origin, path);
        n->has_cuda_driver = true;
    }
    json_t *price = json_object_get(o, "price");
    if (price && !json_is_null(price)) {
        if (!json_is_number(price) || json_number_value(price) < 0)
            return gm_json_err(err, c, path, "field \"price\" must be a non-negative number");
        n->price = json_number_value(price);
    }
    if (gm_json_long(o, "count", path, false, 0, GM_NODE_MAX_COUNT, &n->count, &n->has_count, c, err) < 0)
        return GM_EINVAL;
    json_t *devs = json_object_get(o, "devices");
    if (!devs || json_is_null(devs))
        return 0;
    if (!json_is_array(devs))
        return gm_json_err(err, c, path, "field \"devices\" must be an array");
    size_t nd = json_array_size(devs);
    n->devices = gm_xcalloc(nd, sizeof *n->devices);
    if (!n->devices)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < nd; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s.devices[%zu]", path, i);
        gm_device_init(&n->devices[i]);
        n->n_devices = i + 1;
        if (parse_device(json_array_get(devs, i), p, i, &n->devices[i], c, err) < 0)
            return GM_EINVAL;
    }
    return 0;
}

static int add_node(void *ctx, const json_t *o, const char *path, const gm_jctx *c,
                    gm_error *err) {
    gm_node_list *list = ctx;
    gm_node *nn = realloc(list->nodes, (list->n + 1) * sizeof *nn);
    if (!nn)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    list->nodes = nn;
    gm_node_init(&nn[list->n]);
    if (parse_node(o, path, &nn[list->n], c, err) < 0) {
        gm_node_free(&nn[list->n]);
        return GM_EINVAL;
    }
    list->n++;
    return 0;
}

int gm_node_list_parse(const char *text, size_t len, const char *origin, gm_node_list *list,
                       gm_error *err) {
    return gm_json_parse_list(text, len, origin, "nodes", true, "nodes", add_node, list, err);
}

static int parse_list_cb(const char *text, size_t len, const char *origin, void *out,
                         gm_error *err) {
    return gm_node_list_parse(text, len, origin, out, err);
}

int gm_node_list_load(const char *path, gm_node_list *list, gm_error *err) {
    return gm_load_with(path, parse_list_cb, list, err);
}

/* A string that is not UTF-8 (a GPU name read from /proc) is an error, not a
 * field silently left out of the document. */
static void set_str(json_t *o, const char *k, const char *v, bool *bad, gm_error *err) {
    if (!v || *bad)
        return;
    json_t *j = gm_json_text(v, k, err);
    if (!j)
        *bad = true;
    else
        json_object_set_new(o, k, j);
}

char *gm_node_to_json(const gm_node *n, gm_error *err) {
    char buf[GM_VERSION_STR_MAX];
    bool bad = false;
    json_t *o = json_object();
    /* The contract version first, as in every JSON gpumatch writes (schemas/node.schema.json). */
    json_object_set_new(o, "schema_version", json_integer(GM_SCHEMA_VERSION));
    set_str(o, "hostname", n->hostname, &bad, err);
    set_str(o, "instance_type", n->instance_type, &bad, err);
    if (gm_driver_version_is_set(&n->driver))
        json_object_set_new(o, "driver_version", json_string(gm_driver_version_str(&n->driver, buf)));
    if (n->has_cuda_driver)
        json_object_set_new(o, "cuda_driver_version",
                            json_string(gm_cuda_version_str(&n->cuda_driver, buf)));
    if (n->price >= 0)
        json_object_set_new(o, "price", json_real(n->price));
    if (n->has_count || n->count != 1)
        json_object_set_new(o, "count", json_integer(n->count));
    json_t *devs = json_array();
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        json_t *j = json_object();
        json_object_set_new(j, "index", json_integer(d->index));
        if (d->minor >= 0)
            json_object_set_new(j, "minor", json_integer(d->minor));
        set_str(j, "uuid", d->uuid, &bad, err);
        set_str(j, "name", d->name, &bad, err);
        set_str(j, "brand", d->brand, &bad, err);
        set_str(j, "pci_bus_id", d->pci_bus_id, &bad, err);
        if (d->cc.major)
            json_object_set_new(j, "compute_capability", json_string(gm_cc_str(&d->cc, buf)));
        if (d->memory_mib >= 0)
            json_object_set_new(j, "memory_mib", json_integer(d->memory_mib));
        if (d->mig_mode != GM_MIG_UNKNOWN)
            json_object_set_new(j, "mig_mode", json_string(gm_mig_mode_str(d->mig_mode)));
        if (d->mig_pending != GM_MIG_UNKNOWN)
            json_object_set_new(j, "mig_pending", json_string(gm_mig_mode_str(d->mig_pending)));
        if (d->persistence_mode != GM_TRI_UNKNOWN)
            json_object_set_new(j, "persistence_mode", json_boolean(d->persistence_mode == GM_TRI_YES));
        if (d->n_mig) {
            json_t *ma = json_array();
            for (size_t k = 0; k < d->n_mig; k++) {
                const gm_mig_instance *m = &d->mig[k];
                json_t *mj = json_object();
                set_str(mj, "uuid", m->uuid, &bad, err);
                set_str(mj, "profile", m->profile, &bad, err);
                if (m->memory_mib >= 0)
                    json_object_set_new(mj, "memory_mib", json_integer(m->memory_mib));
                if (m->gi >= 0)
                    json_object_set_new(mj, "gi", json_integer(m->gi));
                if (m->ci >= 0)
                    json_object_set_new(mj, "ci", json_integer(m->ci));
                json_array_append_new(ma, mj);
            }
            json_object_set_new(j, "mig_devices", ma);
        }
        json_array_append_new(devs, j);
    }
    json_object_set_new(o, "devices", devs);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    char *s = gm_json_dump(o, err);
    json_decref(o);
    return s;
}
