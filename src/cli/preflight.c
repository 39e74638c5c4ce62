/* gpumatch preflight: node states that break GPU containers, with fixes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/launch_util.h"
#include "cli/prove.h"
#include "gpumatch/agent.h"
#include "gpumatch/preflight.h"
#include "gpumatch/probe.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch preflight [--root DIR] [--driver-root DIR] [-n NODES [--host NAME]]\n"
            "                          [--image IMAGE] [-j | -f table|json] [-o FILE]\n"
            "  --root DIR     check the system tree under DIR (default /): /proc, /dev,\n"
            "                 /etc/ld.so.cache, /usr/local/cuda-*/compat\n"
            "  --driver-root DIR  the driver's ld.so.cache and libraries from DIR (a driver\n"
            "                 container, e.g. /run/nvidia/driver); the rest from --root\n"
            "  -n, --nodes F  node document (file, directory, glob, -; --node is the same):\n"
            "                 one node, or --host NAME's; default: probe this node\n"
            "  --image IMAGE  also check the image's NVIDIA_REQUIRE_*/CUDA_VERSION and its\n"
            "                 forward-compatibility libraries (directory, docker/OCI archive)\n"
            "  --ldcache FILE ld.so.cache to read (default DRIVER-ROOT/etc/ld.so.cache)\n"
            "  -j, --json     JSON report instead of the table (-f, --format table|json)\n"
            "  -o, --output FILE  write the report there (atomically)\n"
            "  --slurm-health as Slurm's HealthCheckProgram: drain this node (scontrol) with\n"
            "                 the failed check as reason; resume it when healthy, only if\n"
            "                 gpumatch drained it (recorded in --state-file, default\n"
            "                 /var/lib/gpumatch/slurm-health.state); --slurm-node NAME,\n"
            "                 --scontrol PATH override the node name and the command\n"

            "  --prove TARGET then load TARGET's modules on the GPUs (gpumatch prove); the\n"
            "                 exit code is prove's when preflight passed\n"
            "here: 0 no check failed (warnings allowed), 1 a check failed\n");
    gm_cli_exit_help(f);
}

/* One node: from --node, else from probe (procfs only under a fake root, so a
 * test tree is never mixed with this machine's NVML). */
static int load_node(const gm_strlist *node_files, const char *host, const char *root,
                     gm_node *node, bool *have, char *note, size_t notelen) {
    gm_error err = {0};
    *have = false;
    if (node_files->n || host) {
        int rc = gm_cli_load_nodes_pick("preflight", node_files, host, root, node, false);
        *have = rc == GM_EXIT_OK;
        return rc;
    }
    gm_probe_opts po;
    memset(&po, 0, sizeof po);
    po.root = root;
    if (root && *root && strcmp(root, "/"))
        po.backend = "procfs";
    gm_node_init(node);
    if (gm_probe(&po, node, &err) != 0) {
        gm_node_free(node);
        snprintf(note, notelen, "probe: %s", err.msg);
        return GM_EXIT_OK;
    }
    *have = true;
    return GM_EXIT_OK;
}

int gm_cli_preflight(int argc, char **argv) {
    static const struct option opts[] = {{"root", required_argument, 0, 'r'},
                                         {"nodes", required_argument, 0, 'n'},
                                         {"driver-root", required_argument, 0, 'D'},
                                         {"node", required_argument, 0, 'n'},
                                         {"host", required_argument, 0, 'H'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"image", required_argument, 0, 'i'},
                                         {"ldcache", required_argument, 0, 'l'},
                                         {"json", no_argument, 0, 'j'},
                                         {"prove", required_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {"slurm-health", no_argument, 0, 'S'},
                                         {"slurm-node", required_argument, 0, 'N'},
                                         {"state-file", required_argument, 0, 'F'},
                                         {"scontrol", required_argument, 0, 'C'},
                                         {0, 0, 0, 0}};
    const char *root = NULL, *image = NULL, *ldcache = NULL, *prove = NULL, *host = NULL;
    const char *out_path = NULL, *driver_root = NULL;
    gm_strlist node_files = {0};
    bool json = false, slurm = false;
    int fmt = -1;
    gm_slurm_health_opts sh = {NULL, NULL, "/var/lib/gpumatch/slurm-health.state"};
    int ch;
    gm_cli_args ga = {.verb = "preflight", .shortopts = "n:jf:o:h", .longopts = opts,
                      .repeatable = "n"};
    while ((ch = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (ch) {
        case 'r': root = optarg; break;
        case 'n': gm_strlist_add(&node_files, optarg); break;
        case 'H': host = optarg; break;
        case 'o': out_path = optarg; break;
        case 'D': driver_root = optarg; break;
        case 'i': image = optarg; break;
        case 'l': ldcache = optarg; break;
        case 'f':
            if (gm_cli_format_set("preflight", &fmt, optarg, GM_FMT_TJ)) {
                gm_strlist_free(&node_files);
                return GM_EXIT_INPUT;
            }
            json = fmt == GM_FMT_JSON;
            break;
        case 'j':
            if (gm_cli_format_set("preflight", &fmt, "json", GM_FMT_TJ)) {
                gm_strlist_free(&node_files);
                return GM_EXIT_INPUT;
            }
            json = true;
            break;
        case 'p': prove = optarg; break;
        case 'h': gm_strlist_free(&node_files); usage(stdout); return GM_EXIT_OK;
        case 'S': slurm = true; break;
        case 'N': sh.node = optarg; break;
        case 'F': sh.state_file = optarg; break;
        case 'C': sh.scontrol = optarg; break;
        default: gm_strlist_free(&node_files); return GM_EXIT_INPUT;
        }
    }
    if (optind != argc) {
        gm_cli_errorf("preflight", "unexpected argument '%s'", argv[optind]);
        gm_strlist_free(&node_files);
        return GM_EXIT_INPUT;
    }
    if (prove && json) {
        gm_cli_errorf("preflight", "--prove prints text; use `gpumatch prove --json` for JSON");
        gm_strlist_free(&node_files);
        return GM_EXIT_INPUT;
    }
    gm_node node;
    bool have_node = false;
    char note[GM_ERROR_MSG_MAX + 16] = "";
    int ex = load_node(&node_files, host, root, &node, &have_node, note, sizeof note);
    gm_strlist_free(&node_files);
    if (ex != GM_EXIT_OK)
        return ex;

    gm_pf_opts po;
    memset(&po, 0, sizeof po);
    po.root = root;
    po.node = have_node ? &node : NULL;
    po.image = image;
    po.ldcache = ldcache;
    po.driver_root = driver_root;
    gm_pf_report rep;
    memset(&rep, 0, sizeof rep);
    gm_error err = {0};
    int rc = gm_preflight_run(&po, &rep, &err);
    if (have_node)
        gm_node_free(&node);
    if (rc != 0) {
        gm_cli_error("preflight", &err);
        gm_pf_report_free(&rep);
        /* Errors here are about input (the image); 3 when its reader is missing. */
        return rc == GM_EUNSUPPORTED ? GM_EXIT_ENV : GM_EXIT_INPUT;
    }
    if (slurm) {
        gm_slurm_health_action act;
        char msg[1024];
        rc = gm_slurm_health(&sh, &rep, &act, msg, sizeof msg, &err);
        gm_pf_status w = gm_pf_report_worst(&rep);
        gm_pf_report_free(&rep);
        if (rc < 0) {
            gm_cli_error("preflight", &err);
            return GM_EXIT_ENV;
        }
        if (msg[0]) fprintf(stderr, "gpumatch preflight: %s\n", msg);
        return w == GM_PF_FAIL ? GM_EXIT_NO : GM_EXIT_OK;
    }
    char *text = json ? gm_pf_report_json(&rep, &err) : gm_pf_report_table(&rep, &err);
    gm_pf_status worst = gm_pf_report_worst(&rep);
    gm_pf_report_free(&rep);
    if (!text) {
        gm_cli_error("preflight", &err);
        return GM_EXIT_INPUT;
    }
    if (note[0])
        fprintf(stderr, "gpumatch preflight: note: %s; node checks skipped\n", note);
    ex = gm_cli_output("preflight", out_path, text);
    free(text);
    if (ex != GM_EXIT_OK)
        return ex;
    if (worst == GM_PF_FAIL)
        return GM_EXIT_NO;
    if (prove) {
        gm_prove_opts pro;
        memset(&pro, 0, sizeof pro);
        return gm_cli_prove_run(&prove, 1, &pro, false, NULL);
    }
    return GM_EXIT_OK;
}
