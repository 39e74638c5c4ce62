/* gpumatch driver-files: the host files a GPU container needs, by capability. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/launch_util.h"
#include "gpumatch/driverfiles.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: gpumatch driver-files [--root DIR] [--driver-root DIR] [--capabilities LIST]\n"
            "                             [-n NODES [--host NAME]] [--driver-version VER]\n"
            "                             [--ldcache PATH] [-j | -f table|json] [-o FILE]\n"
            "  LIST: compute,utility,video,graphics or all (default compute,utility)\n"
            "  the driver version comes from --driver-version, the node document, or\n"
            "  ROOT/proc/driver/nvidia/version; only libraries of that version are listed,\n"
            "  other versions are reported as stale\n"
            "  --driver-root: libraries, binaries and firmware (and ld.so.cache) from there (a\n"
            "  driver container, e.g. /run/nvidia/driver); device nodes, IPC sockets and /proc\n"
            "  from --root\n"
            "  -n, --nodes NODES: the node document (file, directory, glob, -; --node is the\n"
            "  same), one node or --host NAME's\n"
            "  -j, --json; -f, --format table|json; -o, --output FILE (atomic)\n"
            "here: 3 also when libcuda, libnvidia-ml or a device node is missing\n");
    gm_cli_exit_help(f);
}

int gm_cli_driver_files(int argc, char **argv) {
    static const struct option opts[] = {{"root", required_argument, 0, 'R'},
                                         {"driver-root", required_argument, 0, 'D'},
                                         {"capabilities", required_argument, 0, 'c'},
                                         {"nodes", required_argument, 0, 'n'},
                                         {"node", required_argument, 0, 'n'},
                                         {"host", required_argument, 0, 'H'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"driver-version", required_argument, 0, 'd'},
                                         {"ldcache", required_argument, 0, 'l'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    gm_driver_files_opts o = {0};
    const char *host = NULL, *out_path = NULL;
    gm_strlist node_files = {0};
    bool as_json = false;
    int fmt = -1;
    gm_error err = {0};
    int c;
    gm_cli_args ga = {.verb = "driver-files", .shortopts = "n:jf:o:h", .longopts = opts,
                      .repeatable = "n"};
    while ((c = gm_cli_getopt(&ga, argc, argv)) != -1) {
        switch (c) {
        case 'R': o.root = optarg; break;
        case 'D': o.driver_root = optarg; break;
        case 'c':
            if (gm_driver_caps_parse(optarg, &o.caps, &err) < 0) {
                gm_cli_error("driver-files", &err);
                return GM_EXIT_INPUT;
            }
            break;
        case 'n': gm_strlist_add(&node_files, optarg); break;
        case 'H': host = optarg; break;
        case 'o': out_path = optarg; break;
        case 'd': o.driver_version = optarg; break;
        case 'l': o.ldcache = optarg; break;
        case 'j':
        case 'f':
            if (gm_cli_format_set("driver-files", &fmt, c == 'j' ? "json" : optarg, GM_FMT_TJ)) {
                gm_strlist_free(&node_files);
                return GM_EXIT_INPUT;
            }
            as_json = fmt == GM_FMT_JSON;
            break;
        case 'h': gm_strlist_free(&node_files); usage(stdout); return GM_EXIT_OK;
        default: gm_strlist_free(&node_files); return GM_EXIT_INPUT;
        }
    }
    if (optind < argc) {
        gm_cli_errorf("driver-files", "unexpected argument '%s'", argv[optind]);
        gm_strlist_free(&node_files);
        return GM_EXIT_INPUT;
    }
    gm_node node;
    char vbuf[32];
    gm_node_init(&node);
    if (node_files.n || host) {
        int rc = gm_cli_load_nodes_pick("driver-files", &node_files, host, o.root, &node, false);
        gm_strlist_free(&node_files);
        if (rc != GM_EXIT_OK)
            return rc;
        if (!o.driver_version)
            o.driver_version = gm_cli_node_driver(&node, vbuf);
    }
    gm_strlist_free(&node_files);
    gm_driver_files f;
    int st = gm_driver_files_find(&o, &f, &err);
    gm_node_free(&node);
    if (st < 0) {
        gm_cli_error("driver-files", &err);
        return gm_cli_exit_for(st);
    }
    for (size_t i = 0; i < f.warnings.n; i++)
        gm_cli_errorf("driver-files", "warning: %s", f.warnings.items[i]);
    int rc = GM_EXIT_OK;
    gm_cli_redirect to_file;
    if (as_json) {
        char *s = gm_driver_files_to_json(&f, &err);
        rc = s ? gm_cli_output("driver-files", out_path, s) : GM_EXIT_INPUT;
        if (!s)
            gm_cli_error("driver-files", &err);
        free(s);
    } else if ((rc = gm_cli_stdout_begin("driver-files", out_path, &to_file)) == GM_EXIT_OK) {
        printf("driver %s (from %s), ld.so.cache %s (%s)\n", f.driver_version, f.driver_source,
               f.ldcache_path, f.ldcache_format);
        if (f.driver_root)
            printf("libraries, binaries and firmware under %s; devices and IPC under %s\n",
                   f.driver_root, f.root);
        printf("%-9s %-9s %s\n", "KIND", "CAP", "PATH");
        for (size_t i = 0; i < f.n; i++) {
            const gm_driver_file *d = &f.files[i];
            printf("%-9s %-9s %s", gm_df_kind_name(d->kind), gm_driver_cap_name(d->cap), d->path);
            if (d->soname && strcmp(d->soname, strrchr(d->path, '/') + 1) != 0)
                printf(" (%s)", d->soname);
            if (d->kind == GM_DF_BINARY && d->link && strcmp(d->link, d->path) != 0)
                printf(" (as %s)", d->link);
            if (d->kind == GM_DF_DEVICE) {
                if (d->is_char_device)
                    printf(" (char %ld:%ld)", d->major, d->minor);
                else
                    printf(" (regular file, not a device node)");
            }
            printf("\n");
        }
        for (size_t i = 0; i < f.n_stale; i++)
            printf("stale     %-9s %s (%s): %s\n", "-", f.stale[i].path, f.stale[i].soname,
                   f.stale[i].reason);
        for (size_t i = 0; i < f.missing.n; i++)
            printf("missing   %-9s %s\n", "-", f.missing.items[i]);
        rc = gm_cli_stdout_end("driver-files", &to_file, true);
    }
    if (rc == GM_EXIT_OK && f.missing.n)
        rc = GM_EXIT_ENV;
    gm_driver_files_free(&f);
    return rc;
}
