/* Document kind from the fields only one kind has (src/node.c and
 * src/require.c list the fields each parser accepts). */
#include <string.h>
#include <jansson.h>
#include "gpumatch/doc.h"

static const char *const node_fields[] = {"devices", "driver_version", "cuda_driver_version",
                                          "hostname", "instance_type", "nodes", NULL};
static const char *const req_fields[] = {
    "min_driver", "cuda_runtime", "min_cuda_driver", "cubin", "ptx", "ptx_isa", "modules",
    "min_compute_capability", "compute_capabilities", "device_count", "min_memory_mib",
    "nvidia_require", "entry_points", "device_code", "requests", "runtime_constraints", NULL};

static const char *first_of(const json_t *o, const char *const *fields) {
    for (const char *const *f = fields; *f; f++)
        if (json_object_get(o, *f))
            return *f;
    return NULL;
}

gm_doc_kind gm_doc_kind_of(const char *text, size_t len, const char **field) {
    json_t *j = json_loadb(text, len, 0, NULL);
    const json_t *o = json_is_array(j) ? json_array_get(j, 0) : j;
    gm_doc_kind k = GM_DOC_UNKNOWN;
    const char *f = NULL;
    if (json_is_object(o)) {
        /* the two kinds share no field: the order does not change the answer */
        if ((f = first_of(o, req_fields)))
            k = GM_DOC_REQUIREMENT;
        else if ((f = first_of(o, node_fields)))
            k = GM_DOC_NODE;
    }
    json_decref(j);
    if (field)
        *field = f;
    return k;
}

const char *gm_doc_kind_name(gm_doc_kind k) {
    switch (k) {
    case GM_DOC_NODE: return "node document";
    case GM_DOC_REQUIREMENT: return "requirement document";
    default: return "document";
    }
}
