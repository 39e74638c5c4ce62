/* CDI documents, both directions. Even byte 0: `cdi generate` from a node
 * document (the rest up to the first NUL) over a private fake root whose
 * /proc/driver/nvidia-caps/mig-minors is the text after it (absent when there
 * is no NUL). Odd byte 0: launch's spec lookup, the rest written as
 * ROOT/etc/cdi/fuzz.json (byte 0 & 2: .yaml), searched for devices "0" and
 * "all" plus any name after a NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_util.h"
#include "gpumatch/cdi.h"
#include "gpumatch/driverfiles.h"

static const char nvrm[] =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n";

/* Device nodes as empty files (a fake root), the caps the MIG seeds name, and
 * the driver files found there once. */
static gm_driver_files *fake_root(void) {
    static gm_driver_files df;
    static int done;
    if (done)
        return &df;
    const char *root = fz_tmpdir("cdi");
    char p[64];
    fz_put("proc/driver/nvidia/version", nvrm, sizeof nvrm - 1);
    /* An empty new-format ld.so.cache (glibc's header, no entries): the spec
     * then has device nodes and no libraries. */
    static const char cache[48] = "glibc-ld.so.cache1.1";
    fz_put("etc/ld.so.cache", cache, sizeof cache);
    static const char *const nodes[] = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
                                        "nvidia-modeset", NULL};
    for (const char *const *n = nodes; *n; n++) {
        snprintf(p, sizeof p, "dev/%s", *n);
        fz_put(p, "", 0);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "dev/nvidia%d", i);
        fz_put(p, "", 0);
    }
    for (int i = 1; i < 140; i++) {
        snprintf(p, sizeof p, "dev/nvidia-caps/nvidia-cap%d", i);
        fz_put(p, "", 0);
    }
    gm_driver_files_opts o = {.root = root, .driver_version = "535.104.05"};
    gm_error err = {0};
    if (gm_driver_files_find(&o, &df, &err) < 0) {
        fprintf(stderr, "fuzz_cdi: fake root: %s\n", err.msg);
        abort();
    }
    done = 1;
    return &df;
}

static void generate(const uint8_t *data, size_t size) {
    gm_driver_files *df = fake_root();
    const uint8_t *part[2];
    size_t len[2];
    size_t n = fz_split(data, size, part, len, 2);
    fz_put("proc/driver/nvidia-caps/mig-minors", n > 1 ? part[1] : NULL, n > 1 ? len[1] : 0);
    gm_node_list nodes = {0};
    gm_error err = {0};
    if (gm_node_list_parse((const char *)part[0], len[0], "fuzz", &nodes, &err) == 0) {
        for (size_t i = 0; i < nodes.n && i < 2; i++) {
            gm_cdi_opts co = {.node = &nodes.nodes[i], .hook_fallback = i ? NULL : "/usr/bin/gpumatch"};
            gm_strlist warnings = {0};
            free(gm_cdi_generate(df, &co, &warnings, &err));
            gm_strlist_free(&warnings);
        }
    }
    gm_node_list_free(&nodes);
}

static void find_spec(bool yaml, const uint8_t *data, size_t size) {
    const char *root = fz_tmpdir("cdi");
    const uint8_t *part[2];
    size_t len[2];
    size_t n = fz_split(data, size, part, len, 2);
    fz_put(yaml ? "etc/cdi/fuzz.yaml" : "etc/cdi/fuzz.json", part[0], len[0]);
    fz_put(yaml ? "etc/cdi/fuzz.json" : "etc/cdi/fuzz.yaml", NULL, 0);
    gm_strlist names = {0};
    gm_strlist_add(&names, "0");
    gm_strlist_add(&names, "all");
    if (n > 1) {
        char *extra = strndup((const char *)part[1], len[1]);
        if (extra)
            gm_strlist_add(&names, extra);
        free(extra);
    }
    char *found = NULL;
    gm_error err = {0};
    gm_cdi_find_spec(root, &names, &found, &err);
    free(found);
    gm_strlist_free(&names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size)
        return 0;
    if (data[0] & 1)
        find_spec(data[0] & 2, data + 1, size - 1);
    else
        generate(data + 1, size - 1);
    return 0;
}
