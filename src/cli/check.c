/* gpumatch check: requirements against nodes, a reason for every rejection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/fleet.h"
#include "gpumatch/match.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch check -n NODES -r REQ [-r REQ ...] [--details | --summary]\n"
               "       [-j | -f table|json|csv] [-o FILE]\n"
               "  -n, --nodes NODES  node documents: a file (one node, a list, or {\"nodes\": [...]}),\n"
               "                     a directory (its *.json), a glob, or - (stdin); repeats;\n"
               "                     --node is the same option\n"
               "  -r, --require REQ  a requirement document or Arvados container request, or\n"
               "                     anything `gpumatch inspect` reads (binary, directory, wheel,\n"
               "                     image), inspected first (no device code in it is exit 2);\n"
               "                     repeats: one section per requirement\n"
               "  default: identical nodes grouped into kinds, a summary first; --details\n"
               "  prints every node and GPU\n"
               "  -j, --json; -f, --format table|json|csv (csv: one row per node and GPU)\n"
               "  -o, --output FILE  write there (atomically, keeping FILE's mode)\n"
               "  -q, --quiet        no progress line while a REQ is inspected\n"
               "here: 0 every requirement fits on at least one node, 1 one fits on none\n");
    gm_cli_exit_help(f);
}

static void join(const gm_strlist *l, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", l->items[i]);
}

/* A cell: escaped, cut to w columns with a visible "…", padded to w (w 0:
 * as is, unpadded; the last column). */
static void cell(const char *s, size_t w) {
    char *e = gm_text_escape(s ? s : "?"), *t = e ? gm_text_elide(e, w) : NULL;
    const char *out = t ? t : "?";
    fputs(out, stdout);
    for (size_t c = gm_text_width(out); c < w; c++)
        putchar(' ');
    free(e);
    free(t);
}

#define NODE_W_MIN 16
#define NODE_W_MAX 64 /* longer names are cut visibly */
#define MODEL_W 30

static void row(size_t nw, const char *node, const char *gpu, const char *model, const char *cc,
                const char *mem, const char *verdict, const char *text) {
    cell(node, nw);
    putchar(' ');
    cell(gpu, 5);
    putchar(' ');
    cell(model, MODEL_W);
    putchar(' ');
    cell(cc, 4);
    putchar(' ');
    cell(mem, 10);
    putchar(' ');
    cell(verdict, 12);
    putchar(' ');
    cell(text, 0);
    putchar('\n');
}

/* --details: every node and GPU. The node column is as wide as the longest
 * name (FQDNs), within bounds; a cut name or model ends in "…". */
static void print_table(const gm_node_list *nodes, const gm_verdict *v, const char *req_path) {
    char nb[32], a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX], text[4096], mem[32];
    size_t fits = 0, nw = NODE_W_MIN;
    for (size_t i = 0; i < nodes->n; i++) {
        char *e = gm_text_escape(gm_node_display_name(&nodes->nodes[i], i, nb, sizeof nb));
        size_t w = e ? gm_text_width(e) : 0;
        free(e);
        if (w > nw)
            nw = w > NODE_W_MAX ? NODE_W_MAX : w;
    }
    printf("requirement: %s\n", req_path);
    row(nw, "NODE", "GPU", "MODEL", "CC", "MEMORY", "VERDICT", "REASONS");
    for (size_t i = 0; i < nodes->n; i++) {
        const gm_node *n = &nodes->nodes[i];
        const char *name = gm_node_display_name(n, i, nb, sizeof nb);
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
        row(nw, name, "-", drv, "-", "-", v[i].ok ? "fits" : "no", text);
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
            row(nw, name, label, d->name ? d->name : "?", d->cc.major ? gm_cc_str(&d->cc, a) : "?",
                mem, u->ok ? "compatible" : "incompatible", text);
        }
    }
    printf("%zu of %zu node%s fit%s", fits, nodes->n, nodes->n == 1 ? "" : "s",
           fits ? ":" : "");
    for (size_t i = 0; i < nodes->n; i++)
        if (v[i].ok) {
            putchar(' ');
            cell(gm_node_display_name(&nodes->nodes[i], i, nb, sizeof nb), 0);
        }
    printf("\n");
}

/* One line, escaped, elided to the output width (0: as is). */
static void put_line(const char *s, int width) {
    char *e = gm_text_escape(s), *t = e ? gm_text_elide(e, width > 0 ? (size_t)width : 0) : NULL;
    puts(t ? t : "?");
    free(e);
    free(t);
}

#define MAX_FIT_NAMES 8
#define MAX_KIND_LINES 4
#define MAX_KINDS 24 /* a screenful; the rest are counted, --details/--json list all */

/* Grouped: one line per node kind with its verdict, its distinct reasons
 * below; the blocking constraint when nothing fits. */
static int print_summary(const gm_node_list *nodes, const gm_verdict *v, const gm_requirement *req,
                         const char *req_path, gm_error *err) {
    gm_node_kinds kinds;
    char nb[32], drv[96], a[GM_VERSION_STR_MAX], b[GM_VERSION_STR_MAX];
    int width = gm_cli_width();
    if (gm_node_kinds_build(nodes, &kinds, err) < 0)
        return -1;
    size_t fits = 0;
    for (size_t i = 0; i < nodes->n; i++)
        fits += v[i].ok;
    char *line = gm_cli_asprintf("requirement: %s", req_path);
    put_line(line ? line : "", width);
    free(line);
    /* the existing one-line answer, names only while they stay readable */
    char names[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < nodes->n && fits <= MAX_FIT_NAMES && used < sizeof names; i++)
        if (v[i].ok)
            used += (size_t)snprintf(names + used, sizeof names - used, " %s",
                                     gm_node_display_name(&nodes->nodes[i], i, nb, sizeof nb));
    line = gm_cli_asprintf("%zu of %zu node%s fit%s%s (%zu kind%s)", fits, nodes->n,
                       nodes->n == 1 ? "" : "s", fits && fits <= MAX_FIT_NAMES ? ":" : "", names,
                       kinds.n, kinds.n == 1 ? "" : "s");
    put_line(line ? line : "", width);
    free(line);
    if (!fits) {
        char *why = NULL;
        if (gm_fleet_blocking(nodes, &kinds, req, &why, err) < 0) {
            gm_node_kinds_free(&kinds);
            return -1;
        }
        if (why) {
            line = gm_cli_asprintf("blocking: %s", why);
            put_line(line ? line : "", width);
            free(line);
            free(why);
        }
    }
    for (size_t k = 0; k < kinds.n; k++) {
        const gm_node_kind *kd = &kinds.kinds[k];
        size_t r = kd->members[0];
        if (k == MAX_KINDS) {
            size_t rest = 0, rest_fit = 0;
            for (size_t j = k; j < kinds.n; j++) {
                rest += kinds.kinds[j].n_members;
                rest_fit += v[kinds.kinds[j].members[0]].ok ? kinds.kinds[j].n_members : 0;
            }
            printf("   ... %zu more kinds (%zu nodes, %zu fit): --details or --json lists them\n",
                   kinds.n - k, rest, rest_fit);
            break;
        }
        const gm_node *n = &nodes->nodes[r];
        gm_cuda_version dc;
        gm_cell cell;
        if (gm_cell_from_verdict(&v[r], &cell, err) < 0) {
            gm_node_kinds_free(&kinds);
            return -1;
        }
        snprintf(drv, sizeof drv, "driver %s",
                 gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, a)
                                                      : "unknown");
        if (gm_node_driver_cuda(n, &dc))
            snprintf(drv + strlen(drv), sizeof drv - strlen(drv), " (CUDA %s)",
                     gm_cuda_version_str(&dc, b));
        const char *first = gm_node_display_name(n, r, nb, sizeof nb);
        char hosts[160];
        if (kd->n_members == 1)
            snprintf(hosts, sizeof hosts, "%s", first);
        else
            snprintf(hosts, sizeof hosts, "%s and %zu more", first, kd->n_members - 1);
        line = gm_cli_asprintf("%4zu \u00d7 %s, %s: %s  [%s]", kd->n_members, kd->gpus, drv,
                           cell.state == GM_CELL_NO ? "no" : "fits", hosts);
        put_line(line ? line : "", width);
        free(line);
        size_t shown = 0, total = cell.reasons.n + cell.notes.n;
        for (size_t i = 0; i < cell.reasons.n && shown < MAX_KIND_LINES; i++, shown++) {
            line = gm_cli_asprintf("       - %s", cell.reasons.items[i]);
            put_line(line ? line : "", width);
            free(line);
        }
        for (size_t i = 0; i < cell.notes.n && shown < MAX_KIND_LINES; i++, shown++) {
            line = gm_cli_asprintf("       note: %s", cell.notes.items[i]);
            put_line(line ? line : "", width);
            free(line);
        }
        if (total > shown)
            printf("       (%zu more; --details lists every GPU)\n", total - shown);
        gm_cell_free(&cell);
    }
    gm_node_kinds_free(&kinds);
    return 0;
}

/* The verdicts of one requirement on every node; NULL after an error (printed). */
static gm_verdict *match_all(const gm_node_list *nodes, const gm_requirement *req, bool *any) {
    gm_error err = {0};
    gm_verdict *v = calloc(nodes->n + 1, sizeof *v); /* never calloc(0) */
    if (!v) {
        gm_cli_errorf("check", "out of memory");
        return NULL;
    }
    *any = false;
    for (size_t i = 0; i < nodes->n; i++) {
        if (gm_match(&nodes->nodes[i], req, &v[i], &err) < 0) {
            gm_cli_error("check", &err);
            for (size_t k = 0; k < i; k++)
                gm_verdict_free(&v[k]);
            free(v);
            return NULL;
        }
        *any |= v[i].ok;
    }
    return v;
}

int gm_cli_check(int argc, char **argv) {
    static const struct option opts[] = {{"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"require", required_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"details", no_argument, 0, 'd'},
                                         {"summary", no_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_path = NULL;
    bool details = false;
    int fmt = -1;
    gm_node_list nodes = {0};
    gm_cli_reqs reqs = {0};
    gm_error err = {0};
    int c, rc = GM_EXIT_INPUT;
    gm_cli_args ga = {.verb = "check", .shortopts = "n:r:jf:o:qh", .longopts = opts,
                      .repeatable = "nr"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'n':
            if (gm_cli_nodes_add("check", optarg, &nodes) != GM_EXIT_OK)
                goto out;
            break;
        case 'r':
            if (gm_cli_require_add("check", optarg, &reqs) != GM_EXIT_OK)
                goto out;
            break;
        case 'j':
        case 'f':
            if (gm_cli_format_set("check", &fmt, c == 'j' ? "json" : optarg, GM_FMT_ALL))
                goto out;
            break;
        case 'o': out_path = optarg; break;
        case 'd': details = true; break;
        case 's': details = false; break;
        case 'q': gm_cli_quiet = true; break;
        case 'h':
            usage(stdout);
            rc = GM_EXIT_OK;
            goto out;
        default: goto out;
        }
    }
    if (optind < argc) {
        gm_cli_errorf("check", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!reqs.n || !nodes.n) {
        gm_cli_errorf("check", "need --require REQ and at least one --nodes NODES "
                               "(with at least one node)");
        goto out;
    }
    gm_cli_redirect to_file;
    if (gm_cli_stdout_begin("check", out_path, &to_file) != GM_EXIT_OK)
        goto out;
    /* several requirements: every one must fit somewhere, as in matrix */
    rc = GM_EXIT_OK;
    if (fmt == GM_FMT_JSON && reqs.n > 1)
        printf("[\n");
    for (size_t r = 0; r < reqs.n && rc != GM_EXIT_INPUT; r++) {
        const char *req_path = reqs.items[r].path;
        bool any;
        gm_verdict *v = match_all(&nodes, &reqs.items[r].req, &any);
        if (!v) {
            rc = GM_EXIT_INPUT;
            break;
        }
        if (!any)
            rc = GM_EXIT_NO;
        char *s = NULL;
        if (fmt == GM_FMT_JSON || fmt == GM_FMT_CSV) {
            s = fmt == GM_FMT_JSON ? gm_verdicts_to_json(&nodes, v, req_path, &err)
                                   : gm_verdicts_to_csv(&nodes, v, req_path, r == 0, &err);
            if (!s) {
                gm_cli_error("check", &err);
                rc = GM_EXIT_INPUT;
            } else if (fmt == GM_FMT_JSON && reqs.n > 1) {
                /* a list of verdict documents, one per requirement */
                s[strlen(s) - 1] = 0;
                printf("%s%s\n", s, r + 1 < reqs.n ? "," : "");
            } else {
                fputs(s, stdout);
            }
            free(s);
        } else {
            if (r)
                printf("\n");
            if (details)
                print_table(&nodes, v, req_path);
            else if (print_summary(&nodes, v, &reqs.items[r].req, req_path, &err) < 0) {
                gm_cli_error("check", &err);
                rc = GM_EXIT_INPUT;
            }
        }
        for (size_t i = 0; i < nodes.n; i++)
            gm_verdict_free(&v[i]);
        free(v);
    }
    if (fmt == GM_FMT_JSON && reqs.n > 1 && rc != GM_EXIT_INPUT)
        printf("]\n");
    if (fflush(stdout) != 0 && !out_path) {
        gm_cli_errorf("check", "cannot write to standard output");
        rc = GM_EXIT_INPUT;
    }
    int orc = gm_cli_stdout_end("check", &to_file, rc != GM_EXIT_INPUT);
    if (orc != GM_EXIT_OK)
        rc = orc;
out:
    gm_node_list_free(&nodes);
    gm_cli_reqs_free(&reqs);
    return rc;
}
