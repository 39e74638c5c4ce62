/* CDI spec generation (cdiVersion 0.5.0 features only). Host paths carry the
 * driver root; container paths are the paths on a normal host, like NVIDIA's
 * `nvidia-ctk cdi generate --driver-root`. */
#include "gpumatch/cdi.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host/host.h"
#include "internal.h"

static char *host_path(const gm_driver_files *df, const char *path) {
    return gm_host_path(df->root, path);
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

/* Options as nvidia-ctk writes them (internal/discover/mounts.go: ro, nosuid,
 * nodev, rbind, rprivate; ipc.go: nosuid, nodev, rbind, rprivate, noexec):
 * rbind takes submounts along, rprivate keeps mount events from propagating
 * between host and container. */
static json_t *mount(const gm_driver_files *df, const char *host, const char *ctr, bool ipc) {
    char *hp = host_path(df, host);
    json_t *opts = ipc ? json_pack("[s,s,s,s,s]", "nosuid", "nodev", "rbind", "rprivate", "noexec")
                       : json_pack("[s,s,s,s,s]", "ro", "nosuid", "nodev", "rbind", "rprivate");
    /* "s:o" steals opts even when json_pack fails: never release it after */
    json_t *o = hp && opts ? json_pack("{s:s, s:s, s:o}", "hostPath", hp, "containerPath", ctr,
                                       "options", opts)
                           : NULL;
    if (!hp)
        json_decref(opts); /* not handed to json_pack */
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

/* Device names are unique in a spec (CDI: "Device names must be unique");
 * a repeated index or UUID in the node document is an input error. */
static int add_device(json_t *devices, const char *name, json_t *nodes, gm_error *err) {
    for (size_t i = 0; i < json_array_size(devices); i++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(devices, i), "name")), name))
            return gm_error_set(err, GM_EINVAL, "node document: CDI device name \"%s\" twice (GPU "
                                                "index or UUID repeated)", name);
    json_t *o = json_pack("{s:s, s:{s:O}}", "name", name, "containerEdits", "deviceNodes", nodes);
    if (!o || json_array_append_new(devices, o))
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* The hook program under the driver root: nvidia-cdi-hook (toolkit 1.17+),
 * else `nvidia-ctk hook`. */
static char *find_hook(const gm_driver_files *df, const char *prog) {
    static const char *const dirs[] = {"/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin", NULL};
    for (const char *const *d = dirs; *d; d++) {
        char *p = gm_asprintf("%s/%s", *d, prog);
        char *hp = p && gm_host_is_executable(df->root, p) ? host_path(df, p) : NULL;
        free(p);
        if (hp)
            return hp;
    }
    return NULL;
}

static bool global_node(const char *path) {
    static const char *const g[] = {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                                    "/dev/nvidia-modeset", NULL};
    for (size_t i = 0; g[i]; i++)
        if (!strcmp(path, g[i]))
            return true;
    return false;
}

/* /proc/driver/nvidia-caps/mig-minors under the root: "gpu%d/gi%d/access N"
 * and "gpu%d/gi%d/ci%d/access N" (what nvidia-ctk reads, internal/nvcaps). */
static int mig_cap_minor(const char *text, int gpu, int gi, int ci) {
    char want[96];
    if (ci < 0)
        snprintf(want, sizeof want, "gpu%d/gi%d/access ", gpu, gi);
    else
        snprintf(want, sizeof want, "gpu%d/gi%d/ci%d/access ", gpu, gi, ci);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        if (!strncmp(p, want, strlen(want))) {
            char *end;
            long v = strtol(p + strlen(want), &end, 10);
            if (end != p + strlen(want) && v > 0 && v < 1 << 20 && (*end == '\n' || !*end))
                return (int)v;
        }
        p = nl ? nl + 1 : NULL;
    }
    return -1;
}

/* A device node by path, with numbers when it is a character device under
 * the root (as device_node() does for the discovered ones). */
static json_t *cap_node(const gm_driver_files *df, int minor) {
    char path[64];
    snprintf(path, sizeof path, "/dev/nvidia-caps/nvidia-cap%d", minor);
    char *hp = host_path(df, path);
    struct stat st;
    if (!hp || gm_host_stat(df->root, path, true, &st) != 0) {
        free(hp);
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:s}", "path", path, "hostPath", hp);
    free(hp);
    if (o && S_ISCHR(st.st_mode)) {
        json_object_set_new(o, "type", json_string("c"));
        json_object_set_new(o, "major", json_integer((json_int_t)major(st.st_rdev)));
        json_object_set_new(o, "minor", json_integer((json_int_t)minor(st.st_rdev)));
    }
    return o;
}

static json_t *gpu_node(const gm_driver_files *df, int minor) {
    for (size_t i = 0; i < df->n; i++)
        if (df->files[i].kind == GM_DF_DEVICE && df->files[i].gpu_index == minor)
            return device_node(df, &df->files[i]);
    return NULL;
}

static int hook(json_t *hooks, const char *path, json_t *args) {
    json_t *h = json_pack("{s:s, s:s, s:o}", "hookName", "createContainer", "path", path, "args", args);
    return h ? json_array_append_new(hooks, h) : -1; /* args is stolen either way */
}

char *gm_cdi_generate(const gm_driver_files *df, const gm_cdi_opts *o, gm_strlist *warnings,
                      gm_error *err) {
    const gm_node *node = o ? o->node : NULL;
    json_t *spec = json_object(), *devices = json_array(), *edits = json_object(),
           *common_nodes = json_array(), *mounts = json_array(), *all_nodes = json_array(),
           *folders = json_array(), *links = json_array(), *hooks = json_array();
    char *out = NULL, *cdihook = NULL, *ctk = NULL, *migminors = NULL;
    if (!spec || !devices || !edits || !common_nodes || !mounts || !all_nodes || !folders ||
        !links || !hooks) {
        gm_error_set(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    const gm_driver_files *hostdf = o && o->devices_from ? o->devices_from : df;
    /* One result found with a driver root: its libraries, binaries and
     * firmware under driver_root, its devices and IPC sockets under root. */
    gm_driver_files drv;
    if (hostdf == df && df->driver_root) {
        drv = *df;
        drv.root = df->driver_root;
        drv.driver_root = NULL;
        df = &drv;
    }
    for (size_t i = 0; i < df->n + (hostdf != df ? hostdf->n : 0); i++) {
        /* with a driver root: devices and IPC from the host, the rest from df */
        const gm_driver_files *src = i < df->n ? df : hostdf;
        const gm_driver_file *d = i < df->n ? &df->files[i] : &hostdf->files[i - df->n];
        bool host_kind = d->kind == GM_DF_DEVICE || d->kind == GM_DF_IPC;
        if (hostdf != df && host_kind != (src == hostdf))
            continue;
        json_t *j = NULL;
        switch (d->kind) {
        case GM_DF_DEVICE:
            if (d->gpu_index >= 0 || global_node(d->path)) {
                j = device_node(src, d);
                if (!j || json_array_append_new(d->gpu_index >= 0 ? all_nodes : common_nodes, j))
                    goto bad_path;
            }
            /* the nvidia-caps nodes: MIG access only, per MIG device below */
            continue;
        case GM_DF_LIBRARY: {
            j = mount(src, d->path, d->path, false);
            /* The directories the ldconfig hook must index. */
            const char *slash = strrchr(d->path, '/');
            char *dir = gm_strndup(d->path, (size_t)(slash - d->path));
            bool seen = false;
            for (size_t k = 0; dir && k < json_array_size(folders); k++)
                seen |= strcmp(json_string_value(json_array_get(folders, k)), dir) == 0;
            if (dir && !seen)
                json_array_append_new(folders, json_string(dir));
            /* create-symlinks as nvidia-ctk (internal/discover/symlinks.go):
             * the soname link, and libcuda.so -> libcuda.so.1 for programs
             * that dlopen the unversioned name */
            if (dir && d->soname && strcmp(d->soname, slash + 1)) {
                char *l = gm_asprintf("%s::%s/%s", slash + 1, dir, d->soname);
                if (l) json_array_append_new(links, json_string(l));
                free(l);
            }
            if (dir && d->soname && !strcmp(d->soname, "libcuda.so.1")) {
                char *l = gm_asprintf("libcuda.so.1::%s/libcuda.so", dir);
                if (l) json_array_append_new(links, json_string(l));
                free(l);
            }
            free(dir);
            break;
        }
        case GM_DF_BINARY:
        case GM_DF_FIRMWARE:
            j = mount(src, d->path, d->link ? d->link : d->path, false);
            break;
        case GM_DF_IPC:
            j = mount(src, d->path, d->path, true);
            break;
        }
        if (!j || json_array_append_new(mounts, j))
            goto bad_path;
        continue;
    bad_path: {
        /* json_pack fails on text that is not UTF-8 (JSON cannot hold it) */
        char *hp = host_path(src, d->path);
        json_t *t = hp ? json_string(hp) : NULL;
        if (hp && !t)
            gm_error_set(err, GM_EINVAL, "host path of %s (with the root prefix) is not valid "
                                         "UTF-8, which a CDI spec (JSON) cannot hold", d->path);
        else
            gm_error_set(err, GM_ENOMEM, "out of memory");
        json_decref(t);
        free(hp);
        goto done;
    }
    }

    /* One device per GPU by index and by UUID, with /dev/nvidia<minor> (the
     * kernel's number, not the index); MIG devices "<index>:<k>" and by UUID
     * with their parent's node and their GI/CI access caps, as nvidia-ctk. */
    if (node) {
        json_array_clear(all_nodes);
        for (size_t g = 0; g < node->n_devices; g++) {
            const gm_device *dev = &node->devices[g];
            int minor = gm_device_minor(dev);
            json_t *nd = gpu_node(hostdf, minor);
            if (!nd) {
                if (warnings)
                    gm_strlist_addf(warnings, "GPU %d: no /dev/nvidia%d under %s; left out",
                                    dev->index, minor, hostdf->root);
                continue;
            }
            json_array_append(all_nodes, nd);
            json_t *nodes = json_pack("[o]", nd);
            char idx[32];
            snprintf(idx, sizeof idx, "%d", dev->index);
            if (add_device(devices, idx, nodes, err) < 0 ||
                (dev->uuid && cdi_name_ok(dev->uuid) && add_device(devices, dev->uuid, nodes, err) < 0)) {
                json_decref(nodes);
                goto done;
            }
            if (dev->uuid && !cdi_name_ok(dev->uuid) && warnings)
                gm_strlist_addf(warnings, "GPU %d: UUID \"%.40s\" is not a valid CDI device name",
                                dev->index, dev->uuid);
            for (size_t k = 0; dev->mig_mode == GM_MIG_ENABLED && k < dev->n_mig; k++) {
                const gm_mig_instance *m = &dev->mig[k];
                if (!migminors) {
                    if (gm_host_read(hostdf->root, "/proc/driver/nvidia-caps/mig-minors", 1 << 20,
                                     &migminors, NULL, NULL) < 0)
                        migminors = gm_strdup("");
                }
                int gim = m->gi >= 0 ? mig_cap_minor(migminors, minor, m->gi, -1) : -1;
                int cim = m->ci >= 0 ? mig_cap_minor(migminors, minor, m->gi, m->ci) : -1;
                json_t *gin = gim > 0 ? cap_node(hostdf, gim) : NULL, *cin = cim > 0 ? cap_node(hostdf, cim) : NULL;
                if (!gin || !cin) {
                    json_decref(gin);
                    json_decref(cin);
                    if (warnings)
                        gm_strlist_addf(warnings, "GPU %d MIG %zu: no GI/CI access caps (mig-minors "
                                                  "or /dev/nvidia-caps under %s); left out",
                                        dev->index, k, df->root);
                    continue;
                }
                json_t *mn = json_pack("[O,o,o]", nd, gin, cin);
                char mname[48];
                snprintf(mname, sizeof mname, "%d:%zu", dev->index, k);
                if (!mn || add_device(devices, mname, mn, err) < 0 ||
                    (m->uuid && cdi_name_ok(m->uuid) && add_device(devices, m->uuid, mn, err) < 0)) {
                    json_decref(mn);
                    json_decref(nodes);
                    if (!err->code) gm_error_set(err, GM_ENOMEM, "out of memory");
                    goto done;
                }
                json_decref(mn);
            }
            json_decref(nodes);
        }
    } else {
        for (size_t i = 0; i < json_array_size(all_nodes); i++) {
            json_t *nd = json_array_get(all_nodes, i);
            const char *p = json_string_value(json_object_get(nd, "path"));
            json_t *nodes = json_pack("[O]", nd);
            int rc = add_device(devices, p + strlen("/dev/nvidia"), nodes, err);
            json_decref(nodes);
            if (rc < 0) goto done;
        }
    }
    if (json_array_size(all_nodes) > 0 && add_device(devices, "all", all_nodes, err) < 0)
        goto done;

    /* NVIDIA_VISIBLE_DEVICES=void: NVIDIA's legacy OCI hook, if installed,
     * must not inject a second time what CDI already did (NVIDIA's specs do so too). */
    json_object_set_new(edits, "env", json_pack("[s]", "NVIDIA_VISIBLE_DEVICES=void"));
    json_object_set(edits, "deviceNodes", common_nodes);
    json_object_set(edits, "mounts", mounts);
    /* Hooks as nvidia-ctk's: create-symlinks, enable-cuda-compat,
     * update-ldcache, all from nvidia-cdi-hook (or `nvidia-ctk hook`).
     * gpumatch's own fallback only refreshes ld.so.cache: ldconfig makes the
     * soname links, and there is no forward-compatibility switch to make. */
    cdihook = find_hook(hostdf, "nvidia-cdi-hook");
    ctk = cdihook ? NULL : find_hook(hostdf, "nvidia-ctk");
    const char *hp = cdihook ? cdihook : ctk;
    if (hp) {
        const char *a0 = cdihook ? "nvidia-cdi-hook" : "nvidia-ctk";
#define HOOK_ARGS(name) (cdihook ? json_pack("[s,s]", a0, name) : json_pack("[s,s,s]", a0, "hook", name))
        if (json_array_size(links) > 0) {
            json_t *args = HOOK_ARGS("create-symlinks");
            for (size_t k = 0; args && k < json_array_size(links); k++) {
                json_array_append_new(args, json_string("--link"));
                json_array_append(args, json_array_get(links, k));
            }
            if (!args || hook(hooks, hp, args) < 0) goto oom;
        }
        if (df->driver_version) {
            json_t *args = HOOK_ARGS("enable-cuda-compat");
            char *v = gm_asprintf("--host-driver-version=%s", df->driver_version);
            if (args && v) json_array_append_new(args, json_string(v));
            free(v);
            if (!args || hook(hooks, hp, args) < 0) goto oom;
        }
        if (json_array_size(folders) > 0) {
            json_t *args = HOOK_ARGS("update-ldcache");
            for (size_t k = 0; args && k < json_array_size(folders); k++) {
                json_array_append_new(args, json_string("--folder"));
                json_array_append(args, json_array_get(folders, k));
            }
            if (!args || hook(hooks, hp, args) < 0) goto oom;
        }
#undef HOOK_ARGS
    } else if (json_array_size(folders) > 0 && o && o->hook_fallback) {
        json_t *args = json_pack("[s,s,s]", "gpumatch", "cdi", "ldconfig-hook");
        for (size_t k = 0; args && k < json_array_size(folders); k++) {
            json_array_append_new(args, json_string("--folder"));
            json_array_append(args, json_array_get(folders, k));
        }
        if (!args || hook(hooks, o->hook_fallback, args) < 0) goto oom;
    } else if (json_array_size(folders) > 0 && warnings) {
        gm_strlist_addf(warnings, "no nvidia-cdi-hook/nvidia-ctk under %s and no fallback: the spec "
                                  "has no ldconfig hook (set LD_LIBRARY_PATH in the container)",
                        df->root);
    }
    if (json_array_size(hooks) > 0)
        json_object_set(edits, "hooks", hooks);
    json_object_set_new(spec, "cdiVersion", json_string(GM_CDI_VERSION));
    json_object_set_new(spec, "kind", json_string(GM_CDI_KIND));
    json_object_set(spec, "devices", devices);
    json_object_set(spec, "containerEdits", edits);
    out = gm_json_dump(spec, err);
    goto done;
oom:
    gm_error_set(err, GM_ENOMEM, "out of memory");
done:
    free(cdihook);
    free(ctk);
    free(migminors);
    json_decref(spec);
    json_decref(devices);
    json_decref(edits);
    json_decref(common_nodes);
    json_decref(mounts);
    json_decref(all_nodes);
    json_decref(folders);
    json_decref(links);
    json_decref(hooks);
    return out;
}

/* One spec file: kind nvidia.com/gpu and every name among its devices. */
static bool spec_names(const char *text, size_t len, bool json, const gm_strlist *names) {
    bool *seen = calloc(names->n ? names->n : 1, sizeof *seen);
    bool kind = false;
    if (!seen)
        return false;
    if (json) {
        json_t *j = json_loadb(text, len, 0, NULL);
        const char *k = json_string_value(json_object_get(j, "kind"));
        kind = k && !strcmp(k, GM_CDI_KIND);
        json_t *devs = json_object_get(j, "devices");
        for (size_t i = 0; i < json_array_size(devs); i++) {
            const char *nm = json_string_value(json_object_get(json_array_get(devs, i), "name"));
            for (size_t k2 = 0; nm && k2 < names->n; k2++)
                seen[k2] |= !strcmp(nm, names->items[k2]);
        }
        json_decref(j);
    } else {
        /* "kind: nvidia.com/gpu", "- name: GPU-..." (quoted or not) */
        for (const char *p = text; p && p < text + len;) {
            const char *nl = memchr(p, '\n', (size_t)(text + len - p));
            size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
            char line[512];
            if (l < sizeof line) {
                memcpy(line, p, l);
                line[l] = 0;
                char *q = line;
                while (*q == ' ' || *q == '-') q++;
                char *v = NULL;
                if (!strncmp(q, "kind:", 5)) v = q + 5;
                else if (!strncmp(q, "name:", 5)) v = q + 5;
                if (v) {
                    while (*v == ' ') v++;
                    size_t vl = strlen(v);
                    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r')) v[--vl] = 0;
                    if (vl >= 2 && (*v == '"' || *v == '\'') && v[vl - 1] == *v) {
                        v[vl - 1] = 0;
                        v++;
                    }
                    if (q[0] == 'k' && line == q) /* top-level kind only */
                        kind = !strcmp(v, GM_CDI_KIND);
                    else if (q[0] == 'n')
                        for (size_t k2 = 0; k2 < names->n; k2++)
                            seen[k2] |= !strcmp(v, names->items[k2]);
                }
            }
            p = nl ? nl + 1 : NULL;
        }
    }
    bool all = kind;
    for (size_t k2 = 0; k2 < names->n; k2++)
        all &= seen[k2];
    free(seen);
    return all;
}

int gm_cdi_find_spec(const char *root, const gm_strlist *names, char **found, gm_error *err) {
    static const char *const dirs[] = {"/etc/cdi", "/var/run/cdi", NULL};
    *found = NULL;
    for (const char *const *d = dirs; *d; d++) {
        gm_strlist files = {0};
        if (gm_host_list(root, *d, &files, NULL) == GM_ENOMEM) {
            gm_strlist_free(&files);
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < files.n; i++) {
            const char *name = files.items[i];
            size_t l = strlen(name);
            bool json = l > 5 && !strcmp(name + l - 5, ".json");
            bool yaml = (l > 5 && !strcmp(name + l - 5, ".yaml")) ||
                        (l > 4 && !strcmp(name + l - 4, ".yml"));
            if (!json && !yaml)
                continue;
            char *rel = gm_asprintf("%s/%s", *d, name), *text = NULL;
            size_t tl;
            if (rel && gm_host_read(root, rel, 16u << 20, &text, &tl, NULL) == 0 &&
                spec_names(text, tl, json, names)) {
                free(text);
                gm_strlist_free(&files);
                *found = gm_host_path(root, rel);
                free(rel);
                return *found ? 1 : gm_error_set(err, GM_ENOMEM, "out of memory");
            }
            free(text);
            free(rel);
        }
        gm_strlist_free(&files);
    }
    return 0;
}
