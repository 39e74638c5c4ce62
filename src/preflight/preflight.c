/* preflight: run every check family over one system tree. */
#include <stdlib.h>
#include <string.h>
#include "host/host.h"
#include "internal.h"
#include "preflight/pf.h"

static void ctx_free(pf_ctx *c) {
    if (c->have_ldcache)
        gm_ldcache_free(&c->cache);
    free(c->ldcache_path);
    gm_strlist_free(&c->image_env);
    for (size_t i = 0; i < c->n_compat; i++)
        free(c->compat[i].path);
    free(c->compat);
}

int gm_preflight_run(const gm_pf_opts *o, gm_pf_report *out, gm_error *err) {
    if (!o || !out)
        return gm_error_set(err, GM_EINVAL, "preflight: no options or report");
    pf_ctx c;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.node = o->node;
    char root[4096];
    const char *r = o->root && *o->root ? o->root : "/";
    size_t rl = strlen(r);
    if (rl >= sizeof root)
        return gm_error_set(err, GM_EINVAL, "preflight: root path too long");
    memcpy(root, r, rl + 1);
    while (rl > 0 && root[rl - 1] == '/')
        root[--rl] = '\0';
    c.root = root;
    c.fake_root = rl > 0;
    c.droot = gm_host_root_for(c.root, o->driver_root, GM_HOST_DRIVER_SIDE);

    int rc = 0;
    if (o->image_env) {
        for (size_t i = 0; i < o->image_env->n && !rc; i++)
            rc = gm_strlist_add(&c.image_env, o->image_env->items[i]);
        c.have_image_env = true;
        if (rc) {
            ctx_free(&c);
            return gm_error_set(err, GM_ENOMEM, "out of memory");
        }
    }
    /* The image is input: an unreadable one is an error, not a finding. */
    if (o->image && (rc = pf_load_image(&c, o->image, err)) != 0) {
        ctx_free(&c);
        return rc;
    }

    c.ldcache_path = o->ldcache ? gm_strdup(o->ldcache) : gm_host_path(c.droot, "/etc/ld.so.cache");
    if (!c.ldcache_path) {
        ctx_free(&c);
        return gm_error_set(err, GM_ENOMEM, "out of memory");
    }
    gm_error le = {0};
    if (gm_ldcache_load(c.ldcache_path, &c.cache, &le) == 0)
        c.have_ldcache = true;
    else
        snprintf(c.ldcache_err, sizeof c.ldcache_err, "%s", le.msg);

    if (!rc)
        rc = pf_check_driver(&c);
    if (!rc)
        rc = pf_check_libs(&c);
    if (!rc)
        rc = pf_check_devnodes(&c);
    if (!rc)
        rc = pf_find_host_compat(&c);
    if (!rc)
        rc = pf_check_compat(&c);
    if (!rc)
        rc = pf_check_gpu_state(&c);
    if (!rc)
        rc = pf_check_image(&c);
    ctx_free(&c);
    if (rc)
        return gm_error_set(err, rc, "preflight: out of memory");
    return 0;
}

int gm_preflight_for_launch(const char *root, const gm_node *node, const gm_strlist *image_env,
                            gm_pf_report *out, gm_error *err) {
    gm_pf_opts o;
    memset(&o, 0, sizeof o);
    o.root = root;
    o.node = node;
    o.image_env = image_env;
    return gm_preflight_run(&o, out, err);
}
