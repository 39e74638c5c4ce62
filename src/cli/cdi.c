/* gpumatch cdi generate: a CDI spec for this node's GPUs.
 * gpumatch cdi ldconfig-hook: the createContainer hook the spec names when
 * nvidia-ctk is absent; refreshes the container's ld.so.cache. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/launch_util.h"
#include "gpumatch/cdi.h"
#include "gpumatch/driverfiles.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch cdi generate [--root DIR] [--driver-root DIR] [--node NODE.json]\n"
            "                             [--capabilities LIST] [--output FILE]\n"
            "       gpumatch cdi ldconfig-hook --folder DIR... < OCI-STATE   (runtime hook)\n"
            "  generate writes the spec to FILE atomically (e.g. " GM_CDI_DEFAULT_PATH
            ")\n"
            "  or to standard output; GPUs come from NODE.json or the probe\n"
            "  --driver-root: libraries and binaries from there (a driver container, e.g.\n"
            "  /run/nvidia/driver), device nodes from the host --root\n"
            "here: 3 also when no GPU device node is found\n");
    gm_cli_exit_help(f);
}

static int generate(int argc, char **argv) {
    static const struct option opts[] = {{"root", required_argument, 0, 'R'},
                                         {"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"driver-root", required_argument, 0, 'D'},
                                         {"capabilities", required_argument, 0, 'c'},
                                         {"output", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gm_driver_files_opts o = {0};
    const char *node_file = NULL, *output = NULL, *driver_root = NULL;
    gm_error err = {0};
    int c;
    gm_cli_args ga = {.verb = "cdi", .shortopts = "n:o:h", .longopts = opts};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'R': o.root = optarg; break;
        case 'n': node_file = optarg; break;
        case 'D': driver_root = optarg; break;
        case 'c':
            if (gm_driver_caps_parse(optarg, &o.caps, &err) < 0) {
                gm_cli_error("cdi", &err);
                return GM_EXIT_INPUT;
            }
            break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return GM_EXIT_OK;
        default: return GM_EXIT_INPUT;
        }
    }
    if (optind < argc) {
        gm_cli_errorf("cdi", "unexpected argument '%s'", argv[optind]);
        return GM_EXIT_INPUT;
    }
    gm_node node;
    char vbuf[32];
    int rc = gm_cli_load_node("cdi", node_file, o.root, &node, !node_file);
    bool have_node = rc == GM_EXIT_OK;
    if (node_file && !have_node)
        return rc;
    if (!have_node)
        gm_cli_errorf("cdi", "warning: no node document (probe unavailable or failed): devices "
                             "named by index only");
    else
        o.driver_version = gm_cli_node_driver(&node, vbuf);
    gm_driver_files f;
    o.driver_root = driver_root;
    int st = gm_driver_files_find(&o, &f, &err);
    if (st < 0) {
        gm_cli_error("cdi", &err);
        gm_node_free(&node);
        return gm_cli_exit_for(st);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
        self[n] = 0;
    gm_cdi_opts co = {.node = have_node ? &node : NULL, .hook_fallback = n > 0 ? self : NULL};
    gm_strlist warnings = {0};
    char *spec = gm_cdi_generate(&f, &co, &warnings, &err);
    for (size_t i = 0; i < f.warnings.n; i++)
        gm_cli_errorf("cdi", "warning: %s", f.warnings.items[i]);
    for (size_t i = 0; i < warnings.n; i++)
        gm_cli_errorf("cdi", "warning: %s", warnings.items[i]);
    if (!spec) {
        gm_cli_error("cdi", &err);
        rc = GM_EXIT_INPUT;
    } else {
        rc = gm_cli_output("cdi", output, spec);
    }
    free(spec);
    gm_strlist_free(&warnings);
    gm_driver_files_free(&f);
    gm_node_free(&node);
    return rc;
}

/* OCI hook: state JSON on stdin names the bundle; its config.json names the
 * rootfs; ldconfig -r ROOTFS FOLDER... rebuilds the container's cache inside
 * a chroot, so links in the container cannot reach the host. */
static int ldconfig_hook(int argc, char **argv) {
    gm_strlist folders = {0};
    gm_error err = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--folder") == 0 && i + 1 < argc && argv[i + 1][0] == '/')
            gm_strlist_add(&folders, argv[++i]);
        else {
            gm_cli_errorf("cdi", "ldconfig-hook: bad argument '%s' (want --folder /DIR)", argv[i]);
            gm_strlist_free(&folders);
            return GM_EXIT_INPUT;
        }
    }
    char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, stdin);
    buf[len] = 0;
    char *rootfs = NULL;
    int rc = GM_EXIT_INPUT;
    if (gm_oci_state_rootfs(buf, len, &rootfs, &err) < 0)
        goto fail;
    struct stat st;
    if (!rootfs || stat(rootfs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        gm_error_set(&err, GM_ENOTFOUND, "rootfs %s is not a directory", rootfs ? rootfs : "?");
        goto fail;
    }
    const char *ldconfig = access("/sbin/ldconfig", X_OK) == 0 ? "/sbin/ldconfig"
                                                               : "/usr/sbin/ldconfig";
    char **av = calloc(folders.n + 4, sizeof *av);
    if (!av)
        goto fail;
    av[0] = "ldconfig";
    av[1] = "-r";
    av[2] = rootfs;
    for (size_t i = 0; i < folders.n; i++)
        av[3 + i] = folders.items[i];
    fflush(NULL);
    execv(ldconfig, av);
    gm_error_set(&err, GM_ENOTFOUND, "cannot run %s", ldconfig);
    free(av);
    rc = GM_EXIT_ENV;
fail:
    gm_cli_error("cdi", &err);
    free(rootfs);
    gm_strlist_free(&folders);
    return rc;
}

int gm_cli_cdi(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "generate") == 0)
        return generate(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "ldconfig-hook") == 0)
        return ldconfig_hook(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return GM_EXIT_OK;
    }
    usage(stderr);
    return GM_EXIT_INPUT;
}
