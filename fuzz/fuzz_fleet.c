/* Fuzz the fleet views through a node list: kinds, the matrix (with and
 * without a what-if on every node), every report format, the blocking line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/fleet.h"

static const char *const reqs[] = {
    "{\"min_driver\": \"525.60.13\", \"cubin\": [\"8.0\", \"9.0\"], \"ptx\": \"9.0\"}",
    "{\"cuda_runtime\": \"12.8\", \"ptx\": \"compute_75\", \"ptx_isa\": \"8.7\", \"min_memory_mib\": 20000}",
    "{\"cubin\": [\"sm_90\"], \"device_count\": 2, \"nvidia_require\": [\"cuda>=12.4 brand=tesla\"]}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gm_error err = {0};
    gm_node_list nodes = {0};
    if (gm_node_list_parse((const char *)data, size, "fuzz", &nodes, &err) < 0 || nodes.n > 256) {
        gm_node_list_free(&nodes);
        return 0;
    }
    gm_requirement r[3];
    char *names[3] = {"a", "b\x1b", "</script>"};
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        gm_requirement_init(&r[n]);
        if (gm_requirement_parse(reqs[i], strlen(reqs[i]), "req", &r[n], &err) == 0)
            n++;
    }
    gm_what_if wi = {.driver = "580.95.05", .pool = "*"};
    for (int pass = 0; pass < 2; pass++) {
        gm_matrix m;
        if (gm_matrix_run(&nodes, r, names, n, pass ? &wi : NULL, &m, &err) < 0)
            continue;
        char *s;
        if ((s = gm_matrix_to_text(&m, 0, &err))) free(s);
        if ((s = gm_matrix_to_text(&m, 30, &err))) free(s);
        if ((s = gm_matrix_to_json(&m, &err))) free(s);
        if ((s = gm_matrix_to_csv(&m, &err))) free(s);
        if ((s = gm_matrix_to_html(&m, "t<", &err))) free(s);
        gm_matrix_free(&m);
    }
    gm_node_kinds k;
    if (gm_node_kinds_build(&nodes, &k, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            char *line = NULL;
            if (gm_fleet_blocking(&nodes, &k, &r[i], &line, &err) == 0)
                free(line);
        }
        gm_node_kinds_free(&k);
    }
    for (size_t i = 0; i < n; i++)
        gm_requirement_free(&r[i]);
    gm_node_list_free(&nodes);
    return 0;
}
