/* Runtime command lines for a GPU container. Sources for each form:
 *  docker: `docker run --gpus '"device=1,2"'` (Docker docs, "Access an NVIDIA
 *    GPU"); the --gpus value is read as CSV, so a device list with commas must
 *    be one double-quoted field: the argument itself contains the quotes.
 *  podman: `podman run --device nvidia.com/gpu=NAME` (CDI; NVIDIA Container
 *    Toolkit docs "Support for Container Device Interface").
 *  docker with CDI: `docker run --device nvidia.com/gpu=UUID` (Docker 25+ CDI
 *    support; the toolkit's cdi mode refuses --gpus).
 *  singularity/apptainer: `exec --nv` binds the driver (`--nv --nvccli` lets
 *    nvidia-container-cli do it, NVIDIA_REQUIRE_* included); GPUs are chosen with
 *    CUDA_VISIBLE_DEVICES passed through SINGULARITYENV_/APPTAINERENV_ (their
 *    "GPU Support" docs).
 * All four parse options with pflag, which ends options at "--": the image and
 * command follow it, so neither can be read as an option. */
#include "gpumatch/launch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gpumatch/driverfiles.h"
#include "gpumatch/nvreq.h"
#include "internal.h"

int gm_runtime_parse(const char *s, gm_runtime *out, gm_error *err) {
    static const struct {
        const char *name;
        gm_runtime rt;
    } rts[] = {{"docker", GM_RT_DOCKER},
               {"podman", GM_RT_PODMAN},
               {"singularity", GM_RT_SINGULARITY},
               {"apptainer", GM_RT_APPTAINER}};
    for (size_t i = 0; s && i < sizeof rts / sizeof rts[0]; i++) {
        if (strcmp(s, rts[i].name) == 0) {
            *out = rts[i].rt;
            return 0;
        }
    }
    char q[64];
    return gm_error_set(err, GM_EINVAL,
                        "unknown runtime \"%s\" (docker, podman, singularity, apptainer)",
                        gm_quote(s ? s : "", q));
}

const char *gm_runtime_name(gm_runtime r) {
    switch (r) {
    case GM_RT_DOCKER: return "docker";
    case GM_RT_PODMAN: return "podman";
    case GM_RT_SINGULARITY: return "singularity";
    case GM_RT_APPTAINER: return "apptainer";
    }
    return "unknown";
}

char *gm_shell_quote(const char *s) {
    if (!s)
        return NULL;
    bool plain = *s != 0;
    for (const char *p = s; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_@%+=:,./-", *p);
    if (plain)
        return gm_strdup(s);
    bool ctl = false;
    for (const unsigned char *p = (const unsigned char *)s; *p && !ctl; p++)
        ctl = *p < 0x20 || *p == 0x7f;
    if (ctl) { /* $'...' keeps one argument on one line (bash, ksh, zsh, POSIX 2024 sh) */
        char *out = malloc(4 * strlen(s) + 4), *o = out;
        if (!out)
            return NULL;
        o += sprintf(o, "$'");
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            if (*p == '\\' || *p == '\'')
                o += sprintf(o, "\\%c", *p);
            else if (*p == '\n')
                o += sprintf(o, "\\n");
            else if (*p == '\t')
                o += sprintf(o, "\\t");
            else if (*p < 0x20 || *p == 0x7f)
                o += sprintf(o, "\\x%02x", *p);
            else
                *o++ = (char)*p;
        }
        strcpy(o, "'");
        return out;
    }
    size_t n = 2;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = 0;
    return out;
}

void gm_launch_plan_free(gm_launch_plan *p) {
    if (!p)
        return;
    gm_verdict_free(&p->verdict);
    gm_strlist_free(&p->reasons);
    gm_strlist_free(&p->notes);
    gm_strlist_free(&p->ids);
    gm_strlist_free(&p->argv);
    gm_strlist_free(&p->env);
    gm_strlist_free(&p->container_env);
    memset(p, 0, sizeof *p);
}

/* Device ids end up inside a --gpus CSV field, a CDI name and env values:
 * letters, digits and '-', ':', '/', '.', '_' only (GPU-…, MIG-…, MIG-GPU-…/1/0). */
static bool id_ok(const char *s) {
    if (!s || !*s || *s == '-')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-:/._", *s))
            return false;
    return true;
}

static int oom(gm_error *err) { return gm_error_set(err, GM_ENOMEM, "out of memory"); }

static int join_ids(const gm_strlist *ids, char **out) {
    size_t n = 1;
    for (size_t i = 0; i < ids->n; i++)
        n += strlen(ids->items[i]) + 1;
    *out = malloc(n);
    if (!*out)
        return -1;
    (*out)[0] = 0;
    for (size_t i = 0; i < ids->n; i++) {
        if (i)
            strcat(*out, ",");
        strcat(*out, ids->items[i]);
    }
    return 0;
}

static int build_argv(gm_launch_plan *p, const gm_launch_opts *o, const char *caps,
                      gm_error *err) {
    char *ids = NULL;
    if (join_ids(&p->ids, &ids))
        return oom(err);
    const char *prog = o->program ? o->program : gm_runtime_name(o->runtime);
    int rc = 0;
    gm_strlist *a = &p->argv;
#define ADD(s) rc = rc ? rc : gm_strlist_add(a, (s))
#define ADDF(...) rc = rc ? rc : gm_strlist_addf(a, __VA_ARGS__)
    ADD(prog);
    switch (o->runtime) {
    case GM_RT_DOCKER:
    case GM_RT_PODMAN:
        ADD("run");
        if (o->runtime == GM_RT_DOCKER && !o->docker_cdi) {
            ADD("--gpus");
            ADDF("\"device=%s\",\"capabilities=%s\"", ids, caps);
        } else {
            for (size_t i = 0; i < p->ids.n; i++) {
                ADD("--device");
                ADDF("nvidia.com/gpu=%s", p->ids.items[i]);
            }
        }
        for (size_t i = 0; i < p->container_env.n; i++) {
            ADD("--env");
            ADD(p->container_env.items[i]);
        }
        ADD("--");
        ADD(o->image);
        break;
    case GM_RT_SINGULARITY:
    case GM_RT_APPTAINER: {
        const char *pre = o->runtime == GM_RT_SINGULARITY ? "SINGULARITYENV_" : "APPTAINERENV_";
        ADD(o->n_cmd ? "exec" : "run");
        ADD("--nv");
        if (o->nvccli)
            ADD("--nvccli");
        ADD("--");
        ADD(o->image);
        /* The container inherits the caller's environment; the prefixed
         * variables make the values explicit even under --cleanenv. */
        for (size_t i = 0; i < p->container_env.n && rc == 0; i++) {
            rc = gm_strlist_add(&p->env, p->container_env.items[i]);
            if (rc == 0)
                rc = gm_strlist_addf(&p->env, "%s%s", pre, p->container_env.items[i]);
        }
        break;
    }
    }
    for (size_t i = 0; i < o->n_cmd; i++)
        ADD(o->cmd[i]);
#undef ADD
#undef ADDF
    free(ids);
    return rc ? oom(err) : 0;
}

/* The image's NVIDIA_REQUIRE_* expressions (gm_match already evaluates the
 * requirement document's own). */
static int collect_nvreq(const gm_requirement *req, const gm_launch_opts *o, gm_strlist *exprs,
                         gm_strlist *notes, gm_error *err) {
    if (!o->image_env)
        return 0;
    bool disabled = false;
    gm_strlist img = {0};
    int rc = gm_nvreq_from_env(o->image_env, &img, &disabled, err);
    if (rc == 0 && disabled && img.n)
        rc = gm_strlist_add(notes, "image sets NVIDIA_DISABLE_REQUIRE: its NVIDIA_REQUIRE_* "
                                   "are not evaluated") ? oom(err) : 0;
    for (size_t i = 0; rc == 0 && !disabled && !req->nvidia_disable_require && i < img.n; i++)
        rc = gm_strlist_add(exprs, img.items[i]) ? oom(err) : 0;
    gm_strlist_free(&img);
    return rc;
}

int gm_launch_prepare(const gm_node *node, const gm_requirement *req, const gm_launch_opts *o,
                      gm_launch_plan *p, gm_error *err) {
    memset(p, 0, sizeof *p);
    char q[64];
    if (!o->image || !*o->image)
        return gm_error_set(err, GM_EINVAL, "no image given");
    if (o->image[0] == '-')
        return gm_error_set(err, GM_EINVAL,
                            "image \"%s\" starts with '-': refused (it would be read as an option)",
                            gm_quote(o->image, q));
    for (const char *c = o->image; *c; c++)
        if (iscntrl((unsigned char)*c) || *c == ' ')
            return gm_error_set(err, GM_EINVAL, "image name \"%s\" contains a space or control "
                                                "character",
                                gm_quote(o->image, q));
    if (o->gpus < 0)
        return gm_error_set(err, GM_EINVAL, "--gpus must be positive");
    const char *caps = o->capabilities ? o->capabilities : "compute,utility";
    unsigned capbits;
    int rc = gm_driver_caps_parse(caps, &capbits, err);
    if (rc)
        return rc;

    long need = o->gpus > 0 ? o->gpus : (req->device_count > 0 ? req->device_count : 1);
    rc = gm_match(node, req, &p->verdict, err);
    if (rc)
        return rc;
    gm_strlist exprs = {0};
    gm_strlist nvfail = {0}; /* image requirement failures: reasons if refused, else notes */
    rc = collect_nvreq(req, o, &exprs, &p->notes, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < p->verdict.notes.n && rc == 0; i++)
        rc = gm_strlist_add(&p->notes, p->verdict.notes.items[i]);
    /* Node-level failures other than "too few devices" (gm_match's last
     * reason when it applies) are final; the count is re-checked below. */
    size_t nr = p->verdict.reasons.n;
    if (nr && (long)p->verdict.n_compatible < req->device_count)
        nr--;
    for (size_t i = 0; i < nr && rc == 0; i++)
        rc = gm_strlist_add(&p->reasons, p->verdict.reasons.items[i]);
    if (rc == 0 && o->gpus > 0 && o->gpus < req->device_count)
        rc = gm_strlist_addf(&p->reasons, "the requirement needs %ld devices; --gpus %ld is fewer",
                             req->device_count, o->gpus);
    if (rc) {
        rc = oom(err);
        goto out;
    }
    bool skipped_mig = false, by_index = false;
    for (size_t u = 0; u < p->verdict.n_units && (o->all_gpus || (long)p->ids.n < need); u++) {
        const gm_unit_verdict *uv = &p->verdict.units[u];
        char label[32];
        gm_unit_label(&p->verdict, uv, label, sizeof label);
        if (!uv->ok)
            continue;
        if (uv->mig >= 0 && (need > 1 || o->all_gpus)) {
            /* A CUDA process enumerates one MIG device at most (NVIDIA MIG user guide). */
            if (!skipped_mig && gm_strlist_add(&p->notes, "MIG instances not combined: a CUDA "
                                                          "process uses one MIG device") < 0) {
                rc = oom(err);
                goto out;
            }
            skipped_mig = true;
            continue;
        }
        const gm_device *dev = &node->devices[uv->device];
        bool pass = true;
        for (size_t e = 0; e < exprs.n && pass; e++) {
            gm_strlist why = {0};
            rc = gm_nvreq_eval(exprs.items[e], node, dev, &pass, &why, err);
            if (rc) {
                gm_strlist_free(&why);
                goto out;
            }
            if (!pass)
                gm_strlist_addf(&nvfail, "device %s: unsatisfied condition \"%.200s\"%s%.300s",
                                label, exprs.items[e], why.n ? ": " : "",
                                why.n ? why.items[0] : "");
            gm_strlist_free(&why);
        }
        if (!pass)
            continue;
        const char *id = uv->mig >= 0 ? dev->mig[uv->mig].uuid : dev->uuid;
        if (!id) {
            /* No UUID in the node document: fall back to the index. */
            rc = gm_strlist_add(&p->ids, label);
            by_index = true;
            if (rc == 0)
                rc = gm_strlist_addf(&p->notes, "device %s has no UUID; selected by index", label);
        } else if (!id_ok(id)) {
            rc = gm_error_set(err, GM_EINVAL,
                              "device %s: UUID \"%s\" has characters unfit for a runtime "
                              "argument; refused",
                              label, gm_quote(id, q));
            goto out;
        } else {
            rc = gm_strlist_add(&p->ids, id);
        }
        if (rc) {
            rc = oom(err);
            goto out;
        }
    }
    if ((long)p->ids.n < need) {
        gm_strlist_addf(&p->reasons, "%ld device(s) needed, %zu usable on %s", need,
                        p->ids.n, node->hostname ? node->hostname : "this node");
        for (size_t u = 0; u < p->verdict.n_units; u++) {
            const gm_unit_verdict *uv = &p->verdict.units[u];
            char label[32];
            gm_unit_label(&p->verdict, uv, label, sizeof label);
            for (size_t k = 0; k < uv->reasons.n; k++)
                gm_strlist_addf(&p->reasons, "device %s: %s", label, uv->reasons.items[k]);
        }
    }
    for (size_t i = 0; i < nvfail.n; i++)
        gm_strlist_add(p->reasons.n ? &p->reasons : &p->notes, nvfail.items[i]);
    p->ok = p->reasons.n == 0;
    if (!p->ok)
        goto out;
    char *ids = NULL;
    if (join_ids(&p->ids, &ids)) {
        rc = oom(err);
        goto out;
    }
    /* docker and podman renumber the devices they expose from 0: a host index
     * would name the wrong one inside, a UUID never does. */
    bool renumbers = o->runtime == GM_RT_DOCKER || o->runtime == GM_RT_PODMAN;
    if (!(by_index && renumbers))
        rc = gm_strlist_addf(&p->container_env, "CUDA_VISIBLE_DEVICES=%s", ids);
    /* Under CDI the spec sets NVIDIA_VISIBLE_DEVICES=void so NVIDIA's legacy
     * hook does not inject devices a second time; leave it to the spec. */
    if (rc == 0 && o->runtime != GM_RT_PODMAN)
        rc = gm_strlist_addf(&p->container_env, "NVIDIA_VISIBLE_DEVICES=%s", ids);
    if (rc == 0 && o->runtime != GM_RT_PODMAN)
        rc = gm_strlist_addf(&p->container_env, "NVIDIA_DRIVER_CAPABILITIES=%s", caps);
    free(ids);
    if (rc) {
        rc = oom(err);
        goto out;
    }
    rc = build_argv(p, o, caps, err);
out:
    gm_strlist_free(&nvfail);
    gm_strlist_free(&exprs);
    if (rc)
        gm_launch_plan_free(p);
    return rc;
}

/* JSON cannot hold text that is not UTF-8: refuse it rather than drop it
 * (a dropped argument would run a different command). */
static int utf8_arg(json_t *arr, const char *s, const char *what, size_t i, gm_error *err) {
    json_t *j = json_string(s);
    if (!j)
        return gm_error_set(err, GM_EINVAL, "%s %zu is not valid UTF-8: the Engine API body is "
                                            "JSON and cannot carry it", what, i);
    return json_array_append_new(arr, j) ? oom(err) : 0;
}

char *gm_launch_engine_api_json(const gm_launch_plan *p, const gm_launch_opts *o, gm_error *err) {
    const char *caps = o->capabilities ? o->capabilities : "compute,utility";
    json_t *capset = json_array(), *devids = json_array(), *env = json_array(), *cmd = json_array();
    json_t *doc = NULL;
    int rc = capset && devids && env && cmd ? 0 : oom(err);
    if (rc == 0)
        rc = utf8_arg(capset, "gpu", "capability", 0, err);
    for (const char *c = caps; rc == 0 && *c;) {
        size_t n = strcspn(c, ",");
        json_t *j = json_stringn(c, n);
        rc = j && !json_array_append_new(capset, j) ? 0 : gm_error_set(err, GM_EINVAL, "bad capability list");
        c += n + (c[n] == ',');
    }
    for (size_t i = 0; rc == 0 && i < p->ids.n; i++)
        rc = utf8_arg(devids, p->ids.items[i], "device id", i, err);
    for (size_t i = 0; rc == 0 && i < p->container_env.n; i++)
        rc = utf8_arg(env, p->container_env.items[i], "environment entry", i, err);
    for (size_t i = 0; rc == 0 && i < o->n_cmd; i++)
        rc = utf8_arg(cmd, o->cmd[i], "command argument", i, err);
    if (rc == 0 && !(doc = json_pack("{s:s}", "Image", o->image)))
        rc = gm_error_set(err, GM_EINVAL, "image name is not valid UTF-8");
    if (rc == 0) {
        if (o->n_cmd)
            json_object_set(doc, "Cmd", cmd);
        json_object_set(doc, "Env", env);
        /* Count 0 with explicit DeviceIDs: the daemon refuses both at once.
         * "o" steals devids and capset even when json_pack fails. */
        json_t *hc = json_pack("{s:[{s:s, s:i, s:o, s:[o], s:{}}]}", "DeviceRequests", "Driver",
                               "nvidia", "Count", 0, "DeviceIDs", devids, "Capabilities", capset,
                               "Options");
        devids = capset = NULL;
        if (!hc || json_object_set_new(doc, "HostConfig", hc))
            rc = oom(err);
    }
    json_decref(env);
    json_decref(cmd);
    json_decref(devids);
    json_decref(capset);
    char *s = rc == 0 ? gm_json_dump(doc, err) : NULL;
    json_decref(doc);
    return s;
}
