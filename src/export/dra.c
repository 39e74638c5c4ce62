/* dra: Kubernetes Dynamic Resource Allocation. A node becomes a ResourceSlice
 * (resource.k8s.io/v1) of the gpu.nvidia.com driver with the attributes
 * NVIDIA's DRA driver publishes (productName, uuid, architecture, brand,
 * cudaComputeCapability, driverVersion, cudaDriverVersion; capacity memory).
 * A requirement becomes a ResourceClaimTemplate whose CEL selector compares
 * those versions with semver(); every attribute is guarded with `in` so a
 * device lacking it is skipped instead of failing the claim.
 * Versions are strict semver (3 parts, no leading zeros): 535.104.05 -> 535.104.5. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export_internal.h"
#include "export/units.h"
#include "gpumatch/export.h"
#include "gpumatch/tables.h"
#include "internal.h"

static void yq(gm_buf *b, const char *s) { /* YAML double-quoted scalar */
    gm_buf_printf(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') gm_buf_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) gm_buf_printf(b, "\\x%02x", (unsigned char)*s);
        else gm_buf_printf(b, "%c", *s);
    }
    gm_buf_printf(b, "\"");
}

static void dns_name(const char *in, char *out, size_t len) {
    size_t o = 0;
    for (; in && *in && o + 1 < len && o < 60; in++) {
        char c = (char)tolower((unsigned char)*in);
        out[o++] = (isalnum((unsigned char)c) || c == '-' || c == '.') ? c : '-';
    }
    if (!o) out[o++] = 'x';
    out[o] = '\0';
}

static void sattr(gm_buf *b, const char *key, const char *v) {
    if (!v) return;
    gm_buf_printf(b, "      %s: {string: ", key);
    yq(b, v);
    gm_buf_printf(b, "}\n");
}

/* MIG profile in a DNS label: "3g.40gb" -> "3g40gb" (as the DRA driver). */
static void profile_label(const char *p, char *out, size_t len) {
    size_t o = 0;
    for (; p && *p && o + 1 < len; p++)
        if (isalnum((unsigned char)*p)) out[o++] = (char)tolower((unsigned char)*p);
    if (!o) out[o++] = 'x';
    out[o] = '\0';
}

int gm_export_dra_node(const gm_node *n, char **out, gm_strlist *notes, gm_error *err) {
    gm_buf b = {0};
    char host[64], sv[64], v[GM_VERSION_STR_MAX], bus[64], pl[64];
    const char *h = n->hostname ? n->hostname : n->instance_type ? n->instance_type : "node";
    dns_name(h, host, sizeof host);
    gm_xunit *u;
    size_t nu;
    if (gm_xunits(n, &u, &nu) < 0) return gm_error_set(err, GM_ENOMEM, "out of memory");
    gm_buf_printf(&b, "# DRA ResourceSlice for %s (gpumatch export --to dra)\n", h);
    gm_buf_printf(&b, "apiVersion: resource.k8s.io/v1\nkind: ResourceSlice\nmetadata:\n"
                      "  name: %s-gpu.nvidia.com\nspec:\n  driver: gpu.nvidia.com\n  nodeName: %s\n"
                      "  pool:\n    name: %s\n    generation: 1\n    resourceSliceCount: 1\n",
                  host, host, host);
    gm_cuda_version dc;
    bool has_dc = gm_node_driver_cuda(n, &dc);
    gm_buf_printf(&b, "  devices:%s\n", nu ? "" : " []");
    /* device names are unique in a slice: a repeated minor or GI/CI is bad input */
    for (size_t i = 0; i < nu; i++)
        for (size_t k = 0; k < i; k++) {
            const gm_xunit *x = &u[i], *y = &u[k];
            bool same = gm_device_minor(x->d) == gm_device_minor(y->d) && !x->m == !y->m &&
                        (!x->m || (x->m->gi == y->m->gi && x->m->ci == y->m->ci &&
                                   !strcmp(x->m->profile ? x->m->profile : "",
                                           y->m->profile ? y->m->profile : "")));
            if (same) {
                int rc = gm_error_set(err, GM_EINVAL, "%s: GPU %d and GPU %d give the same DRA "
                                      "device name (device minor %d%s)", h, y->d->index,
                                      x->d->index, gm_device_minor(x->d),
                                      x->m ? ", same MIG GI/CI" : "");
                free(u);
                free(gm_buf_finish(&b, NULL));
                return rc;
            }
        }
    for (size_t i = 0; i < nu; i++) {
        const gm_device *d = u[i].d;
        const gm_mig_instance *m = u[i].m;
        const gm_arch_entry *a = gm_arch_find(&d->cc);
        /* names as the DRA driver's: gpu-<minor>, MIG gpu-<minor>-mig-<profile>-... */
        if (m) {
            profile_label(m->profile, pl, sizeof pl);
            gm_buf_printf(&b, "  - name: gpu-%d-mig-%s-%d-%d\n    attributes:\n", gm_device_minor(d),
                          pl, m->gi, m->ci);
            gm_buf_printf(&b, "      type: {string: mig}\n");
            sattr(&b, "uuid", m->uuid);
            sattr(&b, "parentUUID", d->uuid);
            sattr(&b, "profile", m->profile);
        } else {
            gm_buf_printf(&b, "  - name: gpu-%d\n    attributes:\n", gm_device_minor(d));
            gm_buf_printf(&b, "      type: {string: gpu}\n");
            sattr(&b, "uuid", d->uuid);
        }
        sattr(&b, "productName", d->name);
        sattr(&b, "brand", gm_brand_nvml(d->brand));
        if (a) sattr(&b, "architecture", gm_arch_long(a->arch));
        if (d->cc.major)
            gm_buf_printf(&b, "      cudaComputeCapability: {version: \"%d.%d.0\"}\n", d->cc.major, d->cc.minor);
        if (gm_driver_version_is_set(&n->driver)) {
            gm_semver(gm_driver_version_str(&n->driver, v), sv, sizeof sv);
            gm_buf_printf(&b, "      driverVersion: {version: \"%s\"}\n", sv);
        }
        if (has_dc) gm_buf_printf(&b, "      cudaDriverVersion: {version: \"%d.%d.0\"}\n", dc.major, dc.minor);
        if (d->pci_bus_id) {
            gm_busid_short(d->pci_bus_id, true, bus, sizeof bus);
            sattr(&b, "resource.kubernetes.io/pciBusID", bus);
        }
        if (gm_xunit_mem(&u[i]) >= 0)
            gm_buf_printf(&b, "    capacity:\n      memory: {value: %ldMi}\n", gm_xunit_mem(&u[i]));
    }
    for (size_t i = 0; i < n->n_devices; i++)
        if (gm_dev_is_mig(&n->devices[i])) {
            gm_note(&b, notes, "#", "GPUs in MIG mode are published only as their MIG devices (type "
                                    "mig), as NVIDIA's DRA driver does; MIG names carry GI and CI ids "
                                    "where the driver uses profile id and placement");
            break;
        }
    free(u);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}

#define ATTR "device.attributes['gpu.nvidia.com']"

static void cmp(gm_buf *b, const char *attr, const char *ver, const char *op) {
    gm_buf_printf(b, ATTR ".%s.compareTo(semver('%s')) %s 0", attr, ver, op);
}

int gm_export_dra_req(const gm_requirement *r, char **out, gm_strlist *notes, gm_error *err) {
    gm_req_summary s;
    int rc = gm_req_summarize(r, &s, err);
    if (rc) return rc;
    gm_buf b = {0}, e = {0};
    char ver[64];
    gm_buf_printf(&b, "# DRA ResourceClaimTemplate (gpumatch export --to dra)\n");
    for (size_t i = 0; i < s.notes.n; i++) gm_note(&b, notes, "#", s.notes.items[i]);
    /* per device: all of it can be said per GPU in CEL */
    gm_buf_printf(&e, "device.driver == 'gpu.nvidia.com' &&\n"
                      "'cudaComputeCapability' in " ATTR " &&\n");
    if (!gm_core_unit_usable(true, s.count)) { /* the core's MIG rule */
        /* CUDA enumerates one MIG device per process: N > 1 must be whole GPUs */
        gm_buf_printf(&e, "'type' in " ATTR " && " ATTR ".type == 'gpu' &&\n");
        gm_note(&b, notes, "#", "more than one GPU: only whole GPUs (type gpu), since a CUDA "
                                "process sees one MIG device");
    }
    if (s.min_drv != GM_DRV_NONE) {
        char dv[64];
        gm_drv_int_str(s.min_drv, dv, sizeof dv);
        gm_semver(dv, ver, sizeof ver);
        gm_buf_printf(&e, "'driverVersion' in " ATTR " && ");
        cmp(&e, "driverVersion", ver, ">=");
        gm_buf_printf(&e, " &&\n");
    }
    if (s.min_mem_mib > 0)
        gm_buf_printf(&e, "'memory' in device.capacity['gpu.nvidia.com'] && "
                          "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('%ldMi')) >= 0 &&\n",
                      s.min_mem_mib);
    if (s.ngroups == 0) gm_buf_printf(&e, "false");
    if (s.ngroups > 1) gm_buf_printf(&e, "(");
    for (size_t g = 0; g < s.ngroups; g++) {
        const gm_cc_group *G = &s.groups[g];
        int32_t cu = G->need > s.min_cuda ? G->need : s.min_cuda;
        size_t alts = 0;
        gm_buf t = {0};
        if (G->open_above) {
            snprintf(ver, sizeof ver, "%d.%d.0", G->ccs[0].major, G->ccs[0].minor);
            cmp(&t, "cudaComputeCapability", ver, ">=");
            alts = 1;
        } else {
            for (size_t i = 0; i < G->n;) {
                size_t j = i;
                while (j < G->n && G->ccs[j].major == G->ccs[i].major) j++;
                if (G->major_open[i] && G->major_open[j - 1]) {
                    gm_buf_printf(&t, "%s(", alts++ ? " || " : "");
                    snprintf(ver, sizeof ver, "%d.%d.0", G->ccs[i].major, G->ccs[i].minor);
                    cmp(&t, "cudaComputeCapability", ver, ">=");
                    gm_buf_printf(&t, " && ");
                    snprintf(ver, sizeof ver, "%d.0.0", G->ccs[i].major + 1);
                    cmp(&t, "cudaComputeCapability", ver, "<");
                    gm_buf_printf(&t, ")");
                } else {
                    for (size_t k = i; k < j; k++) {
                        snprintf(ver, sizeof ver, "%d.%d.0", G->ccs[k].major, G->ccs[k].minor);
                        gm_buf_printf(&t, "%s", alts++ ? " || " : "");
                        cmp(&t, "cudaComputeCapability", ver, "==");
                    }
                }
                i = j;
            }
        }
        char *ts = gm_buf_finish(&t, NULL);
        gm_buf_printf(&e, "%s(%s%s%s", g ? "\n || " : "", cu != GM_NEED_NONE && alts > 1 ? "(" : "",
                      ts ? ts : "false", cu != GM_NEED_NONE && alts > 1 ? ")" : "");
        free(ts);
        if (cu != GM_NEED_NONE) {
            snprintf(ver, sizeof ver, "%d.%d.0", cu / 1000, cu % 1000 / 10);
            gm_buf_printf(&e, " &&\n 'cudaDriverVersion' in " ATTR " && ");
            cmp(&e, "cudaDriverVersion", ver, ">=");
        }
        gm_buf_printf(&e, ")");
    }
    if (s.ngroups > 1) gm_buf_printf(&e, ")");
    char *expr = gm_buf_finish(&e, err);
    if (!expr) { gm_req_summary_free(&s); free(gm_buf_finish(&b, NULL)); return GM_ENOMEM; }
    gm_buf_printf(&b, "apiVersion: resource.k8s.io/v1\nkind: ResourceClaimTemplate\nmetadata:\n"
                      "  name: %s\nspec:\n  spec:\n    devices:\n      requests:\n      - name: gpu\n"
                      "        exactly:\n"
                      "          deviceClassName: gpu.nvidia.com\n          allocationMode: ExactCount\n"
                      "          count: %ld\n          selectors:\n          - cel:\n              expression: |-\n",
                  r->id ? r->id : "gpumatch-gpu", s.count > 0 ? s.count : 1);
    for (char *line = expr, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        gm_buf_printf(&b, "                %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
    }
    if (s.count == 0)
        gm_note(&b, notes, "#", "the requirement asks for no GPU; a claim needs at least one: count 1");
    free(expr);
    gm_req_summary_free(&s);
    *out = gm_buf_finish(&b, err);
    return *out ? 0 : GM_ENOMEM;
}
