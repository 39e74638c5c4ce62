/* gpumatch probe: discover this node's driver and GPUs, print the node document. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "gpumatch/condor_discovery.h"
#include "gpumatch/probe.h"
#include "gpumatch/io.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch probe [-j|--table|-f F] [--backend nvml|cuda|procfs|smi]\n"
            "                      [--from-smi FILE] [--root DIR] [--visible] [--cross-check]\n"
            "                      [--allow-empty] [-o FILE]\n"
            "                      [--watch SECONDS -o FILE [--watch-count N]]\n"
            "Prints this node's driver and GPUs as a node document (JSON by default).\n"
            "  -o, --output FILE  write the document there (atomically); --out is the same\n"
            "  -f, --format F  json (-j, --json), table, condor-discovery (condor_gpu_discovery -properties,\n"
            "                  nested ads) or condor-discovery-flat (its -not-nested form)\n"
            "  --backend B     use only B (default: NVML, then libcuda, then /proc, then nvidia-smi)\n"
            "  --from-smi FILE parse recorded `nvidia-smi -q -x` output instead of probing\n"
            "  --root DIR      read /proc under DIR (a fake or mounted tree)\n"
            "  --visible       keep only GPUs named by NVIDIA_VISIBLE_DEVICES/CUDA_VISIBLE_DEVICES\n"
            "  --cross-check   also ask libcuda and report disagreements (slower: cuInit)\n"
            "  --allow-empty   print a node without GPUs instead of failing with exit 3\n"
            "  --watch S       re-probe every S seconds; rewrite --out (atomically) on change;\n"
            "                  stops on SIGTERM/SIGINT or after --watch-count probes\n"
            "Library overrides: GPUMATCH_NVML_PATH, GPUMATCH_CUDA_PATH, GPUMATCH_NVIDIA_SMI.\n"
            "here: 3 also for a broken driver library\n");
    gm_cli_exit_help(f);
}

static void table(const gm_node *n, const char *backend, FILE *f) {
    char b1[GM_VERSION_STR_MAX], b2[GM_VERSION_STR_MAX];
    fprintf(f, "host %s  driver %s  cuda %s  (from %s)\n", n->hostname ? n->hostname : "-",
            gm_driver_version_is_set(&n->driver) ? gm_driver_version_str(&n->driver, b1) : "-",
            n->has_cuda_driver ? gm_cuda_version_str(&n->cuda_driver, b2) : "-",
            backend ? backend : "-");
    fprintf(f, "%-3s %-5s %-10s %-16s %-10s %-40s %s\n", "IDX", "CC", "MEMORY", "PCI", "BRAND",
            "UUID", "NAME");
    for (size_t i = 0; i < n->n_devices; i++) {
        const gm_device *d = &n->devices[i];
        char mem[32] = "-", cc[GM_VERSION_STR_MAX] = "-";
        if (d->memory_mib >= 0) snprintf(mem, sizeof mem, "%ld MiB", d->memory_mib);
        if (d->cc.major > 0) gm_cc_str(&d->cc, cc);
        fprintf(f, "%-3d %-5s %-10s %-16s %-10s %-40s %s\n", d->index, cc, mem,
                d->pci_bus_id ? d->pci_bus_id : "-", d->brand ? d->brand : "-",
                d->uuid ? d->uuid : "-", d->name ? d->name : "-");
        if (d->mig_mode == GM_MIG_ENABLED || d->n_mig)
            fprintf(f, "    MIG %s, %zu instance(s)\n", gm_mig_mode_str(d->mig_mode), d->n_mig);
        for (size_t k = 0; k < d->n_mig; k++) {
            const gm_mig_instance *m = &d->mig[k];
            fprintf(f, "    %zu: gi %d ci %d  %s  %ld MiB  %s\n", k, m->gi, m->ci,
                    m->profile ? m->profile : "-", m->memory_mib, m->uuid ? m->uuid : "-");
        }
    }
}

typedef struct {
    gm_probe_opts o;
    bool as_table, allow_empty;
    int condor; /* 1 nested, 2 not nested */
} args;

/* Probes once. Returns an exit code; *text gets the document on success. */
static int probe_once(const args *a, char **text, bool quiet_notes) {
    gm_node n;
    gm_error err = {0};
    gm_strlist notes = {0};
    const char *used = NULL;
    gm_node_init(&n);
    int rc = gm_probe_ex(&a->o, &n, &notes, &used, &err);
    if (!quiet_notes)
        for (size_t i = 0; i < notes.n; i++) gm_cli_errorf("probe", "note: %s", notes.items[i]);
    gm_strlist_free(&notes);
    if ((rc == GM_ENODRIVER || rc == GM_EABSENT) && a->allow_empty) {
        gm_node_free(&n);
        gm_node_init(&n);
        char h[256];
        if (!a->o.smi_file && gethostname(h, sizeof h) == 0) {
            h[sizeof h - 1] = 0;
            n.hostname = strdup(h);
        }
        rc = 0;
    } else if (rc < 0) {
        gm_cli_error("probe", &err);
        gm_node_free(&n);
        return gm_cli_exit_for(rc);
    } else if (n.n_devices == 0 && !a->allow_empty) {
        char b[GM_VERSION_STR_MAX];
        gm_cli_errorf("probe", "no NVIDIA GPU found (driver %s, via %s); --allow-empty prints the "
                               "node anyway",
                      gm_driver_version_is_set(&n.driver) ? gm_driver_version_str(&n.driver, b)
                                                          : "unknown",
                      used ? used : "?");
        gm_node_free(&n);
        return GM_EXIT_ENV;
    }
    if (a->condor) {
        if (gm_condor_discovery(&n, a->condor == 1, text, &err) < 0) {
            gm_cli_error("probe", &err);
            gm_node_free(&n);
            return GM_EXIT_INPUT;
        }
    } else if (a->as_table) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) {
            gm_node_free(&n);
            gm_cli_errorf("probe", "out of memory");
            return GM_EXIT_INPUT;
        }
        table(&n, used, f);
        fclose(f);
        *text = buf;
    } else {
        *text = gm_node_to_json(&n, &err);
        if (!*text) {
            gm_cli_error("probe", &err);
            gm_node_free(&n);
            return GM_EXIT_INPUT;
        }
    }
    gm_node_free(&n);
    return GM_EXIT_OK;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static int watch(const args *a, double secs, long count, const char *out) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the sleep must end early */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    char *last = NULL;
    size_t len = 0;
    gm_error err = {0};
    if (gm_read_file(out, GM_MAX_DOC_BYTES, &last, &len, &err) < 0) last = NULL;
    int rc = GM_EXIT_OK;
    for (long i = 0; !stop_flag && (count <= 0 || i < count); i++) {
        char *text = NULL;
        /* Notes only when the document changes, so a steady state logs nothing. */
        int prc = probe_once(a, &text, true);
        if (prc == GM_EXIT_OK && (!last || strcmp(last, text))) {
            if (gm_write_file_atomic(out, text, strlen(text), &err) < 0) {
                gm_cli_error("probe", &err);
                free(text);
                rc = GM_EXIT_INPUT;
                break;
            }
            free(last);
            last = text;
        } else {
            free(text);
        }
        rc = prc;
        if (stop_flag || (count > 0 && i + 1 >= count)) break;
        struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_flag) {}
    }
    free(last);
    /* A stop by signal is the normal end of a node agent. */
    return stop_flag ? GM_EXIT_OK : rc;
}

int gm_cli_probe(int argc, char **argv) {
    args a;
    memset(&a, 0, sizeof a);
    const char *out = NULL;
    double secs = -1;
    long count = 0;
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"table", no_argument, 0, 'T'},
                                         {"format", required_argument, 0, 'f'},
                                         {"visible", no_argument, 0, 'v'},
                                         {"allow-empty", no_argument, 0, 'E'},
                                         {"cross-check", no_argument, 0, 'X'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"from-smi", required_argument, 0, 's'},
                                         {"root", required_argument, 0, 'R'},
                                         {"output", required_argument, 0, 'o'},
                                         {"out", required_argument, 0, 'o'},
                                         {"watch", required_argument, 0, 'w'},
                                         {"watch-count", required_argument, 0, 'W'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gm_cli_args ga = {.verb = "probe", .shortopts = "jf:o:h", .longopts = opts};
    int c;
    char *end;
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return GM_EXIT_OK;
        case 'j': a.as_table = false; a.condor = 0; break;
        case 'T': a.as_table = true; a.condor = 0; break;
        case 'f':
            a.as_table = !strcmp(optarg, "table");
            a.condor = !strcmp(optarg, "condor-discovery") ? 1 : !strcmp(optarg, "condor-discovery-flat") ? 2 : 0;
            if (!a.as_table && !a.condor && strcmp(optarg, "json")) {
                gm_cli_errorf("probe", "--format wants json, table, condor-discovery or "
                                       "condor-discovery-flat, got '%s'", optarg);
                return GM_EXIT_INPUT;
            }
            break;
        case 'v': a.o.visible = true; break;
        case 'E': a.allow_empty = true; break;
        case 'X': a.o.cross_check = true; break;
        case 'b': a.o.backend = optarg; break;
        case 's': a.o.smi_file = optarg; break;
        case 'R': a.o.root = optarg; break;
        case 'o': out = optarg; break;
        case 'w':
            secs = strtod(optarg, &end);
            if (*end || end == optarg || !(secs >= 0.01 && secs <= 86400)) {
                gm_cli_errorf("probe", "--watch wants seconds between 0.01 and 86400, got '%s'",
                              optarg);
                return GM_EXIT_INPUT;
            }
            break;
        case 'W':
            count = strtol(optarg, &end, 10);
            if (*end || end == optarg || count < 1) {
                gm_cli_errorf("probe", "--watch-count wants a positive integer, got '%s'", optarg);
                return GM_EXIT_INPUT;
            }
            break;
        default: return GM_EXIT_INPUT;
        }
    }
    if (optind < argc) {
        gm_cli_errorf("probe", "unexpected argument '%s'", argv[optind]);
        return GM_EXIT_INPUT;
    }
    if (secs > 0 && !out) {
        gm_cli_errorf("probe", "--watch needs -o FILE");
        return GM_EXIT_INPUT;
    }
    if (count && secs < 0) {
        gm_cli_errorf("probe", "--watch-count needs --watch");
        return GM_EXIT_INPUT;
    }
    if (secs > 0) return watch(&a, secs, count, out);
    char *text = NULL;
    int rc = probe_once(&a, &text, false);
    if (rc != GM_EXIT_OK) return rc;
    rc = gm_cli_output("probe", out, text);
    free(text);
    return rc;
}
