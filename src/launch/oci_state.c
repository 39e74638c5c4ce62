/* The container's rootfs from an OCI runtime hook's state (runtime-spec
 * "State": {"bundle": DIR}) and the bundle's config.json ({"root": {"path"}}). */
#include <stdlib.h>
#include <string.h>

#include "gpumatch/cdi.h"
#include "internal.h"

int gm_oci_state_rootfs(const char *state, size_t len, char **rootfs, gm_error *err) {
    *rootfs = NULL;
    gm_jctx jc = {.origin = "OCI state (stdin)"};
    json_t *st = gm_json_loadb(state, len, &jc, err), *cfg = NULL;
    const char *bundle = NULL, *rootp = NULL;
    char *cfg_path = NULL, *cfg_text = NULL;
    size_t cl;
    int rc = GM_EINVAL;
    if (!st || (rc = gm_json_str(st, "bundle", "$", true, &bundle, &jc, err)) < 0)
        goto out;
    if (bundle[0] != '/') {
        rc = gm_json_err(err, &jc, "$.bundle", "not an absolute path");
        goto out;
    }
    if (!(cfg_path = gm_asprintf("%s/config.json", bundle))) {
        rc = gm_error_set(err, GM_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = gm_read_file(cfg_path, GM_MAX_DOC_BYTES, &cfg_text, &cl, err)) < 0)
        goto out;
    gm_jctx cc = {.origin = cfg_path};
    rc = GM_EINVAL;
    if (!(cfg = gm_json_loadb(cfg_text, cl, &cc, err)))
        goto out;
    json_t *root = json_object_get(cfg, "root");
    if (!json_is_object(root)) {
        rc = gm_json_err(err, &cc, "$.root", "missing or not an object");
        goto out;
    }
    if ((rc = gm_json_str(root, "path", "$.root", true, &rootp, &cc, err)) < 0)
        goto out;
    *rootfs = rootp[0] == '/' ? gm_strdup(rootp) : gm_asprintf("%s/%s", bundle, rootp);
    rc = *rootfs ? 0 : gm_error_set(err, GM_ENOMEM, "out of memory");
out:
    json_decref(st);
    json_decref(cfg);
    free(cfg_path);
    free(cfg_text);
    return rc < 0 ? rc : 0;
}
