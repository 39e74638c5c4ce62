/* Node and requirement JSON parsers, and the printers on whatever parses. */
#include <stdint.h>
#include <stdlib.h>
#include "gpumatch/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_error err;
    gm_node_list nodes = {0};
    gm_requirement req;
    gm_requirement_list queue = {0};
    gm_requirement_init(&req);
    int n_ok = gm_node_list_parse((const char *)data, size, "fuzz", &nodes, &err) == 0;
    int r_ok = gm_requirement_parse((const char *)data, size, "fuzz", &req, &err) == 0;
    gm_requirement_list_parse((const char *)data, size, "fuzz", &queue, &err);
    if (n_ok)
        for (size_t i = 0; i < nodes.n; i++)
            free(gm_node_to_json(&nodes.nodes[i], &err));
    if (r_ok)
        free(gm_requirement_to_json(&req, &err));
    if (n_ok && r_ok)
        for (size_t i = 0; i < nodes.n; i++) {
            gm_verdict v;
            if (gm_match(&nodes.nodes[i], &req, &v, &err) == 0)
                gm_verdict_free(&v);
        }
    gm_requirement_list_free(&queue);
    gm_requirement_free(&req);
    gm_node_list_free(&nodes);
    return 0;
}
