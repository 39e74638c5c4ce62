/* Image manifests: which blobs are the layers (bottom first) and which one is
 * the config, for `docker save` archives (manifest.json) and OCI layouts
 * (index.json -> [index ->] manifest). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "image/image_internal.h"
#include "internal.h"

/* "ORIGIN: DOC: JSON-PATH: message", the path in JSONPath-like form. */
static int jerr(gm_error *err, const char *origin, const char *doc, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int jerr(gm_error *err, const char *origin, const char *doc, const char *path,
                const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gm_error_set(err, GM_EINVAL, "%s: %s: %s: %s", origin, doc, path, msg);
}

static int load_doc(gm_img_src *s, const char *name, json_t **out, gm_error *err) {
    char *text = NULL;
    size_t len = 0;
    int rc = gm_src_read_doc(s, name, GM_MAX_DOC_BYTES, &text, &len, err);
    if (rc < 0)
        return rc;
    char origin[600];
    snprintf(origin, sizeof origin, "%s: %s", s->origin, name);
    gm_jctx c = {.origin = origin};
    *out = gm_json_loadb(text, len, &c, err);
    free(text);
    if (!*out)
        return err ? err->code : GM_EINVAL;
    return 0;
}

static const char *jtype(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Optional string member: NULL when absent or null. */
static int opt_str(gm_img_src *s, const char *doc, const json_t *obj, const char *path,
                   const char *key, const char **out, gm_error *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return jerr(err, s->origin, doc, path, "\"%s\" must be a string, not %s", key, jtype(v));
    *out = json_string_value(v);
    return 0;
}

static int req_str(gm_img_src *s, const char *doc, const json_t *obj, const char *path,
                   const char *key, const char **out, gm_error *err) {
    int rc = opt_str(s, doc, obj, path, key, out, err);
    if (rc == 0 && !*out)
        return jerr(err, s->origin, doc, path, "missing \"%s\"", key);
    return rc;
}

void gm_img_plan_free(gm_img_plan *p) {
    gm_strlist_free(&p->layers);
    free(p->config);
    free(p->reference);
    memset(p, 0, sizeof *p);
}

int gm_img_plan_docker(gm_img_src *s, gm_img_plan *p, gm_error *err) {
    const char *doc = "manifest.json";
    json_t *root = NULL;
    int rc = load_doc(s, doc, &root, err);
    if (rc < 0)
        return rc;
    if (!json_is_array(root)) {
        rc = jerr(err, s->origin, doc, "$", "expected an array of images, got %s", jtype(root));
        goto out;
    }
    if (json_array_size(root) != 1) {
        rc = jerr(err, s->origin, doc, "$",
                  "%zu images; gpumatch reads archives holding exactly one image",
                  json_array_size(root));
        goto out;
    }
    json_t *img = json_array_get(root, 0);
    if (!json_is_object(img)) {
        rc = jerr(err, s->origin, doc, "$[0]", "expected an object, got %s", jtype(img));
        goto out;
    }
    const char *config;
    if ((rc = req_str(s, doc, img, "$[0]", "Config", &config, err)) < 0)
        goto out;
    json_t *tags = json_object_get(img, "RepoTags");
    if (tags && !json_is_null(tags)) {
        if (!json_is_array(tags)) {
            rc = jerr(err, s->origin, doc, "$[0].RepoTags", "expected an array, got %s",
                      jtype(tags));
            goto out;
        }
        for (size_t i = 0; i < json_array_size(tags); i++) {
            json_t *t = json_array_get(tags, i);
            if (!json_is_string(t)) {
                char path[64];
                snprintf(path, sizeof path, "$[0].RepoTags[%zu]", i);
                rc = jerr(err, s->origin, doc, path, "expected a string, got %s", jtype(t));
                goto out;
            }
            if (i == 0 && !(p->reference = gm_strdup(json_string_value(t)))) {
                rc = gm_error_set(err, GM_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    json_t *layers = json_object_get(img, "Layers");
    if (!layers || !json_is_array(layers)) {
        rc = jerr(err, s->origin, doc, "$[0].Layers", layers ? "expected an array, got %s" : "missing%s",
                  layers ? jtype(layers) : "");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *l = json_array_get(layers, i);
        if (!json_is_string(l) || !json_string_value(l)[0]) {
            char path[64];
            snprintf(path, sizeof path, "$[0].Layers[%zu]", i);
            rc = jerr(err, s->origin, doc, path, "expected a file name, got %s", jtype(l));
            goto out;
        }
        if ((rc = gm_strlist_add(&p->layers, json_string_value(l))) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (!(p->config = gm_strdup(config)))
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
out:
    json_decref(root);
    return rc;
}

static const char *host_arch(void) {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__powerpc64__)
    return "ppc64le";
#else
    return "";
#endif
}

static const char *platform_str(const json_t *d, char buf[96]) {
    json_t *pl = json_object_get(d, "platform");
    const char *os = json_string_value(json_object_get(pl, "os"));
    const char *arch = json_string_value(json_object_get(pl, "architecture"));
    const char *var = json_string_value(json_object_get(pl, "variant"));
    if (!os && !arch)
        return "no platform";
    snprintf(buf, 96, "%s/%s%s%s", os ? os : "?", arch ? arch : "?", var ? "/" : "",
             var ? var : "");
    return buf;
}

static bool is_attestation(const json_t *d) {
    json_t *a = json_object_get(d, "annotations");
    const char *t = json_string_value(json_object_get(a, "vnd.docker.reference.type"));
    const char *os = json_string_value(json_object_get(json_object_get(d, "platform"), "os"));
    return (t && !strcmp(t, "attestation-manifest")) || (os && !strcmp(os, "unknown"));
}

static bool matches_host(const json_t *d) {
    json_t *pl = json_object_get(d, "platform");
    const char *os = json_string_value(json_object_get(pl, "os"));
    const char *arch = json_string_value(json_object_get(pl, "architecture"));
    return os && arch && !strcmp(os, "linux") && !strcmp(arch, host_arch());
}

static int take_reference(gm_img_plan *p, const json_t *desc) {
    if (p->reference)
        return 0;
    json_t *a = json_object_get(desc, "annotations");
    const char *r = json_string_value(json_object_get(a, "io.containerd.image.name"));
    if (!r)
        r = json_string_value(json_object_get(a, "org.opencontainers.image.ref.name"));
    if (r && !(p->reference = gm_strdup(r)))
        return GM_ENOMEM;
    return 0;
}

static int blob_name(gm_img_src *s, const char *doc, const json_t *desc, const char *path,
                     char *out, size_t n, gm_error *err) {
    const char *dg;
    int rc = req_str(s, doc, desc, path, "digest", &dg, err);
    if (rc < 0)
        return rc;
    char q[64];
    if (gm_img_digest_path(dg, out, n) < 0)
        return jerr(err, s->origin, doc, path, "bad digest \"%s\"", gm_quote(dg, q));
    return 0;
}

static int oci_manifest(gm_img_src *s, const char *doc, json_t *m, gm_img_plan *p,
                        gm_error *err) {
    char name[300];
    json_t *cfg = json_object_get(m, "config");
    if (!json_is_object(cfg))
        return jerr(err, s->origin, doc, "$.config", cfg ? "expected an object, got %s" : "missing%s",
                    cfg ? jtype(cfg) : "");
    int rc = blob_name(s, doc, cfg, "$.config", name, sizeof name, err);
    if (rc < 0)
        return rc;
    if (!(p->config = gm_strdup(name)))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    json_t *layers = json_object_get(m, "layers");
    if (!json_is_array(layers))
        return jerr(err, s->origin, doc, "$.layers", layers ? "expected an array, got %s" : "missing%s",
                    layers ? jtype(layers) : "");
    for (size_t i = 0; i < json_array_size(layers); i++) {
        char path[64];
        snprintf(path, sizeof path, "$.layers[%zu]", i);
        json_t *l = json_array_get(layers, i);
        if (!json_is_object(l))
            return jerr(err, s->origin, doc, path, "expected an object, got %s", jtype(l));
        if ((rc = blob_name(s, doc, l, path, name, sizeof name, err)) < 0)
            return rc;
        if (gm_strlist_add(&p->layers, name) < 0)
            return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    return 0;
}

/* An index (index.json or a nested image index): choose one image manifest. */
static int oci_index(gm_img_src *s, const char *doc, json_t *idx, gm_img_plan *p, int depth,
                     gm_error *err) {
    json_t *ms = json_object_get(idx, "manifests");
    if (!json_is_array(ms))
        return jerr(err, s->origin, doc, "$.manifests", ms ? "expected an array, got %s" : "missing%s",
                    ms ? jtype(ms) : "");
    size_t n = json_array_size(ms), cand = 0, host = 0, pick = 0, pick_host = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(ms, i);
        if (!json_is_object(d)) {
            char path[64];
            snprintf(path, sizeof path, "$.manifests[%zu]", i);
            return jerr(err, s->origin, doc, path, "expected an object, got %s", jtype(d));
        }
        if (is_attestation(d))
            continue;
        if (cand++ == 0)
            pick = i;
        if (matches_host(d) && host++ == 0)
            pick_host = i;
    }
    if (cand == 0)
        return jerr(err, s->origin, doc, "$.manifests", "no image manifest");
    if (cand > 1) {
        if (host != 1) {
            char list[400] = "", buf[96];
            size_t used = 0;
            for (size_t i = 0; i < n && used < sizeof list - 100; i++) {
                json_t *d = json_array_get(ms, i);
                if (is_attestation(d))
                    continue;
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         used ? ", " : "", platform_str(d, buf));
            }
            return jerr(err, s->origin, doc, "$.manifests",
                        "%zu images (%s); gpumatch reads one image per layout", cand, list);
        }
        pick = pick_host;
    }
    json_t *d = json_array_get(ms, pick);
    char path[64], name[300];
    snprintf(path, sizeof path, "$.manifests[%zu]", pick);
    if (take_reference(p, d) < 0)
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    int rc = blob_name(s, doc, d, path, name, sizeof name, err);
    if (rc < 0)
        return rc;
    json_t *m = NULL;
    if ((rc = load_doc(s, name, &m, err)) < 0)
        return rc;
    if (!json_is_object(m)) {
        rc = jerr(err, s->origin, name, "$", "expected an object, got %s", jtype(m));
    } else if (json_object_get(m, "manifests")) {
        if (depth >= 4)
            rc = jerr(err, s->origin, name, "$.manifests", "image indexes nested too deep");
        else
            rc = oci_index(s, name, m, p, depth + 1, err);
    } else {
        rc = oci_manifest(s, name, m, p, err);
    }
    json_decref(m);
    return rc;
}

int gm_img_plan_oci(gm_img_src *s, gm_img_plan *p, gm_error *err) {
    json_t *idx = NULL;
    int rc = load_doc(s, "index.json", &idx, err);
    if (rc < 0)
        return rc;
    if (!json_is_object(idx))
        rc = jerr(err, s->origin, "index.json", "$", "expected an object, got %s", jtype(idx));
    else
        rc = oci_index(s, "index.json", idx, p, 0, err);
    json_decref(idx);
    return rc;
}

int gm_img_read_config(gm_img_src *s, const char *config, gm_strlist *env, gm_error *err) {
    json_t *root = NULL;
    int rc = load_doc(s, config, &root, err);
    if (rc < 0)
        return rc;
    if (!json_is_object(root)) {
        rc = jerr(err, s->origin, config, "$", "expected an object, got %s", jtype(root));
        goto out;
    }
    json_t *c = json_object_get(root, "config");
    if (!c || json_is_null(c))
        goto out;
    if (!json_is_object(c)) {
        rc = jerr(err, s->origin, config, "$.config", "expected an object, got %s", jtype(c));
        goto out;
    }
    json_t *e = json_object_get(c, "Env");
    if (!e || json_is_null(e))
        goto out;
    if (!json_is_array(e)) {
        rc = jerr(err, s->origin, config, "$.config.Env", "expected an array, got %s", jtype(e));
        goto out;
    }
    for (size_t i = 0; i < json_array_size(e); i++) {
        json_t *v = json_array_get(e, i);
        if (!json_is_string(v)) {
            char path[64];
            snprintf(path, sizeof path, "$.config.Env[%zu]", i);
            rc = jerr(err, s->origin, config, path, "expected a string, got %s", jtype(v));
            goto out;
        }
        if (gm_strlist_add(env, json_string_value(v)) < 0) {
            rc = gm_error_set(err, GM_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}
