/* gpumatch launch: check, pick GPUs by UUID, build the runtime's argv, exec it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/prove.h"
#include "cli/launch_util.h"
#include "gpumatch/cdi.h"
#include "gpumatch/launch.h"

#include "gpumatch/preflight.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch launch --runtime docker|podman|singularity|apptainer\n"
            "         -r REQ [-n NODES [--host NAME]] [--root DIR] [--driver-root DIR]\n"
            "         [--gpus N|all]\n"
            "         [--capabilities LIST] [--image-env KEY=VALUE]... [--program PATH]\n"
            "         [--no-preflight] [--dry-run | --engine-api] [--cdi auto|yes|no]\n"
            "         [--nvccli] IMAGE [-- CMD...]\n"
            "  picks compatible GPUs by UUID and execs the runtime (no shell);\n"
            "  -r, --require REQ: a requirement document, or a binary, directory, wheel or\n"
            "    image (inspected first; -q, --quiet: no progress line meanwhile);\n"
            "    --runtime has no short option\n"
            "  -n, --nodes NODES: node documents (file, directory, glob, -; --node is the\n"
            "    same); --host NAME picks that hostname's node, else they must hold one;\n"
            "    without --nodes this node is probed\n"
            "  --gpus all: every compatible GPU (MIG instances are not combined)\n"
            "  --dry-run prints the command, one shell-quoted argument per line;\n"
            "  --engine-api prints the Docker Engine API create body (DeviceRequests);\n"
            "  --cdi (docker): --device nvidia.com/gpu=ID when a CDI spec under ROOT/etc/cdi\n"
            "    or ROOT/var/run/cdi names the devices (auto), always (yes) or never (no);\n"
            "  --nvccli (singularity/apptainer): --nv --nvccli\n"
            "  before exec, preflight checks this host (--no-preflight skips it), the\n"
            "    driver's libraries under --driver-root when given (a driver container);\n"
            "  --prove TARGET then loads TARGET's modules on the picked GPUs (gpumatch prove)\n"
            "  and refuses with prove's exit code unless it is 0\n"
            "here: 0 started/printed, 1 refused (reasons on stderr)\n");
    gm_cli_exit_help(f);
}

static void print_quoted(const char *s) {
    char *q = gm_shell_quote(s);
    printf("%s\n", q ? q : "?");
    free(q);
}

/* Returns an exit code, or -1 to go on. */
static int run_preflight(const char *root, const char *driver_root, const gm_node *node,
                         const gm_strlist *image_env) {
    gm_pf_report rep = {0};
    gm_error err = {0};
    /* gm_preflight_for_launch's checks, with the driver root. */
    gm_pf_opts po = {.root = root, .driver_root = driver_root, .node = node, .image_env = image_env};
    if (gm_preflight_run(&po, &rep, &err) < 0) {
        gm_cli_error("launch", &err);
        return GM_EXIT_INPUT;
    }
    int rc = -1;
    for (size_t i = 0; i < rep.n; i++) {
        const gm_pf_result *r = &rep.items[i];
        if (r->status == GM_PF_WARN || r->status == GM_PF_FAIL)
            gm_cli_errorf("launch", "preflight %s: %s%s%s: %s", gm_pf_status_str(r->status),
                          r->id, r->subject ? " " : "", r->subject ? r->subject : "",
                          r->evidence ? r->evidence : "");
    }
    if (gm_pf_report_worst(&rep) == GM_PF_FAIL) {
        gm_cli_errorf("launch", "refused: preflight failed (--no-preflight to skip)");
        rc = GM_EXIT_NO;
    }
    gm_pf_report_free(&rep);
    return rc;
}

int gm_cli_launch(int argc, char **argv) {
    static const struct option opts[] = {{"runtime", required_argument, 0, 'T'},
                                         {"require", required_argument, 0, 'r'},
                                         {"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"host", required_argument, 0, 'H'},
                                         {"root", required_argument, 0, 'R'},
                                         {"driver-root", required_argument, 0, 'D'},
                                         {"gpus", required_argument, 0, 'g'},
                                         {"capabilities", required_argument, 0, 'c'},
                                         {"image-env", required_argument, 0, 'e'},
                                         {"program", required_argument, 0, 'p'},
                                         {"no-preflight", no_argument, 0, 'P'},
                                         {"prove", required_argument, 0, 'V'},
                                         {"dry-run", no_argument, 0, 'd'},
                                         {"engine-api", no_argument, 0, 'a'},
                                         {"cdi", required_argument, 0, 'C'},
                                         {"nvccli", no_argument, 0, 'N'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gm_launch_opts lo = {0};
    const char *root = NULL, *prove = NULL, *host = NULL, *driver_root = NULL;
    gm_strlist node_files = {0};
    gm_cli_reqs reqs = {0};
    bool dry = false, api = false, preflight = true, have_rt = false;
    int cdi_mode = 0; /* docker: 0 auto (a CDI spec naming the devices), 1 yes, -1 no */
    gm_strlist image_env = {0};
    gm_error err = {0};
    int c, rc = GM_EXIT_INPUT;
    gm_node node;
    gm_launch_plan plan = {0};
    gm_node_init(&node);
    /* '+': options end at IMAGE, so the container command is never parsed here. */
    gm_cli_args ga = {.verb = "launch", .shortopts = "+r:n:qh", .longopts = opts,
                      .repeatable = "ne"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'T':
            if (gm_runtime_parse(optarg, &lo.runtime, &err) < 0) {
                gm_cli_error("launch", &err);
                goto out;
            }
            have_rt = true;
            break;
        case 'r':
            if (gm_cli_require_add("launch", optarg, &reqs) != GM_EXIT_OK)
                goto out;
            break;
        case 'n': gm_strlist_add(&node_files, optarg); break;
        case 'H': host = optarg; break;
        case 'R': root = optarg; break;
        case 'D': driver_root = optarg; break;
        case 'g': {
            char *end;
            errno = 0;
            if (!strcmp(optarg, "all")) {
                lo.all_gpus = true;
                break;
            }
            lo.gpus = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || lo.gpus < 1 || lo.gpus > 1024) {
                gm_cli_errorf("launch", "--gpus: \"%s\" is not all or a count from 1 to 1024", optarg);
                goto out;
            }
            break;
        }
        case 'c': lo.capabilities = optarg; break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                gm_cli_errorf("launch", "--image-env: \"%s\" is not KEY=VALUE", optarg);
                goto out;
            }
            gm_strlist_add(&image_env, optarg);
            break;
        case 'p': lo.program = optarg; break;
        case 'P': preflight = false; break;
        case 'V': prove = optarg; break;
        case 'd': dry = true; break;
        case 'a': api = true; break;
        case 'C':
            if (!strcmp(optarg, "auto")) cdi_mode = 0;
            else if (!strcmp(optarg, "yes")) cdi_mode = 1;
            else if (!strcmp(optarg, "no")) cdi_mode = -1;
            else {
                gm_cli_errorf("launch", "--cdi: \"%s\" is not auto, yes or no", optarg);
                goto out;
            }
            break;
        case 'N': lo.nvccli = true; break;
        case 'q': gm_cli_quiet = true; break;
        case 'h': usage(stdout); rc = GM_EXIT_OK; goto out;
        default: goto out;
        }
    }
    if (!have_rt || !reqs.n) {
        gm_cli_errorf("launch", "need --runtime and --require REQ");
        goto out;
    }
    if (dry && api) {
        gm_cli_errorf("launch", "--dry-run and --engine-api exclude each other");
        goto out;
    }
    if (api && lo.runtime != GM_RT_DOCKER) {
        gm_cli_errorf("launch", "--engine-api is for --runtime docker");
        goto out;
    }
    if (optind >= argc) {
        gm_cli_errorf("launch", "no IMAGE given");
        goto out;
    }
    lo.image = argv[optind++];
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    else if (optind < argc) {
        gm_cli_errorf("launch", "put the container command after \"--\" (got '%s')",
                      argv[optind]);
        goto out;
    }
    lo.cmd = argv + optind;
    lo.n_cmd = (size_t)(argc - optind);
    lo.image_env = image_env.n ? &image_env : NULL;

    if (reqs.n > 1) {
        gm_cli_errorf("launch", "one requirement per container (got %zu)", reqs.n);
        goto out;
    }
    const gm_requirement *req = &reqs.items[0].req;
    rc = gm_cli_load_nodes_pick("launch", &node_files, host, root, &node, false);
    if (rc != GM_EXIT_OK)
        goto out;
    rc = GM_EXIT_INPUT;
    if (gm_launch_prepare(&node, req, &lo, &plan, &err) < 0) {
        gm_cli_error("launch", &err);
        goto out;
    }
    if (lo.runtime == GM_RT_DOCKER && plan.ok && cdi_mode >= 0 && !api) {
        /* The toolkit's cdi / jit-cdi modes refuse --gpus: with a spec naming
         * the picked devices, ask for them as CDI devices instead */
        char *spec = NULL;
        bool use = cdi_mode > 0 || gm_cdi_find_spec(root, &plan.ids, &spec, &err) == 1;
        if (use) {
            if (spec)
                gm_cli_errorf("launch", "note: CDI spec %s names the devices: --device "
                                        "nvidia.com/gpu=ID", spec);
            gm_launch_plan_free(&plan);
            lo.docker_cdi = true;
            if (gm_launch_prepare(&node, req, &lo, &plan, &err) < 0) {
                free(spec);
                gm_cli_error("launch", &err);
                goto out;
            }
        }
        free(spec);
    }
    for (size_t i = 0; i < plan.notes.n; i++)
        gm_cli_errorf("launch", "note: %s", plan.notes.items[i]);
    if (!plan.ok) {
        char line[4096] = "";
        size_t used = 0;
        for (size_t i = 0; i < plan.reasons.n && used < sizeof line; i++)
            used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? "; " : "",
                                     plan.reasons.items[i]);
        gm_cli_errorf("launch", "refused: %s", line);
        rc = GM_EXIT_NO;
        goto out;
    }
    /* Only a container about to start here needs this host checked; --dry-run and
     * --engine-api print a command that may run elsewhere. */
    if (preflight && !dry && !api) {
        int pf = run_preflight(root, driver_root, &node, lo.image_env);
        if (pf >= 0) {
            rc = pf;
            goto out;
        }
    }
    if (prove && !dry && !api) { /* on the GPUs the container will get */
        gm_prove_opts po = {0};
        char ids[4096] = "";
        for (size_t i = 0, used = 0; i < plan.ids.n && used < sizeof ids; i++)
            used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s", i ? "," : "",
                                     plan.ids.items[i]);
        po.gpus = ids;
        if ((rc = gm_cli_prove_run(&prove, 1, &po, false, NULL)) != GM_EXIT_OK) {
            gm_cli_errorf("launch", "refused: prove of %s exited %d", prove, rc);
            goto out;
        }
    }
    if (api) {
        char *s = gm_launch_engine_api_json(&plan, &lo, &err);
        rc = s ? gm_cli_output("launch", NULL, s) : GM_EXIT_INPUT;
        if (!s)
            gm_cli_error("launch", &err);
        free(s);
        goto out;
    }
    if (dry) {
        /* The runtime's own environment additions, as `env K=V ... PROGRAM`. */
        if (plan.env.n) {
            print_quoted("env");
            for (size_t i = 0; i < plan.env.n; i++)
                print_quoted(plan.env.items[i]);
        }
        for (size_t i = 0; i < plan.argv.n; i++)
            print_quoted(plan.argv.items[i]);
        rc = fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_INPUT;
        goto out;
    }
    for (size_t i = 0; i < plan.env.n; i++) {
        char *eq = strchr(plan.env.items[i], '=');
        *eq = 0;
        setenv(plan.env.items[i], eq + 1, 1);
        *eq = '=';
    }
    char **av = calloc(plan.argv.n + 1, sizeof *av);
    if (!av) {
        gm_cli_errorf("launch", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < plan.argv.n; i++)
        av[i] = plan.argv.items[i];
    fflush(NULL);
    execvp(av[0], av);
    gm_cli_errorf("launch", "cannot run %s: %s", av[0], strerror(errno));
    free(av);
    rc = errno == ENOENT ? GM_EXIT_ENV : GM_EXIT_INPUT;
out:
    gm_launch_plan_free(&plan);
    gm_cli_reqs_free(&reqs);
    gm_strlist_free(&node_files);
    gm_node_free(&node);
    gm_strlist_free(&image_env);
    return rc;
}
