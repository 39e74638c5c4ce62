/* gpumatch export: a node or requirement document in a scheduler's language. */
#include <ctype.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/doc.h"
#include "gpumatch/export.h"
#include "gpumatch/io.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch export --to FORMAT [-n NODES]... [-r REQ] [FILE] [-o OUT]\n"
               "  FORMAT: k8s-labels, dra, slurm, htcondor, arvados\n"
               "  -r, --require REQ  the requirement to export: a document, or a binary,\n"
               "                     directory, wheel or image (inspected first)\n"
               "  -n, --nodes NODES  the nodes to export (file, directory, glob, -; repeats;\n"
               "                     --node is the same); with --require and --to slurm, the\n"
               "                     cluster: keep only features its nodes have\n"
               "  FILE: a node or requirement document, detected from its fields\n"
               "  -o, --output OUT   write there; for nodes, a directory OUT gets one file\n"
               "                     per node, OUT/NAME.{features,yaml,conf,condor}\n"
               "  -q, --quiet        no progress line while REQ is inspected\n");
    gm_cli_exit_help(f);
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
                                         {"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"require", required_argument, 0, 'r'},
                                         {"output", required_argument, 0, 'o'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *to = NULL, *out_path = NULL;
    int c, rc = GM_EXIT_INPUT;
    gm_error err = {0};
    char *res = NULL;
    gm_strlist notes = {0};
    gm_node_list nodes = {0};
    gm_cli_reqs reqs = {0};
    gm_cli_args ga = {.verb = "export", .shortopts = "t:n:r:o:qh", .longopts = opts,
                      .repeatable = "n"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 't': to = optarg; break;
        case 'n':
            if (gm_cli_nodes_add("export", optarg, &nodes) != GM_EXIT_OK)
                goto out;
            break;
        case 'r':
            if (gm_cli_require_add("export", optarg, &reqs) != GM_EXIT_OK)
                goto out;
            break;
        case 'o': out_path = optarg; break;
        case 'q': gm_cli_quiet = true; break;
        case 'h': usage(stdout); rc = GM_EXIT_OK; goto out;
        default: goto out;
        }
    }
    gm_export_format fmt;
    if (!to) { gm_cli_errorf("export", "need --to FORMAT (k8s-labels, dra, slurm, htcondor, arvados)"); goto out; }
    if (gm_export_format_parse(to, &fmt, &err) < 0) { gm_cli_error("export", &err); goto out; }
    if (optind + 1 < argc) { gm_cli_errorf("export", "unexpected argument '%s'", argv[optind + 1]); goto out; }
    if (optind < argc) {
        /* FILE: its kind from its fields */
        const char *path = argv[optind];
        char *text = NULL;
        size_t len = 0;
        if (strcmp(path, "-") && gm_cli_is_json_file(path) &&
            gm_read_file(path, GM_MAX_DOC_BYTES, &text, &len, &err) < 0) {
            gm_cli_error("export", &err);
            goto out;
        }
        bool node = text && gm_doc_kind_of(text, len, NULL) == GM_DOC_NODE;
        free(text);
        if (!node ? gm_cli_require_add("export", path, &reqs)
                  : gm_cli_nodes_add("export", path, &nodes))
            goto out;
    }
    if (reqs.n > 1) {
        gm_cli_errorf("export", "one requirement at a time (got %zu)", reqs.n);
        goto out;
    }
    if (!reqs.n && !nodes.n) {
        gm_cli_errorf("export", "need a FILE, --require REQ or --nodes NODES");
        goto out;
    }
    if (!reqs.n) {
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
        const gm_requirement *req = &reqs.items[0].req;
        if (nodes.n && fmt != GM_EXPORT_SLURM) {
            gm_cli_errorf("export", "--nodes with a requirement is for --to slurm (the cluster's "
                                    "features)");
            goto out;
        }
        if ((fmt == GM_EXPORT_SLURM && nodes.n
                 ? gm_export_slurm_req_for(req, &nodes, &res, &notes, &err)
                 : gm_export_requirement(fmt, req, &res, &notes, &err)) < 0) {
            gm_cli_error("export", &err);
            goto out;
        }
        if (fmt == GM_EXPORT_ARVADOS) /* JSON cannot carry the notes as comments */
            for (size_t i = 0; i < notes.n; i++) fprintf(stderr, "gpumatch export: note: %s\n", notes.items[i]);
    }
    rc = res ? gm_cli_output("export", out_path, res) : GM_EXIT_INPUT;
out:
    free(res);
    gm_strlist_free(&notes);
    gm_node_list_free(&nodes);
    gm_cli_reqs_free(&reqs);
    return rc;
}
