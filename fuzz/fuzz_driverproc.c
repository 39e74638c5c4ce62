/* libFuzzer target: /proc/driver/nvidia/version parsing (driver files). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpumatch/driverfiles.h"
#include "gpumatch/sys/driverfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1), buf[32];
    gm_error err;
    unsigned caps;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    (void)gm_driver_version_from_proc(text, buf, sizeof buf, "fuzz", &err);
    (void)gm_driver_caps_parse(text, &caps, &err);
    free(text);
    return 0;
}
