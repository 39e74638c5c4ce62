/* Helpers shared by the launch, driver-files and cdi verbs. */
#include "cli/launch_util.h"

#include <string.h>

#include "cli/cli.h"
#include "gpumatch/probe.h"

int gm_cli_load_node(const char *verb, const char *file, const char *root, gm_node *out,
                     bool quiet) {
    gm_error err = {0};
    gm_node_init(out);
    if (file) {
        gm_node_list l = {0};
        if (gm_node_list_load(file, &l, &err) < 0) {
            gm_cli_error(verb, &err);
            return GM_EXIT_INPUT;
        }
        if (l.n != 1) {
            gm_cli_errorf(verb, "%s: holds %zu nodes; launch needs exactly one", file, l.n);
            gm_node_list_free(&l);
            return GM_EXIT_INPUT;
        }
        *out = l.nodes[0];
        memset(&l.nodes[0], 0, sizeof l.nodes[0]);
        gm_node_list_free(&l);
        return GM_EXIT_OK;
    }
    gm_probe_opts po = {.root = root};
    int rc = gm_probe(&po, out, &err);
    if (rc < 0) {
        if (!quiet)
            gm_cli_error(verb, &err);
        return gm_cli_exit_for(rc);
    }
    return GM_EXIT_OK;
}

const char *gm_cli_node_driver(const gm_node *n, char *buf) {
    if (!gm_driver_version_is_set(&n->driver))
        return NULL;
    return gm_driver_version_str(&n->driver, buf);
}
