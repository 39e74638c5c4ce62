/* gpumatch plan: place a queue of requests on an inventory. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/plan.h"
#include "gpumatch/io.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch plan -n NODES [-n ...] --queue QUEUE.json [-j | -f table|json]\n"
            "       [-o FILE]\n"
            "  -n, --nodes NODES: node documents (a file, a directory of *.json, a glob, or -);\n"
            "              with \"instance_type\" (+ \"price\", \"count\") they are cloud\n"
            "              instance types, otherwise fixed nodes\n"
            "  QUEUE.json: a list of requirement documents (or {\"requests\": [...]}, or one\n"
            "              document) with optional \"id\" and \"priority\" (higher first,\n"
            "              then input order)\n"
            "  -j, --json; -f, --format table|json; -o, --output FILE\n"
            "here: 0 every request placed, 1 some unschedulable\n");
    gm_cli_exit_help(f);
}

int gm_cli_plan(int argc, char **argv) {
    static const struct option opts[] = {{"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"queue", required_argument, 0, 'Q'},
                                         {"json", no_argument, 0, 'j'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *queue_path = NULL, *out_path = NULL;
    int fmt = -1;
    bool have_nodes = false; /* an empty inventory is a valid question */
    gm_node_list nodes = {0};
    gm_requirement_list queue = {0};
    gm_plan plan = {0};
    gm_error err = {0};
    int c, rc = GM_EXIT_INPUT;
    gm_cli_args ga = {.verb = "plan", .shortopts = "n:jf:o:h", .longopts = opts, .repeatable = "n"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'n':
            if (gm_cli_nodes_add("plan", optarg, &nodes) != GM_EXIT_OK)
                goto out;
            have_nodes = true;
            break;
        case 'Q': queue_path = optarg; break;
        case 'j':
        case 'f':
            if (gm_cli_format_set("plan", &fmt, c == 'j' ? "json" : optarg, GM_FMT_TJ))
                goto out;
            break;
        case 'o': out_path = optarg; break;
        case 'h': usage(stdout); rc = GM_EXIT_OK; goto out;
        default: goto out;
        }
    }
    bool as_json = fmt == GM_FMT_JSON;
    if (optind < argc) {
        gm_cli_errorf("plan", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!have_nodes || !queue_path) {
        gm_cli_errorf("plan", "need --nodes NODES and --queue QUEUE.json");
        goto out;
    }
    if (gm_requirement_list_load(queue_path, &queue, &err) < 0) {
        gm_cli_error("plan", &err);
        rc = GM_EXIT_INPUT; /* a file the user named, even when missing */
        goto out;
    }
    if (gm_plan_run(&nodes, &queue, NULL, &plan, &err) < 0) {
        gm_cli_error("plan", &err);
        rc = gm_cli_exit_for(err.code);
        goto out;
    }
    /* Streamed: a report of 100 000 requests is never held in memory. */
    {
        char *tmp = NULL;
        bool to_stdout = !out_path || !strcmp(out_path, "-");
        FILE *f = to_stdout ? stdout : gm_atomic_open(out_path, &tmp, &err);
        int wrc = f ? (as_json ? gm_plan_write_json : gm_plan_write_text)(f, &nodes, &queue, &plan, &err)
                    : -1;
        if (to_stdout && wrc == 0 && fflush(stdout) != 0)
            wrc = gm_error_set(&err, GM_EIO, "cannot write to standard output");
        if (!to_stdout && f && gm_atomic_commit(f, tmp, out_path, wrc == 0, wrc ? NULL : &err) < 0 &&
            wrc == 0)
            wrc = -1;
        if (wrc < 0) {
            gm_cli_error("plan", &err);
            rc = GM_EXIT_INPUT;
            goto out;
        }
        rc = GM_EXIT_OK;
    }
    if (rc == GM_EXIT_OK && plan.n_unschedulable) rc = GM_EXIT_NO;
out:
    gm_plan_free(&plan);
    gm_requirement_list_free(&queue);
    gm_node_list_free(&nodes);
    return rc;
}
