/* A program outside the tree using only the installed gpumatch: the umbrella
 * header, the version macros and function, and one match. A Tesla V100 is
 * compute capability 7.0 (NVIDIA, "CUDA GPUs - Compute Capability"), so a
 * requirement of 8.0 must not fit and one of 7.0 must. */
#include <stdio.h>
#include <string.h>
#include <gpumatch/gpumatch.h>

static const char node_doc[] =
    "{\"hostname\": \"v100\", \"driver_version\": \"535.104.05\", \"cuda_driver_version\": \"12.2\","
    " \"devices\": [{\"index\": 0, \"name\": \"Tesla V100-PCIE-16GB\", \"compute_capability\": \"7.0\","
    " \"memory_mib\": 16160}]}";

static int fits(const gm_node *node, const char *req_doc) {
    gm_requirement req;
    gm_verdict v;
    gm_error err;
    gm_requirement_init(&req);
    if (gm_requirement_parse(req_doc, strlen(req_doc), "req", &req, &err) < 0) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        return -1;
    }
    if (gm_match(node, &req, &v, &err) < 0) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        gm_requirement_free(&req);
        return -1;
    }
    int ok = v.ok;
    if (!ok && v.n_units > 0 && v.units[0].reasons.n > 0)
        printf("reason: %s\n", v.units[0].reasons.items[0]);
    gm_verdict_free(&v);
    gm_requirement_free(&req);
    return ok;
}

int main(void) {
    int major = -1, minor = -1, patch = -1;
    const char *s = gm_version(&major, &minor, &patch);
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", GPUMATCH_VERSION_MAJOR, GPUMATCH_VERSION_MINOR,
             GPUMATCH_VERSION_PATCH);
    if (major != GPUMATCH_VERSION_MAJOR || minor != GPUMATCH_VERSION_MINOR ||
        patch != GPUMATCH_VERSION_PATCH || strcmp(s, want) != 0) {
        fprintf(stderr, "consumer: header %s, library %s\n", want, s);
        return 1;
    }
    gm_node_list nodes = {0};
    gm_error err;
    if (gm_node_list_parse(node_doc, strlen(node_doc), "node", &nodes, &err) < 0 || nodes.n != 1) {
        fprintf(stderr, "consumer: node: %s\n", err.msg);
        return 1;
    }
    int no = fits(&nodes.nodes[0], "{\"min_compute_capability\": \"8.0\"}");
    int yes = fits(&nodes.nodes[0], "{\"min_compute_capability\": \"7.0\"}");
    gm_node_list_free(&nodes);
    if (no != 0 || yes != 1) {
        fprintf(stderr, "consumer: cc 8.0 fits=%d (want 0), cc 7.0 fits=%d (want 1)\n", no, yes);
        return 1;
    }
    printf("gpumatch %s: ok\n", s);
    return 0;
}
