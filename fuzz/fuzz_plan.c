/* plan documents: the bytes are an inventory and a queue separated by the
 * first NUL byte (seeds: samples/plan, joined); both are parsed, planned and
 * written as text and JSON (the streamed writers the CLI uses). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t nl = (size_t)(nul - data);
    gm_node_list nodes = {0};
    gm_requirement_list q = {0};
    gm_error err = {0};
    if (gm_node_list_parse((const char *)data, nl, "nodes", &nodes, &err) == 0 &&
        gm_requirement_list_parse((const char *)nul + 1, size - nl - 1, "queue", &q, &err) == 0 &&
        nodes.n < 256 && q.n < 256) {
        gm_plan p;
        if (gm_plan_run(&nodes, &q, NULL, &p, &err) == 0) {
            FILE *f = fopen("/dev/null", "w");
            if (f) {
                gm_plan_write_text(f, &nodes, &q, &p, &err);
                gm_plan_write_json(f, &nodes, &q, &p, &err);
                fclose(f);
            }
            free(gm_plan_to_json(&nodes, &q, &p, &err));
            gm_plan_free(&p);
        }
    }
    gm_requirement_list_free(&q);
    gm_node_list_free(&nodes);
    return 0;
}
