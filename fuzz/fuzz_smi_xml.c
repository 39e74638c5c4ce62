/* Fuzz the `nvidia-smi -q -x` parser: any bytes must give a node or a clear
 * error, never a crash, leak or an external fetch. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <libxml/parser.h>
#include "gpumatch/probe.h"

static void quiet(void *ctx, const char *msg, ...) {
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) {
        xmlSetGenericErrorFunc(NULL, quiet);
        init = 1;
    }
    gm_node n;
    gm_error err = {0};
    gm_node_init(&n);
    if (gm_probe_parse_smi_xml((const char *)data, size, "fuzz.xml", &n, &err) == 0) {
        char *s = gm_node_to_json(&n, &err);
        free(s);
    }
    gm_node_free(&n);
    return 0;
}
