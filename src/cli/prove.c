/* gpumatch prove: load the target's own modules on this node's GPUs and
 * compare the driver's answers with gpumatch's prediction. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "cli/prove.h"
#include "gpumatch/prove.h"

enum { EXIT_DISAGREE = 4, EXIT_INCOMPLETE = 5 };

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch prove [--json] [--gpus LIST] [--budget SECONDS] [--sample]\n"
            "                      [--jit-cache DIR] [-o FILE] TARGET...\n"
            "Loads every module of TARGET (binary, library, directory, image: what inspect\n"
            "reads) with cuModuleLoadDataEx on each visible GPU and compares the driver's\n"
            "answer with gpumatch's predicted verdict for this node.\n"
            "  --gpus LIST      CUDA_VISIBLE_DEVICES for the proof (indices, GPU-/MIG- UUIDs)\n"
            "  --budget S       start no load after S seconds; the rest is reported skipped\n"
            "  --sample         load each distinct (images, PTX ISA) set once per GPU\n"
            "  --jit-cache DIR  let the driver cache JIT output in DIR (CUDA_CACHE_PATH);\n"
            "                   default: cache disabled, so PTX is really compiled and a\n"
            "                   cubin-vs-JIT difference counts as a disagreement\n"
            "  --json           print the report as JSON (docs/prove.md)\n"
            "Library override: GPUMATCH_CUDA_PATH.\n"
            "here: 0 every GPU loads every required module, as predicted\n"
            "      1 some GPU cannot load a required module, as predicted\n"
            "      3 also when libcuda failed; and two more:\n"
            "      4 DISAGREEMENT: the driver and gpumatch's rules disagree (a rules bug)\n"
            "      5 proof incomplete (budget spent, a context failed), no disagreement\n");
    gm_cli_exit_help(f);
}

static const char *how_text(gm_prove_how h) {
    switch (h) {
    case GM_PROVE_CUBIN: return "loaded cubin";
    case GM_PROVE_JIT: return "JIT-compiled PTX";
    case GM_PROVE_FAILED: return "failed";
    default: return "skipped";
    }
}

static void print_load(const gm_prove_report *r, const gm_prove_module *m, const gm_prove_load *l) {
    printf("%s", how_text(l->proven));
    if (l->proven == GM_PROVE_FAILED)
        printf(" %s (%d)", l->error_name ? l->error_name : "?", l->code);
    if ((l->proven == GM_PROVE_JIT || l->proven == GM_PROVE_CUBIN) && !m->library_union &&
        l->sampled_from < 0)
        printf(" in %.1f ms", l->ms);
    if (l->proven == GM_PROVE_JIT && l->jit_ms > 0 && l->sampled_from < 0)
        printf(" (JIT %.1f ms)", l->jit_ms);
    if (l->sampled_from >= 0)
        printf(" [sampled: as module %ld]", l->sampled_from);
    else if (l->proven == GM_PROVE_SKIPPED)
        printf(" [%s]", r->budget_expired ? "budget spent" : "no context");
    if (l->log)
        printf(": \"%s\"", l->log);
    printf("; predicted %s", gm_prove_how_name(l->predicted));
    if (l->disagree)
        printf("   <<< DISAGREEMENT");
    printf("\n");
}

static void print_text(const gm_prove_report *r) {
    char b[GM_VERSION_STR_MAX], c[GM_VERSION_STR_MAX];
    size_t n_kl = 0;
    for (size_t i = 0; i < r->n_modules; i++)
        n_kl += r->modules[i].kernel_less;
    char kl[64] = "";
    if (n_kl)
        snprintf(kl, sizeof kl, " (%zu kernel-less, not loaded)", n_kl);
    printf("prove: %zu GPU%s, %zu module%s%s, driver %s (CUDA %s)\n", r->n_devices,
           r->n_devices == 1 ? "" : "s", r->n_modules, r->n_modules == 1 ? "" : "s", kl,
           gm_driver_version_is_set(&r->node.driver) ? gm_driver_version_str(&r->node.driver, b)
                                                      : "unknown",
           r->node.has_cuda_driver ? gm_cuda_version_str(&r->node.cuda_driver, c) : "unknown");
    for (size_t d = 0; d < r->n_devices; d++) {
        const gm_prove_device *pd = &r->devices[d];
        const gm_device *nd = &r->node.devices[d];
        printf("GPU %d %s (cc %s, %s): predicted %s, proven %s%s\n", pd->ordinal,
               nd->name ? nd->name : "-", gm_cc_str(&nd->cc, b), nd->uuid ? nd->uuid : "-",
               pd->predicted_ok ? "fits" : "does not fit",
               pd->ctx_code ? "nothing (no context)"
               : !pd->complete ? "incomplete"
               : pd->proven_ok ? "fits"
                               : "does not fit",
               pd->disagree ? "   <<< DISAGREEMENT" : "");
        if (pd->ctx_code)
            printf("  context: cuDevicePrimaryCtxRetain failed: %s (%d)\n",
                   pd->ctx_error ? pd->ctx_error : "?", pd->ctx_code);
        for (size_t i = 0; i < r->n_modules; i++) {
            const gm_prove_module *m = &r->modules[i];
            printf("  %zu %s [%s]", i, m->name, m->targets ? m->targets : "");
            if (m->kernel_less) {
                printf(": kernel-less, not required (defines no kernel): not loaded\n");
                continue;
            }
            printf("%s%s: ", m->optional ? " optional" : "",
                   m->library_union ? " (any module loads)" : "");
            print_load(r, m, &m->loads[d]);
        }
    }
    printf("summary: %zu loads (%zu JIT, %zu failed), %zu sampled, %zu skipped%s, %.2f s; "
           "%zu disagreement%s\n",
           r->n_loads, r->n_jit, r->n_failed, r->n_sampled, r->n_skipped,
           r->budget_expired ? " (budget spent)" : "", r->seconds, r->n_disagree,
           r->n_disagree == 1 ? "" : "s");
    if (!r->full_ok)
        for (size_t i = 0; i < r->full_reasons.n; i++)
            printf("note: the full verdict also says: %s\n", r->full_reasons.items[i]);
    for (size_t i = 0; i < r->notes.n; i++)
        printf("note: %s\n", r->notes.items[i]);
}

/* One stderr line per disagreement: the evidence for a rules bug report. */
static void shout(const gm_prove_report *r) {
    char b[GM_VERSION_STR_MAX];
    for (size_t d = 0; d < r->n_devices; d++) {
        const gm_device *nd = &r->node.devices[d];
        for (size_t i = 0; i < r->n_modules; i++) {
            const gm_prove_load *l = &r->modules[i].loads[d];
            if (!l->disagree || r->modules[i].library_union)
                continue;
            gm_cli_errorf("prove", "DISAGREEMENT: GPU %zu (cc %s): %s [%s]: predicted %s, "
                          "driver %s%s%s%s%s", d, gm_cc_str(&nd->cc, b), r->modules[i].name,
                          r->modules[i].targets, gm_prove_how_name(l->predicted),
                          gm_prove_how_name(l->proven), l->error_name ? " " : "",
                          l->error_name ? l->error_name : "", l->log ? ": " : "",
                          l->log ? l->log : "");
        }
        if (r->devices[d].disagree && !r->devices[d].n_disagree)
            gm_cli_errorf("prove", "DISAGREEMENT: GPU %zu: predicted %s, proven %s", d,
                          r->devices[d].predicted_ok ? "fits" : "does not fit",
                          r->devices[d].proven_ok ? "fits" : "does not fit");
    }
}

int gm_cli_prove(int argc, char **argv) {
    static const struct option lo[] = {{"json", no_argument, 0, 'j'},
                                       {"gpus", required_argument, 0, 'g'},
                                       {"budget", required_argument, 0, 'b'},
                                       {"sample", no_argument, 0, 's'},
                                       {"jit-cache", required_argument, 0, 'c'},
                                       {"output", required_argument, 0, 'o'},
                                       {"out", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    gm_prove_opts o;
    memset(&o, 0, sizeof o);
    bool json = false;
    const char *out = NULL;
    int c;
    gm_cli_args ga = {.verb = "prove", .shortopts = "jo:h", .longopts = lo};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'g': o.gpus = optarg; break;
        case 's': o.sample = true; break;
        case 'c': o.jit_cache = optarg; break;
        case 'o': out = optarg; break;
        case 'b': {
            char *e;
            o.budget_s = strtod(optarg, &e);
            if (e == optarg || *e || !(o.budget_s > 0) || o.budget_s > 1e6) {
                gm_cli_errorf("prove", "--budget: '%s' is not a number of seconds > 0", optarg);
                return GM_EXIT_INPUT;
            }
            break;
        }
        case 'h': usage(stdout); return GM_EXIT_OK;
        default: return GM_EXIT_INPUT;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return GM_EXIT_INPUT;
    }
    /* A missing target is bad input (2), not a missing driver (3). */
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            gm_cli_errorf("prove", "%s: no such file or directory", argv[i]);
            return GM_EXIT_INPUT;
        }
    }
    if (o.jit_cache) {
        struct stat st;
        if (stat(o.jit_cache, &st) != 0 || !S_ISDIR(st.st_mode)) {
            gm_cli_errorf("prove", "--jit-cache: %s is not a directory", o.jit_cache);
            return GM_EXIT_INPUT;
        }
    }
    return gm_cli_prove_run((const char *const *)argv + optind, (size_t)(argc - optind), &o, json,
                            out);
}

int gm_cli_prove_run(const char *const *paths, size_t n, const gm_prove_opts *po, bool json,
                     const char *out) {
    gm_prove_opts o = *po;
    gm_prove_report r;
    gm_error err = {0};
    int rc = gm_prove(paths, n, &o, &r, &err);
    if (rc < 0) {
        gm_cli_error("prove", &err);
        gm_prove_report_free(&r);
        return gm_cli_exit_for(rc);
    }
    int ex = GM_EXIT_OK;
    if (json) {
        char *text = gm_prove_report_json(&r, &err);
        if (!text) {
            gm_cli_error("prove", &err);
            gm_prove_report_free(&r);
            return GM_EXIT_INPUT;
        }
        ex = gm_cli_output("prove", out, text);
        free(text);
    } else {
        print_text(&r);
    }
    fflush(stdout);
    shout(&r);
    if (ex == GM_EXIT_OK) {
        bool incomplete = false, unfit = false;
        for (size_t d = 0; d < r.n_devices; d++) {
            incomplete |= !r.devices[d].complete || r.devices[d].ctx_code;
            unfit |= r.devices[d].complete && !r.devices[d].proven_ok;
        }
        ex = r.n_disagree ? EXIT_DISAGREE : incomplete ? EXIT_INCOMPLETE
                                        : unfit        ? GM_EXIT_NO
                                                       : GM_EXIT_OK;
    }
    gm_prove_report_free(&r);
    return ex;
}
