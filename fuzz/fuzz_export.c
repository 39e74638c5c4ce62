/* Fuzz the exporters (and plan) through the documents they read: a
 * requirement (NVIDIA_REQUIRE_* strings are re-read by the export summary) or
 * a node list, exported to every format; nodes also planned against the
 * requirement. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/export.h"
#include "gpumatch/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_error err = {0};
    gm_requirement r;
    gm_requirement_init(&r);
    gm_node_list nodes = {0};
    bool have_req = gm_requirement_parse((const char *)data, size, "fuzz", &r, &err) == 0;
    bool have_nodes = gm_node_list_parse((const char *)data, size, "fuzz", &nodes, &err) == 0;
    for (int f = 0; f < 5; f++) {
        char *out = NULL;
        gm_strlist notes = {0};
        if (have_req && gm_export_requirement((gm_export_format)f, &r, &out, &notes, &err) == 0)
            free(out);
        gm_strlist_free(&notes);
        for (size_t i = 0; have_nodes && i < nodes.n && i < 4; i++) {
            out = NULL;
            if (gm_export_node((gm_export_format)f, &nodes.nodes[i], &out, &notes, &err) == 0) free(out);
            gm_strlist_free(&notes);
        }
    }
    if (have_nodes) {
        /* the same document as a one-request queue against itself */
        gm_requirement_list q = {.items = have_req ? &r : NULL, .n = have_req ? 1 : 0};
        gm_plan p;
        if (nodes.n < 64 && gm_plan_run(&nodes, &q, NULL, &p, &err) == 0) {
            char *t = gm_plan_to_text(&nodes, &q, &p, &err);
            free(t);
            gm_plan_free(&p);
        }
    }
    gm_node_list_free(&nodes);
    gm_requirement_free(&r);
    return 0;
}
