/* gpumatch matrix / report: workloads x node kinds, and what-if a pool's driver
 * changes. All logic is in the library (gpumatch/fleet.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/fleet.h"

static void usage(FILE *f, const char *verb) {
    bool rep = !strcmp(verb, "report");
    fprintf(f,
            "usage: gpumatch %s -n NODES [-n ...] -r REQ [-r ...]\n"
            "       [--what-if driver=VERSION --pool NAME] %s\n"
            "  -n, --nodes NODES  node documents (one, a list, or {\"nodes\": [...]}): a file,\n"
            "              a directory (its *.json), a glob or - (stdin); identical nodes are\n"
            "              grouped into kinds named like \"h100\", \"a100-2\"\n"
            "  -r, --require REQ  one workload each: a requirement document, or a binary,\n"
            "              directory, wheel or image (inspected first); a glob gives several\n"
            "  --what-if driver=V --pool NAME: re-evaluate with driver V on the nodes of\n"
            "              kind NAME, or whose hostname matches the glob NAME\n"
            "%s"
            "  -q, --quiet: no progress line while a REQ is inspected\n"
            "here: 0 every workload fits somewhere, 1 some workload fits nowhere\n",
            verb,
            rep ? "-o FILE.html [--title TEXT]" : "[-f table|json|csv] [-j] [-o FILE]",
            rep ? "  -o FILE.html: one self-contained page (no network): heatmap, reasons,\n"
                  "              per-pool driver/CC summary, what-if before/after\n"
                : "  -f, --format: table (default; width from $COLUMNS or the terminal), json,\n"
                  "              csv; -j, --json; -o, --output FILE\n");
    gm_cli_exit_help(f);
}

static char *workload_name(const char *path) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t l = strlen(b);
    if (l > 5 && !strcmp(b + l - 5, ".json"))
        l -= 5;
    return strndup(b, l);
}

static int run(int argc, char **argv, const char *verb) {
    static const struct option opts[] = {{"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"require", required_argument, 0, 'r'},
                                         {"what-if", required_argument, 0, 'w'},
                                         {"pool", required_argument, 0, 'p'},
                                         {"format", required_argument, 0, 'f'},
                                         {"json", no_argument, 0, 'j'},
                                         {"output", required_argument, 0, 'o'},
                                         {"title", required_argument, 0, 't'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool report = !strcmp(verb, "report");
    const char *out_path = NULL, *title = NULL;
    int fmt = -1;
    gm_what_if wi = {0};
    gm_node_list nodes = {0};
    gm_cli_reqs in = {0};
    gm_requirement *reqs = NULL;
    char **names = NULL;
    size_t n_reqs = 0;
    gm_matrix m = {0};
    gm_error err = {0};
    int c, rc = GM_EXIT_INPUT;
    gm_cli_args ga = {.verb = verb, .shortopts = "n:r:f:jo:qh", .longopts = opts,
                      .repeatable = "nr"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'n':
            if (gm_cli_nodes_add(verb, optarg, &nodes) != GM_EXIT_OK)
                goto out;
            break;
        case 'r':
            if (gm_cli_require_add(verb, optarg, &in) != GM_EXIT_OK)
                goto out;
            break;
        case 'w':
            if (strncmp(optarg, "driver=", 7)) {
                gm_cli_errorf(verb, "--what-if takes driver=VERSION, got '%s'", optarg);
                goto out;
            }
            wi.driver = optarg + 7;
            break;
        case 'p': wi.pool = optarg; break;
        case 'f':
        case 'j':
            if (report) {
                gm_cli_errorf(verb, "report writes HTML; --json and --format are for matrix");
                goto out;
            }
            if (gm_cli_format_set(verb, &fmt, c == 'j' ? "json" : optarg, GM_FMT_ALL))
                goto out;
            break;
        case 'o': out_path = optarg; break;
        case 't': title = optarg; break;
        case 'q': gm_cli_quiet = true; break;
        case 'h':
            usage(stdout, verb);
            rc = GM_EXIT_OK;
            goto out;
        default: goto out;
        }
    }
    if (optind < argc) {
        gm_cli_errorf(verb, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    n_reqs = in.n;
    if (!nodes.n || !n_reqs) {
        gm_cli_errorf(verb, "need at least one --nodes NODES (with nodes) and --require REQ");
        goto out;
    }
    if (wi.pool && !wi.driver) {
        gm_cli_errorf(verb, "--pool goes with --what-if driver=VERSION");
        goto out;
    }
    if (report && !out_path) {
        gm_cli_errorf(verb, "need -o FILE.html (or -o - for standard output)");
        goto out;
    }
    reqs = calloc(n_reqs + 1, sizeof *reqs); /* never calloc(0) */
    names = calloc(n_reqs + 1, sizeof *names);
    if (!reqs || !names) {
        gm_cli_errorf(verb, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_reqs; i++) {
        reqs[i] = in.items[i].req; /* moved: in keeps only the paths */
        gm_requirement_init(&in.items[i].req);
        names[i] = workload_name(in.items[i].path);
    }
    /* two files with one name: tell them apart by their paths */
    for (size_t i = 0; i < n_reqs; i++)
        for (size_t j = i + 1; j < n_reqs; j++)
            if (names[i] && names[j] && !strcmp(names[i], names[j])) {
                free(names[j]);
                names[j] = strdup(in.items[j].path);
            }
    if (gm_matrix_run(&nodes, reqs, names, n_reqs, wi.driver ? &wi : NULL, &m, &err) < 0) {
        gm_cli_error(verb, &err);
        rc = gm_cli_exit_for(err.code);
        goto out;
    }
    char *text = report                       ? gm_matrix_to_html(&m, title, &err)
                 : fmt == GM_FMT_JSON         ? gm_matrix_to_json(&m, &err)
                 : fmt == GM_FMT_CSV          ? gm_matrix_to_csv(&m, &err)
                                              : gm_matrix_to_text(&m, gm_cli_width(), &err);
    if (!text) {
        gm_cli_error(verb, &err);
        goto out;
    }
    rc = gm_cli_output(verb, out_path, text);
    free(text);
    if (rc == GM_EXIT_OK) {
        size_t nk = m.kinds.n;
        for (size_t w = 0; w < m.n_workloads; w++) {
            bool any = false;
            for (size_t k = 0; k < nk; k++)
                any |= m.cells[w * nk + k].state != GM_CELL_NO;
            if (!any)
                rc = GM_EXIT_NO;
        }
    }
out:
    gm_matrix_free(&m);
    for (size_t i = 0; reqs && i < n_reqs; i++)
        gm_requirement_free(&reqs[i]);
    for (size_t i = 0; names && i < n_reqs; i++)
        free(names[i]);
    free(reqs);
    free(names);
    gm_cli_reqs_free(&in);
    gm_node_list_free(&nodes);
    return rc;
}

int gm_cli_matrix(int argc, char **argv) { return run(argc, argv, "matrix"); }
int gm_cli_report(int argc, char **argv) { return run(argc, argv, "report"); }
