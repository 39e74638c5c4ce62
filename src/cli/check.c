/* gpumatch check: requirements against nodes, a reason for every rejection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "gpumatch/fleet.h"
#include "gpumatch/match.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gpumatch check --node NODE.json [--node ...] --require REQ.json|PATH [--json]\n"
               "       [--details]\n"
               "  default: identical nodes grouped into kinds, a summary first; --details\n"
               "  prints every node and GPU\n"
               "  NODE.json: a node document, a list of them, or {\"nodes\": [...]}\n"
               "  REQ.json:  a requirement document or an Arvados container request\n"
               "  PATH:      anything `gpumatch inspect` reads (binary, directory, wheel, image):\n"
               "             inspected first; no device code in it is exit 2\n"
               "exit: 0 at least one node fits, 1 none fits, 2 bad input\n");
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
            printf(" %s", gm_node_display_name(&nodes->nodes[i], i, nb, sizeof nb));
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

int gm_cli_check(int argc, char **argv) {
    static const struct option opts[] = {{"node", required_argument, 0, 'n'},
                                         {"require", required_argument, 0, 'r'},
                                         {"json", no_argument, 0, 'j'},
                                         {"details", no_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *req_path = NULL;
    bool as_json = false, details = false;
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
        case 'd':
            details = true;
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
    gm_verdict *v = calloc(nodes.n + 1, sizeof *v); /* never calloc(0) */
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
        char *s = gm_verdicts_to_json(&nodes, v, req_path, &err);
        if (!s || gm_cli_output("check", NULL, s) != GM_EXIT_OK)
            rc = GM_EXIT_INPUT;
        free(s);
    } else if (details) {
        print_table(&nodes, v, req_path);
    } else if (print_summary(&nodes, v, &req, req_path, &err) < 0) {
        gm_cli_error("check", &err);
        rc = GM_EXIT_INPUT;
    }
    for (size_t i = 0; i < nodes.n; i++)
        gm_verdict_free(&v[i]);
    free(v);
out:
    gm_node_list_free(&nodes);
    gm_requirement_free(&req);
    return rc;
}
