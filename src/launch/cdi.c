/* CDI spec generation (cdiVersion 0.5.0 features only). Host paths carry the
 * driver root; container paths are the paths on a normal host, like NVIDIA's
 * `nvidia-ctk cdi generate --driver-root`. */
#include "gpumatch/cdi.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static char *host_path(const gm_driver_files *df, const char *path) {
    if (!df->root || strcmp(df->root, "/") == 0)
        return gm_strdup(path);
    size_t n = strlen(df->root);
    return gm_asprintf("%.*s%s", (int)(df->root[n - 1] == '/' ? n - 1 : n), df->root, path);
}

static json_t *device_node(const gm_driver_files *df, const gm_driver_file *d) {
    char *hp = host_path(df, d->path);
    json_t *o = hp ? json_pack("{s:s, s:s}", "path", d->path, "hostPath", hp) : NULL;
    free(hp);
    if (o && d->is_char_device) {
        /* Explicit numbers: the runtime need not stat, and a regular-file
         * stand-in (fake roots) gets none, so a real runtime refuses it. */
        json_object_set_new(o, "type", json_string("c"));
        json_object_set_new(o, "major", json_integer(d->major));
        json_object_set_new(o, "minor", json_integer(d->minor));
    }
    return o;
}

static json_t *mount(const gm_driver_files *df, const char *host, const char *ctr, bool rw,
                     bool noexec) {
    char *hp = host_path(df, host);
    json_t *opts = json_array();
    if (!rw)
        json_array_append_new(opts, json_string("ro"));
    json_array_append_new(opts, json_string("nosuid"));
    json_array_append_new(opts, json_string("nodev"));
    json_array_append_new(opts, json_string("bind"));
    if (noexec)
        json_array_append_new(opts, json_string("noexec"));
    json_t *o = hp ? json_pack("{s:s, s:s, s:o}", "hostPath", hp, "containerPath", ctr, "options",
                               opts)
                   : NULL;
    if (!o)
        json_decref(opts);
    free(hp);
    return o;
}

/* CDI device names: letters, digits, '_', '-', '.', ':' (spec "Device names"). */
static bool cdi_name_ok(const char *s) {
    if (!s || !*s || !isalnum((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-.:", *s))
            return false;
    return true;
}

static int add_device(json_t *devices, const char *name, json_t *nodes) {
    json_t *o = json_pack("{s:s, s:{s:O}}", "name", name, "containerEdits", "deviceNodes", nodes);
    return o ? json_array_append_new(devices, o) : -1;
}

/* nvidia-ctk on the default PATH under the driver root. */
static char *find_nvidia_ctk(const gm_driver_files *df) {
    static const char *const dirs[] = {"/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin", NULL};
    for (const char *const *d = dirs; *d; d++) {
        char *p = gm_asprintf("%s/nvidia-ctk", *d), *hp = p ? host_path(df, p) : NULL;
        free(p);
        if (hp && access(hp, X_OK) == 0)
            return hp;
        free(hp);
    }
    return NULL;
}

char *gm_cdi_generate(const gm_driver_files *df, const gm_cdi_opts *o, gm_strlist *warnings,
                      gm_error *err) {
    const gm_node *node = o ? o->node : NULL;
    json_t *spec = json_object(), *devices = json_array(), *edits = json_object(),
           *common_nodes = json_array(), *mounts = json_array(), *all_nodes = json_array(),
           *folders = json_array();
    char *out = NULL, *ctk = NULL;
    if (!spec || !devices || !edits || !common_nodes || !mounts || !all_nodes || !folders) {
        gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < df->n; i++) {
        const gm_driver_file *d = &df->files[i];
        json_t *j = NULL;
        switch (d->kind) {
        case GM_DF_DEVICE:
            if (d->gpu_index >= 0) {
                json_array_append_new(all_nodes, device_node(df, d));
                continue;
            }
            json_array_append_new(common_nodes, device_node(df, d));
            continue;
        case GM_DF_LIBRARY: {
            j = mount(df, d->path, d->path, false, false);
            /* The directories the ldconfig hook must index. */
            char *dir = gm_strndup(d->path, (size_t)(strrchr(d->path, '/') - d->path));
            bool seen = false;
            for (size_t k = 0; dir && k < json_array_size(folders); k++)
                seen |= strcmp(json_string_value(json_array_get(folders, k)), dir) == 0;
            if (dir && !seen)
                json_array_append_new(folders, json_string(dir));
            free(dir);
            break;
        }
        case GM_DF_BINARY:
            j = mount(df, d->path, d->link ? d->link : d->path, false, false);
            break;
        case GM_DF_FIRMWARE:
            j = mount(df, d->path, d->link ? d->link : d->path, false, true);
            break;
        case GM_DF_IPC:
            /* The MPS pipe directory is written to; the persistenced socket is not. */
            j = mount(df, d->path, d->path, d->cap == GM_CAP_COMPUTE, true);
            break;
        }
        if (!j || json_array_append_new(mounts, j)) {
            gm_error_set(err, GM_ENOMEM, "out of memory");
            goto done;
        }
    }

    /* One device per GPU: by index and by UUID, both with its /dev/nvidiaN. */
    if (node) {
        for (size_t g = 0; g < node->n_devices; g++) {
            const gm_device *dev = &node->devices[g];
            json_t *nd = NULL;
            for (size_t i = 0; i < df->n; i++)
                if (df->files[i].kind == GM_DF_DEVICE && df->files[i].gpu_index == dev->index)
                    nd = device_node(df, &df->files[i]);
            if (!nd) {
                if (warnings)
                    gm_strlist_addf(warnings, "GPU %d: no /dev/nvidia%d under %s; left out",
                                    dev->index, dev->index, df->root);
                continue;
            }
            json_t *nodes = json_pack("[o]", nd);
            char idx[16];
            snprintf(idx, sizeof idx, "%d", dev->index);
            add_device(devices, idx, nodes);
            if (dev->uuid && cdi_name_ok(dev->uuid))
                add_device(devices, dev->uuid, nodes);
            else if (dev->uuid && warnings)
                gm_strlist_addf(warnings, "GPU %d: UUID \"%.40s\" is not a valid CDI device name",
                                dev->index, dev->uuid);
            json_decref(nodes);
        }
    } else {
        for (size_t i = 0; i < json_array_size(all_nodes); i++) {
            json_t *nd = json_array_get(all_nodes, i);
            const char *p = json_string_value(json_object_get(nd, "path"));
            json_t *nodes = json_pack("[O]", nd);
            add_device(devices, p + strlen("/dev/nvidia"), nodes);
            json_decref(nodes);
        }
    }
    if (json_array_size(all_nodes) > 0)
        add_device(devices, "all", all_nodes);

    /* NVIDIA_VISIBLE_DEVICES=void: NVIDIA's legacy OCI hook, if installed,
     * must not inject a second time what CDI already did (NVIDIA's specs do so too). */
    json_object_set_new(edits, "env", json_pack("[s]", "NVIDIA_VISIBLE_DEVICES=void"));
    json_object_set(edits, "deviceNodes", common_nodes);
    json_object_set(edits, "mounts", mounts);
    ctk = find_nvidia_ctk(df);
    if (json_array_size(folders) > 0) {
        json_t *args = NULL;
        const char *path = NULL;
        if (ctk) {
            path = ctk;
            args = json_pack("[s,s,s]", "nvidia-ctk", "hook", "update-ldcache");
        } else if (o && o->hook_fallback) {
            path = o->hook_fallback;
            args = json_pack("[s,s,s]", "gpumatch", "cdi", "ldconfig-hook");
        } else if (warnings) {
            gm_strlist_addf(warnings, "no nvidia-ctk under %s and no fallback: the spec has no "
                                      "ldconfig hook (set LD_LIBRARY_PATH in the container)",
                            df->root);
        }
        if (args) {
            for (size_t k = 0; k < json_array_size(folders); k++) {
                json_array_append_new(args, json_string("--folder"));
                json_array_append(args, json_array_get(folders, k));
            }
            json_object_set_new(edits, "hooks",
                                json_pack("[{s:s, s:s, s:o}]", "hookName", "createContainer",
                                          "path", path, "args", args));
        }
    }
    json_object_set_new(spec, "cdiVersion", json_string(GM_CDI_VERSION));
    json_object_set_new(spec, "kind", json_string(GM_CDI_KIND));
    json_object_set(spec, "devices", devices);
    json_object_set(spec, "containerEdits", edits);
    out = gm_json_dump(spec, err);
done:
    free(ctk);
    json_decref(spec);
    json_decref(devices);
    json_decref(edits);
    json_decref(common_nodes);
    json_decref(mounts);
    json_decref(all_nodes);
    json_decref(folders);
    return out;
}
