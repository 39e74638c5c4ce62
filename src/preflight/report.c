/* Preflight results: collection, verdict, table and JSON renderings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "preflight/pf.h"

const char *gm_pf_status_str(gm_pf_status s) {
    switch (s) {
    case GM_PF_OK: return "ok";
    case GM_PF_WARN: return "warn";
    case GM_PF_FAIL: return "fail";
    case GM_PF_SKIP: return "skip";
    }
    return "?";
}

int pf_add(pf_ctx *c, const char *id, gm_pf_status st, const char *subject, const char *fix,
           const char *fmt, ...) {
    gm_pf_report *r = c->out;
    if (gm_grow((void **)&r->items, &r->cap, r->n + 1, sizeof *r->items))
        return GM_ENOMEM;
    va_list ap;
    va_start(ap, fmt);
    char *ev = NULL;
    int k = vasprintf(&ev, fmt, ap);
    va_end(ap);
    if (k < 0)
        return GM_ENOMEM;
    gm_pf_result *it = &r->items[r->n];
    memset(it, 0, sizeof *it);
    it->id = id;
    it->status = st;
    it->evidence = ev;
    it->subject = subject ? gm_strdup(subject) : NULL;
    it->fix = (fix && st != GM_PF_OK && st != GM_PF_SKIP) ? gm_strdup(fix) : NULL;
    r->n++;
    if ((subject && !it->subject) || (it->fix == NULL && fix && st != GM_PF_OK && st != GM_PF_SKIP))
        return GM_ENOMEM;
    return 0;
}

gm_pf_status gm_pf_report_worst(const gm_pf_report *r) {
    gm_pf_status w = GM_PF_SKIP;
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].status > w)
            w = r->items[i].status;
    return w;
}

size_t gm_pf_report_count(const gm_pf_report *r, gm_pf_status s) {
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].status == s;
    return n;
}

void gm_pf_report_free(gm_pf_report *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].subject);
        free(r->items[i].evidence);
        free(r->items[i].fix);
    }
    free(r->items);
    memset(r, 0, sizeof *r);
}

char *gm_pf_report_failures(const gm_pf_report *r) {
    char *buf = NULL;
    size_t len = 0, n = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < r->n; i++) {
        const gm_pf_result *it = &r->items[i];
        if (it->status != GM_PF_FAIL)
            continue;
        fprintf(f, "%s%s: %s", n++ ? "; " : "", it->id, it->evidence ? it->evidence : "");
    }
    if (fclose(f) != 0 || n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *gm_pf_report_table(const gm_pf_report *r, gm_error *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    fprintf(f, "%-24s %-6s %-28s %s\n", "CHECK", "STATUS", "SUBJECT", "EVIDENCE");
    for (size_t i = 0; i < r->n; i++) {
        const gm_pf_result *it = &r->items[i];
        fprintf(f, "%-24s %-6s %-28s %s\n", it->id, gm_pf_status_str(it->status),
                it->subject ? it->subject : "-", it->evidence ? it->evidence : "");
        if (it->fix)
            fprintf(f, "%-24s %-6s %-28s fix: %s\n", "", "", "", it->fix);
    }
    fprintf(f, "preflight: %zu ok, %zu warn, %zu fail, %zu skipped -> %s\n",
            gm_pf_report_count(r, GM_PF_OK), gm_pf_report_count(r, GM_PF_WARN),
            gm_pf_report_count(r, GM_PF_FAIL), gm_pf_report_count(r, GM_PF_SKIP),
            gm_pf_report_worst(r) == GM_PF_FAIL ? "FAIL" : "PASS");
    if (fclose(f) != 0) {
        free(buf);
        gm_error_set(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    return buf;
}

/* json_string refuses invalid UTF-8 (file names are bytes): replace such bytes. */
static json_t *jstr(const char *s) {
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *t = gm_strdup(s);
    if (!t)
        return NULL;
    for (char *p = t; *p; p++)
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            *p = '?';
    j = json_string(t);
    free(t);
    return j;
}

char *gm_pf_report_json(const gm_pf_report *r, gm_error *err) {
    json_t *root = json_object();
    if (!root)
        goto oom;
    gm_pf_status w = gm_pf_report_worst(r);
    if (json_object_set_new(root, "schema_version", json_integer(GM_SCHEMA_VERSION)) ||
        json_object_set_new(root, "status", json_string(w == GM_PF_FAIL ? "fail" : "pass")) ||
        json_object_set_new(root, "worst", json_string(gm_pf_status_str(w))))
        goto oom;
    /* set_new takes the reference even when it fails. */
    json_t *arr = json_array();
    if (json_object_set_new(root, "checks", arr))
        goto oom;
    for (size_t i = 0; i < r->n; i++) {
        const gm_pf_result *it = &r->items[i];
        json_t *o = json_object();
        if (!o || json_array_append_new(arr, o))
            goto oom;
        if (json_object_set_new(o, "id", json_string(it->id)) ||
            json_object_set_new(o, "subject", jstr(it->subject)) ||
            json_object_set_new(o, "status", json_string(gm_pf_status_str(it->status))) ||
            json_object_set_new(o, "evidence", jstr(it->evidence ? it->evidence : "")) ||
            json_object_set_new(o, "fix", jstr(it->fix)))
            goto oom;
    }
    char *s = gm_json_dump(root, err);
    json_decref(root);
    return s;
oom:
    json_decref(root);
    gm_error_set(err, GM_ENOMEM, "out of memory");
    return NULL;
}
