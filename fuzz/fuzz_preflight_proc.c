/* Fuzz the /proc text parsers preflight reads from a (possibly hostile) root:
 * /proc/driver/nvidia/version and /proc/devices. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/preflight.h"
#include "gpumatch/sys/preflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Not NUL-terminated on purpose: the parsers take a length. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    char v[32];
    gm_error e;
    if (gm_pf_parse_nvrm(copy, size, v, sizeof v, &e) == 0 && strlen(v) >= sizeof v)
        abort();
    int m = gm_pf_proc_devices_major(copy, size, "nvidia-uvm");
    if (m < -1 || m >= 100000)
        abort();
    gm_pf_proc_devices_major(copy, size, "nvidia");
    free(copy);
    return 0;
}
