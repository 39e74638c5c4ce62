/* gpumatch export: a node or requirement document in a scheduler's language. */
#include <ctype.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/cli.h"
#include "gpumatch/export.h"
#include "gpumatch/io.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch export --to FORMAT [--node | --require] [--nodes CLUSTER.json] FILE [-o OUT]\n"
               "  FORMAT: k8s-labels, dra, slurm, htcondor, arvados\n"
               "  FILE: a node document (or list of nodes) or a requirement document;\n"
               "        detected from its fields unless --node or --require is given\n"
               "  --nodes: (slurm, requirements) keep only features the cluster's nodes have\n"
               "  -o DIR: (nodes) one file per node, DIR/NAME.{features,yaml,conf,condor}\n"
               "exit: 0 written, 2 bad usage or input\n");
}

/* A node document has devices/driver fields or is a node list. */
static bool looks_like_node(const char *text, size_t len) {
    json_t *j = json_loadb(text, len, 0, NULL);
    bool node = false;
    const json_t *o = json_is_array(j) ? json_array_get(j, 0) : j;
    if (json_is_object(o))
        node = json_object_get(o, "devices") || json_object_get(o, "driver_version") ||
               json_object_get(o, "nodes") || json_object_get(o, "hostname") ||
               json_object_get(o, "instance_type");
    json_decref(j);
    return node;
}

/* -o DIR: one file per node and target, named after the node. */
static int per_node_files(gm_export_format fmt, const gm_node_list *nodes, const char *dir,
                          gm_strlist *notes) {
    static const char *const ext[] = {"features", "yaml", "conf", "condor", "yaml"};
    gm_error err = {0};
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = n->hostname ? n->hostname : n->instance_type ? n->instance_type : NULL;
        char safe[128];
        size_t o = 0;
        for (const char *p = name ? name : ""; *p && o + 1 < sizeof safe; p++) {
            bool ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_' || (*p == '.' && o > 0);
            safe[o++] = ok ? *p : '_';
        }
        safe[o] = 0;
        if (!o) snprintf(safe, sizeof safe, "node%zu", i);
        for (size_t k = 0; k < i; k++) {
            const gm_node *m = &nodes->nodes[k];
            const char *mn = m->hostname ? m->hostname : m->instance_type;
            if (name && mn && !strcmp(name, mn)) {
                gm_cli_errorf("export", "nodes[%zu] and nodes[%zu] are both named \"%s\": one file "
                                        "per node needs distinct names", k, i, name);
                return GM_EXIT_INPUT;
            }
        }
        char *text = NULL, *path = gm_cli_asprintf("%s/%s.%s", dir, safe, ext[fmt]);
        if (!path || gm_export_node(fmt, n, &text, notes, &err) < 0) {
            gm_cli_error("export", &err);
            free(path);
            return GM_EXIT_INPUT;
        }
        int rc = gm_cli_output("export", path, text);
        free(text);
        free(path);
        if (rc) return rc;
    }
    return GM_EXIT_OK;
}

int gm_cli_export(int argc, char **argv) {
    static const struct option opts[] = {{"to", required_argument, 0, 't'},
                                         {"node", no_argument, 0, 'n'},
                                         {"require", no_argument, 0, 'r'},
                                         {"nodes", required_argument, 0, 'N'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *to = NULL, *out_path = NULL, *cluster_path = NULL;
    int kind = 0; /* 1 node, 2 requirement */
    int c, rc = GM_EXIT_INPUT;
    gm_error err = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:nro:N:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': to = optarg; break;
        case 'n': kind = 1; break;
        case 'r': kind = 2; break;
        case 'o': out_path = optarg; break;
        case 'N': cluster_path = optarg; break;
        case 'h': usage(stdout); return GM_EXIT_OK;
        default: usage(stderr); return GM_EXIT_INPUT;
        }
    }
    gm_export_format fmt;
    if (!to) { gm_cli_errorf("export", "need --to FORMAT (k8s-labels, dra, slurm, htcondor, arvados)"); return GM_EXIT_INPUT; }
    if (gm_export_format_parse(to, &fmt, &err) < 0) { gm_cli_error("export", &err); return GM_EXIT_INPUT; }
    if (optind + 1 != argc) { gm_cli_errorf("export", "need exactly one input FILE"); return GM_EXIT_INPUT; }
    const char *path = argv[optind];
    char *text = NULL, *res = NULL;
    size_t len = 0;
    gm_strlist notes = {0};
    gm_node_list nodes = {0}, cluster = {0};
    gm_requirement req;
    gm_requirement_init(&req);
    if (gm_read_file(path, GM_MAX_DOC_BYTES, &text, &len, &err) < 0) {
        gm_cli_error("export", &err);
        rc = gm_cli_exit_for(err.code) == GM_EXIT_ENV ? GM_EXIT_INPUT : gm_cli_exit_for(err.code);
        goto out;
    }
    if (!kind) kind = looks_like_node(text, len) ? 1 : 2;
    if (kind == 1) {
        if (gm_node_list_parse(text, len, path, &nodes, &err) < 0) { gm_cli_error("export", &err); goto out; }
        struct stat st;
        if (out_path && stat(out_path, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = per_node_files(fmt, &nodes, out_path, &notes);
            goto out;
        }
        if (gm_export_nodes(fmt, &nodes, &res, &notes, &err) < 0) {
            gm_cli_error("export", &err);
            goto out;
        }

    } else {
        if (cluster_path && gm_node_list_load(cluster_path, &cluster, &err) < 0) {
            gm_cli_error("export", &err);
            goto out;
        }
        if (gm_requirement_parse(text, len, path, &req, &err) < 0 ||
            (fmt == GM_EXPORT_SLURM && cluster_path
                 ? gm_export_slurm_req_for(&req, &cluster, &res, &notes, &err)
                 : gm_export_requirement(fmt, &req, &res, &notes, &err)) < 0) {
            gm_cli_error("export", &err);
            goto out;
        }
        if (fmt == GM_EXPORT_ARVADOS) /* JSON cannot carry the notes as comments */
            for (size_t i = 0; i < notes.n; i++) fprintf(stderr, "gpumatch export: note: %s\n", notes.items[i]);
    }
    rc = res ? gm_cli_output("export", out_path, res) : GM_EXIT_INPUT;
out:
    free(res);
    free(text);
    gm_strlist_free(&notes);
    gm_node_list_free(&nodes);
    gm_node_list_free(&cluster);
    gm_requirement_free(&req);
    return rc;
}
