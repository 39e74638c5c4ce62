/* Helpers shared by the launch, driver-files and cdi verbs. */
#include "cli/launch_util.h"

#include <string.h>

#include "cli/cli.h"
#include "gpumatch/probe.h"

int gm_cli_load_nodes_pick(const char *verb, const gm_strlist *files, const char *host,
                           const char *root, gm_node *out, bool quiet) {
    gm_error err = {0};
    gm_node_init(out);
    if (files && files->n) {
        gm_node_list l = {0};
        int rc = GM_EXIT_OK;
        for (size_t i = 0; i < files->n && rc == GM_EXIT_OK; i++)
            rc = gm_cli_nodes_add(verb, files->items[i], &l);
        if (rc == GM_EXIT_OK)
            rc = gm_cli_pick_node(verb, &l, files->n == 1 ? files->items[0] : "--nodes", host, out);
        gm_node_list_free(&l);
        return rc;
    }
    if (host) {
        gm_cli_errorf(verb, "--host NAME picks a node of --nodes FILE; none given");
        return GM_EXIT_INPUT;
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

int gm_cli_load_node(const char *verb, const char *file, const char *root, gm_node *out,
                     bool quiet) {
    gm_strlist one = {0};
    if (file && gm_strlist_add(&one, file) < 0) {
        gm_cli_errorf(verb, "out of memory");
        return GM_EXIT_INPUT;
    }
    int rc = gm_cli_load_nodes_pick(verb, &one, NULL, root, out, quiet);
    gm_strlist_free(&one);
    return rc;
}

const char *gm_cli_node_driver(const gm_node *n, char *buf) {
    if (!gm_driver_version_is_set(&n->driver))
        return NULL;
    return gm_driver_version_str(&n->driver, buf);
}
