/* Strict JSON reading on top of jansson: unknown keys and wrong types are
 * errors that name the file and the JSON path ("nodes.json: $.devices[1].cc"). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int gm_json_err(gm_error *err, const gm_jctx *c, const char *path, const char *fmt, ...) {
    char msg[GM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gm_error_set(err, GM_EINVAL, "%s: %s: %s", c && c->origin ? c->origin : "<input>",
                        path, msg);
}

json_t *gm_json_loadb(const char *text, size_t len, const gm_jctx *c, gm_error *err) {
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        gm_error_set(err, GM_EINVAL, "%s:%d:%d: invalid JSON: %s",
                     c && c->origin ? c->origin : "<input>", je.line, je.column, je.text);
    return j;
}

int gm_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                       const gm_jctx *c, gm_error *err) {
    if (!json_is_object(obj))
        return gm_json_err(err, c, path, "expected an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, key)) {
                ok = true;
                break;
            }
        if (!ok) {
            char q[64];
            const char *near = NULL;
            size_t best = 3;
            for (const char *const *a = allowed; *a; a++)
                if (gm_close_word(key, *a, &best))
                    near = *a;
            if (near)
                return gm_json_err(err, c, path, "unknown field \"%s\"; did you mean \"%s\"?",
                                   gm_quote(key, q), near);
            return gm_json_err(err, c, path, "unknown field \"%s\"", gm_quote(key, q));
        }
    }
    return 0;
}

int gm_json_str(const json_t *obj, const char *key, const char *path, bool required,
                const char **out, const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return gm_json_err(err, c, path, "missing field \"%s\"", key);
        return 0;
    }
    if (!json_is_string(v))
        return gm_json_err(err, c, path, "field \"%s\" must be a string", key);
    *out = json_string_value(v);
    return 0;
}

int gm_json_long(const json_t *obj, const char *key, const char *path, bool required, long min,
                 long max, long *out, bool *present, const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = false;
    if (!v || json_is_null(v)) {
        if (required)
            return gm_json_err(err, c, path, "missing field \"%s\"", key);
        return 0;
    }
    long val;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < min || i > max)
            return gm_json_err(err, c, path, "field \"%s\" = %lld out of range [%ld, %ld]", key,
                               (long long)i, min, max);
        val = (long)i;
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != floor(d) || d < (double)min || d > (double)max)
            return gm_json_err(err, c, path, "field \"%s\" must be an integer in [%ld, %ld]", key,
                               min, max);
        val = (long)d;
    } else {
        return gm_json_err(err, c, path, "field \"%s\" must be an integer", key);
    }
    *out = val;
    if (present)
        *present = true;
    return 0;
}

int gm_json_bool(const json_t *obj, const char *key, const char *path, bool *out, bool *present,
                 const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return gm_json_err(err, c, path, "field \"%s\" must be true or false", key);
    *out = json_is_true(v);
    if (present)
        *present = true;
    return 0;
}

int gm_json_verstr(const json_t *obj, const char *key, const char *path, bool required,
                   char *buf, size_t buflen, bool *present, const gm_jctx *c, gm_error *err) {
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = false;
    buf[0] = '\0';
    if (!v || json_is_null(v)) {
        if (required)
            return gm_json_err(err, c, path, "missing field \"%s\"", key);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) >= buflen) {
            char q[64];
            return gm_json_err(err, c, path, "field \"%s\": value \"%s\" is too long", key,
                               gm_quote(s, q));
        }
        strcpy(buf, s);
    } else if (json_is_integer(v)) { /* 12040, 535: the text survives */
        snprintf(buf, buflen, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        /* 12.10 as a JSON number is 12.1: the text is lost, so refuse it. */
        return gm_json_err(err, c, path,
                           "field \"%s\": write versions as strings (\"12.10\", not 12.10): "
                           "a JSON number loses the text",
                           key);
    } else {
        return gm_json_err(err, c, path, "field \"%s\" must be a version string", key);
    }
    if (present)
        *present = true;
    return 0;
}

char *gm_json_dump(json_t *j, gm_error *err) {
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s) {
        gm_error_set(err, GM_ENOMEM, "cannot serialize JSON");
        return NULL;
    }
    size_t n = strlen(s);
    char *o = realloc(s, n + 2);
    if (!o) {
        free(s);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    o[n] = '\n';
    o[n + 1] = '\0';
    return o;
}

int gm_json_parse_list(const char *text, size_t len, const char *origin, const char *key,
                       bool single_ok, const char *what, gm_json_each_fn each, void *ctx,
                       gm_error *err) {
    gm_jctx c = {origin ? origin : "<input>"};
    json_t *root = gm_json_loadb(text, len, &c, err);
    if (!root)
        return GM_EINVAL;
    json_t *arr = root;
    char base[64] = "$";
    int rc = 0;
    if (json_is_object(root) && json_object_get(root, key)) {
        const char *const keys[] = {key, NULL};
        if ((rc = gm_json_check_keys(root, "$", keys, &c, err)) < 0)
            goto out;
        arr = json_object_get(root, key);
        snprintf(base, sizeof base, "$.%s", key);
        if (!json_is_array(arr)) {
            rc = gm_json_err(err, &c, base, "expected a list of %s", what);
            goto out;
        }
    }
    if (single_ok && json_is_object(arr)) {
        rc = each(ctx, arr, base, &c, err);
    } else if (json_is_array(arr)) {
        for (size_t i = 0; i < json_array_size(arr) && rc == 0; i++) {
            char p[96];
            snprintf(p, sizeof p, "%s[%zu]", base, i);
            rc = each(ctx, json_array_get(arr, i), p, &c, err);
        }
    } else {
        rc = gm_json_err(err, &c, base, "expected %sa list of %s", single_ok ? "one or " : "",
                         what);
    }
out:
    json_decref(root);
    return rc;
}

int gm_load_with(const char *path, gm_parse_fn parse, void *out, gm_error *err) {
    char *text;
    size_t len;
    int rc = gm_read_file(path, GM_MAX_DOC_BYTES, &text, &len, err);
    if (rc < 0)
        return rc;
    rc = parse(text, len, path, out, err);
    free(text);
    return rc;
}

json_t *gm_json_strlist(const gm_strlist *l) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}
