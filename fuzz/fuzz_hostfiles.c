/* Small host-side text readers, one harness (byte 0 picks, mod 3) so CI pays
 * one fuzz budget for them:
 * 0  a fake system root written from up to five NUL-separated parts:
 *    /proc/driver/nvidia/version, /proc/devices,
 *    /etc/nvidia-container-runtime/config.toml and two
 *    /proc/driver/nvidia/gpus/BUS/information files, and, when there is a
 *    sixth part, CUDA_VISIBLE_DEVICES; probed with the procfs backend, then preflighted with the probed node and an image's
 *    NVIDIA_REQUIRE_CUDA (which reads config.toml's mode).
 * 1  an OCI runtime hook's state JSON and the bundle's config.json (NUL
 *    between), as `cdi ldconfig-hook` reads them; "@B" in the state stands
 *    for the private bundle directory, and a state naming any other bundle is
 *    not passed on (the reader would open BUNDLE/config.json on the host).
 * 2  `scontrol show node -o` output, the fields the Slurm agent reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "fuzz_util.h"
#include "gpumatch/agent.h"
#include "gpumatch/cdi.h"
#include "gpumatch/preflight.h"
#include "gpumatch/probe.h"

static const char *const root_files[] = {
    "root/proc/driver/nvidia/version",
    "root/proc/devices",
    "root/etc/nvidia-container-runtime/config.toml",
    "root/proc/driver/nvidia/gpus/0000:01:00.0/information",
    "root/proc/driver/nvidia/gpus/0000:41:00.0/information",
};

static void sysroot(const uint8_t *data, size_t size) {
    const uint8_t *part[6];
    size_t len[6];
    size_t n = fz_split(data, size, part, len, 6);
    char root[300];
    for (size_t i = 0; i < 5; i++) {
        fz_put(root_files[i], i < n ? part[i] : NULL, i < n ? len[i] : 0);
        if (i >= 3 && i >= n) { /* no GPU directory either: inputs must not leak into the next */
            snprintf(root, sizeof root, "%s/%.*s", fz_dir,
                     (int)(strrchr(root_files[i], '/') - root_files[i]), root_files[i]);
            rmdir(root);
        }
    }
    snprintf(root, sizeof root, "%s/root", fz_dir);
    /* A sixth part is the job's CUDA_VISIBLE_DEVICES (the probe honours it). */
    char *cvd = n > 5 ? strndup((const char *)part[5], len[5]) : NULL;
    if (cvd)
        setenv("CUDA_VISIBLE_DEVICES", cvd, 1);
    free(cvd);
    gm_probe_opts po = {.backend = "procfs", .root = root, .visible = n > 5};
    gm_node node;
    gm_node_init(&node);
    gm_error err = {0};
    bool have = gm_probe(&po, &node, &err) == 0;
    gm_strlist env = {0};
    gm_strlist_add(&env, "NVIDIA_REQUIRE_CUDA=cuda>=12.0 brand=tesla");
    gm_strlist_add(&env, "CUDA_VERSION=12.2.0");
    gm_pf_opts o = {.root = root, .node = have ? &node : NULL, .image_env = &env};
    gm_pf_report r = {0};
    if (gm_preflight_run(&o, &r, &err) == 0)
        free(gm_pf_report_failures(&r));
    gm_pf_report_free(&r);
    gm_strlist_free(&env);
    gm_node_free(&node);
    unsetenv("CUDA_VISIBLE_DEVICES");
}

/* The bundle a state names must be the private one (or below it). */
static bool bundle_private(const char *state, size_t len, const char *dir) {
    json_t *j = json_loadb(state, len, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return true; /* the reader fails on the same JSON before opening anything */
    const char *b = json_string_value(json_object_get(j, "bundle"));
    size_t dl = strlen(dir);
    bool ok = !b || (!strncmp(b, dir, dl) && (!b[dl] || b[dl] == '/') && !strstr(b, "/.."));
    json_decref(j);
    return ok;
}

static void oci_state(const uint8_t *data, size_t size) {
    const uint8_t *part[2];
    size_t len[2];
    size_t n = fz_split(data, size, part, len, 2);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/bundle", fz_dir);
    fz_put("bundle/config.json", n > 1 ? part[1] : NULL, n > 1 ? len[1] : 0);
    /* "@B" -> the bundle directory (first occurrence) */
    size_t dl = strlen(dir), sl = len[0];
    char *state = malloc(sl + dl + 1);
    if (!state)
        return;
    const uint8_t *at = sl >= 2 ? memmem(part[0], sl, "@B", 2) : NULL;
    if (at) {
        size_t pre = (size_t)(at - part[0]);
        memcpy(state, part[0], pre);
        memcpy(state + pre, dir, dl);
        memcpy(state + pre + dl, at + 2, sl - pre - 2);
        sl += dl - 2;
    } else {
        memcpy(state, part[0], sl);
    }
    state[sl] = 0;
    if (bundle_private(state, sl, dir)) {
        char *rootfs = NULL;
        gm_error err = {0};
        gm_oci_state_rootfs(state, sl, &rootfs, &err);
        free(rootfs);
    }
    free(state);
}

static void scontrol_show(const uint8_t *data, size_t size) {
    char *show = strndup((const char *)data, size);
    if (!show)
        return;
    static const char *const fields[] = {"State", "Reason", "AvailableFeatures",
                                         "ActiveFeatures", "NodeName"};
    char big[1024], small[8];
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        gm_slurm_node_field(show, fields[i], big, sizeof big);
        gm_slurm_node_field(show, fields[i], small, sizeof small);
    }
    free(show);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_tmpdir("hostfiles");
    if (!size)
        return 0;
    switch (data[0] % 3) {
    case 0: sysroot(data + 1, size - 1); break;
    case 1: oci_state(data + 1, size - 1); break;
    default: scontrol_show(data + 1, size - 1); break;
    }
    return 0;
}
