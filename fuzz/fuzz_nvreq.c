/* NVIDIA_REQUIRE_* expressions: validate and evaluate arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gpumatch/nvreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    gm_error err;
    gm_node n;
    gm_device d;
    gm_node_init(&n);
    gm_device_init(&d);
    gm_driver_version_parse("535.104.05", &n.driver, NULL);
    d.cc.major = 8;
    d.brand = "tesla";
    n.devices = &d;
    n.n_devices = 1;
    bool ok;
    gm_strlist why = {0};
    gm_nvreq_validate(s, &err);
    gm_nvreq_eval(s, &n, &d, &ok, &why, &err);
    gm_strlist_free(&why);
    gm_strlist env = {0}, out = {0};
    gm_strlist_add(&env, s);
    gm_nvreq_from_env(&env, &out, &ok, &err);
    gm_strlist_free(&env);
    gm_strlist_free(&out);
    free(s);
    return 0;
}
