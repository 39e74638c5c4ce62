/* Helpers shared by the launch, driver-files and cdi verbs. */
#ifndef GM_CLI_LAUNCH_UTIL_H
#define GM_CLI_LAUNCH_UTIL_H

#include <stdbool.h>

#include "gpumatch/error.h"
#include "gpumatch/node.h"

/* The node: the one named host (or the single node) in the --nodes
 * arguments files (each a file, directory, glob or -), or, without files,
 * gm_probe() under root. Returns a CLI exit code; quiet: no message when
 * probing fails. */
int gm_cli_load_nodes_pick(const char *verb, const gm_strlist *files, const char *host,
                           const char *root, gm_node *out, bool quiet);
/* The same for one FILE (or NULL); the node: the single node in FILE (an error if it holds several), or,
 * without FILE, gm_probe() under root. Returns a CLI exit code; quiet: no
 * message when probing fails. */
int gm_cli_load_node(const char *verb, const char *file, const char *root, gm_node *out,
                     bool quiet);
/* The running driver version text of a node ("535.104.05"); buf of 32. */
const char *gm_cli_node_driver(const gm_node *n, char *buf);

#endif
