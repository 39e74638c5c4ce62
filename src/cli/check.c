/* gpumatch check: requirements against nodes, a reason for every rejection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/cli.h"
#include "gpumatch/match.h"
#include "internal.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch check --node NODE.json [--node ...] --require REQ.json|PATH [--json]\n"
               "  NODE.json: a node document, a list of them, or {\"nodes\": [...]}\n"
               "  REQ.json:  a requirement document or an Arvados container request\n"
               "  PATH:      anything `gpumatch inspect` reads (binary, directory, wheel, image):\n"
               "             inspected first; no device code in it is exit 2\n"
               "exit: 0 at least one node fits, 1 none fits, 2 bad input\n");
}

static const char *node_name(const gm_node *n, size_t i, char *buf, size_t len) {
    if (n->hostname)
        return n->hostname;
    if (n->instance_type)
        return n->instance_type;
    snprintf(buf, len, "node#%zu", i);
    return buf;
}

static json_t *strlist_json(const gm_strlist *l) {
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

static void join(const gm_strlist *l, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", l->items[i]);
}

static void print_table(const gm_node_list *nodes, const gm_verdict *v, const char *req_path) {
    char nb[32], a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX], text[4096], mem[32];
    size_t fits = 0;
    printf("requirement: %s\n", req_path);
    printf("%-16s %-5s %-30s %-4s %-10s %-12s %s\n", "NODE", "GPU", "MODEL", "CC", "MEMORY",
           "VERDICT", "REASONS");
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = node_name(n, i, nb, sizeof nb);
        gm_cuda_version dc;
        char drv[96];
        snprintf(drv, sizeof drv, "driver %s", gm_driver_version_str(&n->driver, a));
        if (gm_node_driver_cuda(n, &dc))
            snprintf(drv + strlen(drv), sizeof drv - strlen(drv), " (CUDA %s)",
                     gm_cuda_version_str(&dc, b));
        join(&v[i].reasons, text, sizeof text);
        if (v[i].notes.n) {
            size_t l = strlen(text);
            snprintf(text + l, sizeof text - l, "%snote: ", l ? "; " : "");
            l = strlen(text);
            join(&v[i].notes, text + l, sizeof text - l);
        }
        printf("%-16s %-5s %-30s %-4s %-10s %-12s %s\n", name, "-", drv, "-", "-",
               v[i].ok ? "fits" : "no", text);
        fits += v[i].ok;
        for (size_t k = 0; k < v[i].n_units; k++) {
            const gm_unit_verdict *u = &v[i].units[k];
            const gm_device *d = &n->devices[u->device];
            char label[32];
            long m = u->mig >= 0 ? d->mig[u->mig].memory_mib : d->memory_mib;
            gm_unit_label(&v[i], u, label, sizeof label);
            if (m >= 0)
                snprintf(mem, sizeof mem, "%ld MiB", m);
            else
                snprintf(mem, sizeof mem, "?");
            join(u->ok ? &u->notes : &u->reasons, text, sizeof text);
            printf("%-16s %-5s %-30.30s %-4s %-10s %-12s %s\n", name, label,
                   d->name ? d->name : "?", gm_cc_str(&d->cc, a), mem,
                   u->ok ? "compatible" : "incompatible", text);
        }
    }
    printf("%zu of %zu node%s fit%s", fits, nodes->n, nodes->n == 1 ? "" : "s",
           fits ? ":" : "");
    for (size_t i = 0; i < nodes->n; i++)
        if (v[i].ok)
            printf(" %s", node_name(&nodes->nodes[i], i, nb, sizeof nb));
    printf("\n");
}

static char *verdicts_json(const gm_node_list *nodes, const gm_verdict *v, const char *req_path,
                           gm_error *err) {
    char nb[32], label[32];
    json_t *o = json_object(), *fits = json_array(), *arr = json_array();
    json_object_set_new(o, "requirement", json_string(req_path));
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = node_name(n, i, nb, sizeof nb);
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

int gm_cli_check(int argc, char **argv) {
    static const struct option opts[] = {{"node", required_argument, 0, 'n'},
                                         {"require", required_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *req_path = NULL;
    bool as_json = false;
    gm_node_list nodes = {0};
    gm_requirement req;
    gm_error err = {0};
    int c, rc = GM_EXIT_INPUT;
    gm_requirement_init(&req);
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:r:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (gm_node_list_load(optarg, &nodes, &err) < 0) {
                gm_cli_error("check", &err);
                goto out;
            }
            break;
        case 'r':
            req_path = optarg;
            break;
        case 'j':
            as_json = true;
            break;
        case 'h':
            usage(stdout);
            rc = GM_EXIT_OK;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        gm_cli_errorf("check", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!req_path || !nodes.n) {
        gm_cli_errorf("check", "need --require REQ.json and at least one --node NODE.json "
                               "(with at least one node)");
        goto out;
    }
    /* A requirement document, or software to inspect first (binary, tree,
     * wheel, image): one step for users. */
    if (gm_cli_is_json_file(req_path)) {
        if (gm_requirement_load(req_path, &req, &err) < 0) {
            gm_cli_error("check", &err);
            goto out;
        }
    } else if ((rc = gm_cli_inspect_require(req_path, &req)) != GM_EXIT_OK) {
        goto out;
    }
    rc = GM_EXIT_INPUT;
    gm_verdict *v = gm_xcalloc(nodes.n, sizeof *v);
    if (!v) {
        gm_cli_errorf("check", "out of memory");
        goto out;
    }
    bool any = false;
    for (size_t i = 0; i < nodes.n; i++) {
        if (gm_match(&nodes.nodes[i], &req, &v[i], &err) < 0) {
            gm_cli_error("check", &err);
            for (size_t k = 0; k < i; k++)
                gm_verdict_free(&v[k]);
            free(v);
            goto out;
        }
        any |= v[i].ok;
    }
    rc = any ? GM_EXIT_OK : GM_EXIT_NO;
    if (as_json) {
        char *s = verdicts_json(&nodes, v, req_path, &err);
        if (!s || gm_cli_output("check", NULL, s) != GM_EXIT_OK)
            rc = GM_EXIT_INPUT;
        free(s);
    } else {
        print_table(&nodes, v, req_path);
    }
    for (size_t i = 0; i < nodes.n; i++)
        gm_verdict_free(&v[i]);
    free(v);
out:
    gm_node_list_free(&nodes);
    gm_requirement_free(&req);
    return rc;
}
